/**
 * The last resort of a read plan (issue 13): a chunk no heartbeat and no commit receipt placed
 * anywhere this controller knows is looked for on the healthy chunkservers, HEAD /chunks/:id in
 * parallel (cluster-authenticated), each bounded by the timeout and the caller's signal. Returns
 * the servers that have it; failures count as "not there".
 */
import type { ChunkLocation } from '../common/api.js';
import { request } from '../common/http-client.js';
import { clusterSigner } from '../common/cluster-auth.js';
import type { Signer } from '../common/tokens.js';

export interface ProbeDeps {
  signer: Signer;
  nodeId: string;
  now: () => number;
  timeoutMs: number;
}

export async function probeChunk(d: ProbeDeps, chunkId: string, servers: readonly ChunkLocation[], signal?: AbortSignal): Promise<ChunkLocation[]> {
  const found = await Promise.all(servers.map(async (s) => {
    try {
      const res = await request(`${s.url}/chunks/${chunkId}`, {
        method: 'HEAD', timeoutMs: d.timeoutMs, signal,
        sign: clusterSigner(d.signer, 'controller', d.nodeId, d.now),
      });
      return res.status === 200 ? s : undefined;
    } catch {
      return undefined;
    }
  }));
  return found.filter((s): s is ChunkLocation => s !== undefined);
}
