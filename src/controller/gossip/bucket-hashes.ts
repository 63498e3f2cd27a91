/**
 * Anti-entropy bucket hashes kept up to date record by record (issue 13: "per-bucket hash
 * maintenance"). A bucket's hash is the XOR of the first 128 bits of SHA-256 of each of its
 * records' fingerprints: order-independent, so a write changes it by removing the old version's
 * term and adding the new one's, and no round has to re-read and sort every record (seconds at
 * 10^6 records). Keys are unique within a bucket, so no two terms cancel. Pure.
 */
import { createHash } from 'node:crypto';
import { BUCKET_COUNT, bucketOf, fingerprint, type Fingerprinted } from './protocol.js';

const TERM_BYTES = 16;

function term(r: Fingerprinted): Buffer {
  return createHash('sha256').update(fingerprint(r)).digest().subarray(0, TERM_BYTES);
}

export class BucketHashes {
  private readonly acc: Buffer[];
  /**
   * The bucket and term of record versions seen lately, by object (records are never modified):
   * a write replaces the version it wrote or read before, so its old term is not hashed again.
   */
  private readonly seen = new WeakMap<Fingerprinted, { bucket: number; term: Buffer }>();

  /** `terms`: a stored accumulator per bucket (missing ones are empty) */
  constructor(terms: ReadonlyMap<number, Uint8Array> = new Map()) {
    this.acc = Array.from({ length: BUCKET_COUNT }, (_, b) => {
      const t = terms.get(b);
      return t && t.length === TERM_BYTES ? Buffer.from(t) : Buffer.alloc(TERM_BYTES);
    });
  }

  static of(records: Iterable<Fingerprinted>): BucketHashes {
    const b = new BucketHashes();
    for (const r of records) b.toggle(r);
    return b;
  }

  /** Adds a record version's term, or removes it when it is already in (XOR is its own inverse); returns the bucket. */
  toggle(r: Fingerprinted): number {
    let known = this.seen.get(r);
    if (!known) this.seen.set(r, (known = { bucket: bucketOf(r.key), term: term(r) }));
    const into = this.acc[known.bucket]!;
    const t = known.term;
    for (let i = 0; i < TERM_BYTES; i++) into[i] = into[i]! ^ t[i]!;
    return known.bucket;
  }

  /** `prev` (if any) of the same key replaced by `next`; returns the bucket. */
  replace(prev: Fingerprinted | undefined, next: Fingerprinted): number {
    if (!prev) return this.toggle(next);
    const bucket = this.toggle(prev);
    // same key, same bucket: only the new version's term is hashed
    if (!this.seen.has(next) && next.key === prev.key) this.seen.set(next, { bucket, term: term(next) });
    return this.toggle(next);
  }

  /** one bucket's accumulator (to store it) */
  term(bucket: number): Buffer {
    return this.acc[bucket]!;
  }

  hashes(): string[] {
    return this.acc.map((b) => b.toString('hex'));
  }
}

/** The bucket hashes of a set of records, computed from scratch. */
export function bucketHashes(records: Iterable<Fingerprinted>): string[] {
  return BucketHashes.of(records).hashes();
}
