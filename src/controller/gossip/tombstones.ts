/**
 * When a tombstone (a deleted entry's record) may be collected — a pure rule, no I/O. Only when
 * TOMBSTONE_TTL has passed since the delete AND every known peer controller has seen every write
 * this node holds for that key (its last gossip digest covers each (origin, seq) of the key's
 * update-log rows). Otherwise a peer that never saw the delete could bring the entry back. A peer
 * whose digest is unknown (never exchanged with) blocks every collection.
 */
import type { Digest } from '../../meta/types.js';

export interface TombstoneCandidate {
  key: string;
  /** HLC wall time of the delete, ms */
  deletedAtMs: number;
  /** the key's update-log rows held here: origin → seq */
  writes: Record<string, number>;
}

export interface PeerDigestView {
  id: string;
  /** the peer's last known digest; undefined when it never told us one */
  digest?: Digest;
}

/** True when `digest` holds every (origin, seq) in `writes`. */
export function coversWrites(digest: Digest, writes: Record<string, number>): boolean {
  return Object.entries(writes).every(([origin, seq]) => (digest[origin] ?? 0) >= seq);
}

/** Keys of the tombstones that may be collected now, in the order given. */
export function collectableTombstones(
  candidates: readonly TombstoneCandidate[], peers: readonly PeerDigestView[], nowMs: number, ttlMs: number,
): string[] {
  if (peers.some((p) => p.digest === undefined)) return [];
  return candidates
    .filter((t) => nowMs - t.deletedAtMs >= ttlMs)
    .filter((t) => peers.every((p) => coversWrites(p.digest!, t.writes)))
    .map((t) => t.key);
}
