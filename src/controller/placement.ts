/**
 * Chunk placement (pure): among healthy, non-full chunkservers, REPLICATION_FACTOR 'all' takes
 * every one, N takes the N with the highest rendezvous (highest-random-weight) score of
 * (chunkId, serverId). Lists are ordered best first, so adding a server moves about 1/N chunks.
 */
import { createHash } from 'node:crypto';
import type { ReplicationFactor } from '../common/config.js';

export interface PlacementCandidate {
  id: string;
  healthy: boolean;
  full: boolean;
}

/** Rendezvous weight of a server for a chunk: the first 48 bits of SHA-256(chunkId \0 serverId). */
export function rendezvousScore(chunkId: string, serverId: string): number {
  return parseInt(createHash('sha256').update(`${chunkId}\0${serverId}`).digest('hex').slice(0, 12), 16);
}

/** Server ids ordered by descending score (ties by id). */
export function rankServers(chunkId: string, serverIds: readonly string[]): string[] {
  return serverIds
    .map((id) => ({ id, score: rendezvousScore(chunkId, id) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((x) => x.id);
}

export function chooseTargets(chunkId: string, candidates: readonly PlacementCandidate[], factor: ReplicationFactor): string[] {
  const eligible = candidates.filter((c) => c.healthy && !c.full).map((c) => c.id);
  const ranked = rankServers(chunkId, eligible);
  return factor === 'all' ? ranked : ranked.slice(0, factor);
}

/** How many replicas a chunk wants given the factor and the number of live servers. */
export function wantedReplicas(factor: ReplicationFactor, liveServers: number): number {
  return factor === 'all' ? liveServers : Math.min(factor, liveServers);
}
