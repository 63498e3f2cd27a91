/**
 * Pulls a chunk from other chunkservers (POST /internal/replicate): tries each source in order
 * with a cluster-signed GET under a timeout, verifying while storing (in the format the source
 * names, chunk-format.ts: the bytes must still hash to the id), and stops at the first that works. At most `inflightMax` copies run at once; beyond that the caller gets THROTTLED.
 */
import type { Readable } from 'node:stream';
import type { ChunkLocation } from '../common/api.js';
import { CHUNK_FORMAT_HEADER, formatFromHeader } from '../common/chunk-format.js';
import { errors, toRedCloudError } from '../common/errors.js';
import { assertChunkId } from '../common/hash.js';
import { deadline, request } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import { clusterSigner } from '../common/cluster-auth.js';
import type { Signer } from '../common/tokens.js';
import type { ChunkserverMetrics } from './metrics.js';
import type { ChunkStore, PutResult } from './store.js';

export interface ReplicatorDeps {
  store: ChunkStore;
  signer: Signer;
  nodeId: string;
  logger: Logger;
  metrics: ChunkserverMetrics;
  now: () => number;
  inflightMax: number;
  /** per-source deadline (headers and body) */
  requestTimeoutMs: number;
  shutdown: AbortSignal;
}

export interface Replicator {
  replicate(chunkId: string, sources: ChunkLocation[], opts?: { signal?: AbortSignal }): Promise<PutResult & { source?: string }>;
  inflight(): number;
}

export function createReplicator(deps: ReplicatorDeps): Replicator {
  const log = deps.logger.child({ component: 'replicator' });
  let inflight = 0;

  async function pullFrom(chunkId: string, src: ChunkLocation, signal?: AbortSignal): Promise<PutResult> {
    const { signal: sig } = deadline(deps.requestTimeoutMs, deps.shutdown, signal);
    const url = `${src.url.replace(/\/+$/, '')}/chunks/${chunkId}`;
    const res = await request(url, {
      method: 'GET',
      sign: clusterSigner(deps.signer, 'chunkserver', deps.nodeId, deps.now),
      timeoutMs: deps.requestTimeoutMs,
      signal: sig,
    });
    const len = Number(res.headers.get('content-length'));
    const format = formatFromHeader(res.headers.get(CHUNK_FORMAT_HEADER));
    if (format === undefined) {
      res.body.destroy();
      throw errors.unavailable(`${src.id} named an unknown chunk format`, { chunkId });
    }
    return deps.store.put(chunkId, res.body as unknown as Readable, {
      signal: sig, expectedSizeBytes: Number.isSafeInteger(len) && len >= 0 ? len : undefined, format,
    });
  }

  async function tryAll(chunkId: string, sources: ChunkLocation[], signal?: AbortSignal) {
    const started = performance.now();
    const failures: string[] = [];
    for (const src of sources) {
      if (src.id === deps.nodeId) continue;
      try {
        const result = await pullFrom(chunkId, src, signal);
        const durationMs = Math.round(performance.now() - started);
        deps.metrics.replications.inc({ result: 'ok' });
        if (result.created) deps.metrics.bytesIn.inc(result.sizeBytes);
        log.info({ chunkId, source: src.id, url: src.url, durationMs, sizeBytes: result.sizeBytes }, 'Successfully replicated');
        return { ...result, source: src.id };
      } catch (err) {
        const e = toRedCloudError(err);
        if (e.code === 'NO_SPACE' || deps.shutdown.aborted || signal?.aborted) throw e;
        failures.push(`${src.id}: ${e.code} ${e.message}`);
        log.warn({ chunkId, source: src.id, url: src.url, code: e.code, err: e.message }, 'Replication source failed, trying the next');
      }
    }
    deps.metrics.replications.inc({ result: 'failed' });
    throw errors.unavailable(`No source could provide chunk ${chunkId}`, { chunkId, failures });
  }

  return {
    inflight: () => inflight,
    async replicate(chunkId, sources, opts = {}) {
      assertChunkId(chunkId);
      const size = deps.store.sizeOf(chunkId);
      if (size !== undefined) return { id: chunkId, sizeBytes: size, created: false };
      if (inflight >= deps.inflightMax) {
        deps.metrics.replications.inc({ result: 'throttled' });
        throw errors.throttled(`Already pulling ${inflight} chunks (REPLICATION_INFLIGHT_MAX)`, { inflight });
      }
      inflight++;
      try {
        return await tryAll(chunkId, sources, opts.signal);
      } finally {
        inflight--;
      }
    },
  };
}
