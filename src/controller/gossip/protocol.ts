/**
 * The gossip protocol's pure parts: message shapes, peer selection, batching updates under a byte
 * budget, and the bucket hashes of anti-entropy. No I/O; randomness is passed in.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../meta/merge.js';
import type { Digest, Hlc, MetaRecord, Update, VersionVector } from '../../meta/types.js';
import type { AeCursor } from './ae-pages.js';

export interface PeerRef {
  id: string;
  url: string;
}

/** POST /internal/gossip: "here is what I have; send me what I lack". */
export interface GossipPull {
  from: PeerRef;
  digest: Digest;
  /** hash of the controller URLs the sender knows (peersHash), so idle rounds skip the list */
  peersHash?: string;
  /** controller URLs the sender knows (membership spreads with gossip); sent only when the views differ */
  peers?: string[];
}

export interface GossipPullResponse {
  from: PeerRef;
  digest: Digest;
  peersHash?: string;
  /** the responder's URLs, only when the caller's peersHash differs from its own */
  peers?: string[];
  /** updates the caller lacks, ascending seq per origin */
  updates: Update[];
  /** true when more updates were left out (the caller asks again next round) */
  more: boolean;
}

/** POST /internal/gossip/push: updates the receiver lacks. */
export interface GossipPush {
  from: PeerRef;
  updates: Update[];
}

/**
 * POST /internal/anti-entropy: one page of a pass (ae-pages.ts). The first page carries the
 * sender's bucket hashes; later pages the differing buckets the first answer named and the cursor.
 * The answer holds the receiver's records of those buckets after the cursor, within the budget.
 */
export interface AntiEntropyRequest {
  from: PeerRef;
  hashes?: string[];
  buckets?: number[];
  /** the page starts after this position (absent: from the start) */
  after?: AeCursor;
  maxRecords?: number;
  maxBytes?: number;
}

export interface AntiEntropyResponse {
  from: PeerRef;
  buckets: number[];
  records: MetaRecord[];
  /** where the responder's page stopped with records left; null or absent: it sent the rest */
  stoppedAt?: AeCursor | null;
}

export const BUCKET_COUNT = 256;
/** Byte budget of updates in one gossip message (well under MAX_BODY_BYTES). */
export const MAX_GOSSIP_BYTES = 2 * 1024 * 1024;
export const MAX_GOSSIP_UPDATES = 2000;

/** Order-free hash of a set of controller URLs: equal views hash alike. */
export function peersHash(urls: Iterable<string>): string {
  const h = createHash('sha256');
  for (const u of [...new Set(urls)].sort()) h.update(u).update('\n');
  return h.digest('hex').slice(0, 16);
}

/** Updates `local` lacks and `remote` has, summed over origins (a peer's lag behind us, or ours behind it). */
export function missingCount(local: Digest, remote: Digest): number {
  let n = 0;
  for (const [origin, seq] of Object.entries(remote)) n += Math.max(0, seq - (local[origin] ?? 0));
  return n;
}

/** `count` distinct items chosen with `random` (a function returning [0, 1)). */
export function pickRandom<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) {
    const i = Math.floor(random() * pool.length);
    out.push(pool.splice(i, 1)[0]!);
  }
  return out;
}

/**
 * The longest prefix of `updates` (already in ascending seq per origin) that fits the byte
 * budget; always at least one update so a single large record still travels.
 */
export function takeWithinBudget(updates: Update[], maxBytes: number): { batch: Update[]; more: boolean } {
  let bytes = 0;
  const batch: Update[] = [];
  for (const u of updates) {
    const size = JSON.stringify(u.record).length + 64;
    if (batch.length > 0 && bytes + size > maxBytes) return { batch, more: true };
    bytes += size;
    batch.push(u);
  }
  return { batch, more: false };
}

/** True when `remote` has some origin's update that `local` lacks. */
export function lacksAnything(local: Digest, remote: Digest): boolean {
  return Object.entries(remote).some(([origin, seq]) => seq > (local[origin] ?? 0));
}

export function bucketOf(key: string): number {
  return createHash('sha256').update(key).digest()[0]! % BUCKET_COUNT;
}

/** What identifies a record's merged state: key, type (a death certificate keeps its record's stamps), vector and HLC. */
export interface Fingerprinted {
  key: string;
  type: string;
  vv: VersionVector;
  hlc: Hlc;
}

export function fingerprint(r: Fingerprinted): string {
  return `${r.key}\u0001${r.type}\u0001${canonicalJson(r.vv)}\u0001${r.hlc.wallMs}.${r.hlc.logical}.${r.hlc.node}`;
}

export function differingBuckets(a: string[], b: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < BUCKET_COUNT; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}
