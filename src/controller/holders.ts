/**
 * Chunk holders that travel with the data (issue 13): the commit records, in the inode's content,
 * which chunkservers signed a receipt for each chunk, and read plans put those holders (marked
 * unconfirmed) next to the locations heartbeats confirmed. Pure.
 */
import type { ChunkLocation, ChunkserverStatus } from '../common/api.js';
import type { ChunkRef } from '../meta/types.js';
import { MAX_HOLDERS } from '../meta/validate.js';

/**
 * The holders of a commit's content: for each chunk, the servers with a valid receipt; a chunk
 * without receipts (unchanged by a partial rewrite) keeps the holders the previous content named.
 * Undefined when no chunk has any.
 */
export function commitHolders(
  chunks: readonly ChunkRef[], valid: ReadonlyMap<string, readonly string[]>, previous: Readonly<Record<string, readonly string[]>> = {},
): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  for (const { id } of chunks) {
    if (Object.hasOwn(out, id)) continue;
    const fresh = valid.get(id) ?? [];
    const servers = fresh.length > 0 ? fresh : Object.hasOwn(previous, id) ? previous[id]! : [];
    if (servers.length > 0) out[id] = [...new Set(servers)].sort().slice(0, MAX_HOLDERS);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The order to try a chunk's replicas in: confirmed on healthy servers, unconfirmed on healthy
 * servers, then confirmed and unconfirmed on servers not (yet) heard from. `confirmed` is in the
 * registry's order; holders whose server this controller has no address for are left out.
 */
export function planLocations(
  confirmed: readonly ChunkLocation[], holders: readonly string[] | undefined, server: (id: string) => Pick<ChunkserverStatus, 'url' | 'healthy'> | undefined,
): ChunkLocation[] {
  const isHealthy = (id: string): boolean => server(id)?.healthy === true;
  const known = new Set(confirmed.map((l) => l.id));
  const extra: ChunkLocation[] = [];
  for (const id of holders ?? []) {
    const s = server(id);
    if (known.has(id) || !s) continue;
    known.add(id);
    extra.push({ id, url: s.url, unconfirmed: true });
  }
  return [
    ...confirmed.filter((l) => isHealthy(l.id)), ...extra.filter((l) => isHealthy(l.id)),
    ...confirmed.filter((l) => !isHealthy(l.id)), ...extra.filter((l) => !isHealthy(l.id)),
  ];
}
