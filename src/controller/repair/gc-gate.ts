/**
 * Whether this controller may collect garbage now (pure). A chunk looks unreferenced here also
 * when the file that uses it was committed on a controller whose writes have not reached us yet
 * (a partition, gossip lag). So collection waits until every known peer controller is alive and
 * its last digest, recent enough, holds nothing we lack. Returns the reason to wait, or undefined.
 */
import type { Digest } from '../../meta/types.js';

export interface GatePeer {
  url: string;
  id?: string;
  alive: boolean;
}

export interface GateDigest {
  url: string;
  id: string;
  digest: Digest;
  atMs: number;
}

export interface GcGateInput {
  peers: readonly GatePeer[];
  digests: readonly GateDigest[];
  ownDigest: Digest;
  nowMs: number;
  /** a peer digest older than this does not count */
  maxDigestAgeMs: number;
}

export function gcBlocker(i: GcGateInput): string | undefined {
  for (const p of i.peers) {
    if (!p.alive) return `controller ${p.url} is not reachable`;
    const d = i.digests.find((x) => (p.id !== undefined && x.id === p.id) || x.url === p.url);
    if (!d || i.nowMs - d.atMs > i.maxDigestAgeMs) return `no recent digest from controller ${p.id ?? p.url}`;
    const lacking = Object.entries(d.digest).find(([origin, seq]) => (i.ownDigest[origin] ?? 0) < seq);
    if (lacking) return `controller ${p.id ?? p.url} holds updates of ${lacking[0]} not received here yet`;
  }
  return undefined;
}
