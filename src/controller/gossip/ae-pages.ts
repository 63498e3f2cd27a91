/**
 * Anti-entropy in bounded pages (pure). A pass walks the records of the buckets whose hashes
 * differed, in (bucket, key) order, a page at a time: the peer answers its records after the
 * cursor up to a record and byte budget and says where it stopped; the caller merges them and sends
 * back its own records of the same range, under the same budget; the next page starts where the
 * shorter of the two stopped. Each side sends at most one budget per page, every page moves the
 * cursor forward, and a pass interrupted by a failed page resumes from its cursor.
 */
import { compareBytes } from '../store-rules.js';

/** A position in the walk: the bucket and key of the last record covered. */
export interface AeCursor {
  bucket: number;
  key: string;
}

export interface AeLimits {
  maxRecords: number;
  maxBytes: number;
}

/**
 * One page's budget per side: far under MAX_BODY_BYTES (8 MiB) and the 100,000 items a message
 * may hold, and small enough that merging a page takes well under REQUEST_TIMEOUT on a busy
 * machine (~1-2 ms a record under load: 5,000-record pages timed out at 10 s).
 */
export const AE_PAGE_MAX_RECORDS = 1000;
export const AE_PAGE_MAX_BYTES = 1024 * 1024;
/** Pages one anti-entropy round runs back to back at most; the rest waits for the next round. */
export const AE_MAX_PAGES_PER_ROUND = 500;

/** Orders positions: by bucket, then by key (bytewise, like the stores). */
export function comparePos(a: AeCursor, b: AeCursor): number {
  return a.bucket - b.bucket || compareBytes(a.key, b.key);
}

/** The budget a responder uses: what the caller asked for, never more than its own. */
export function pageLimits(asked: Partial<AeLimits> | undefined, own: AeLimits): AeLimits {
  const clamp = (v: number | undefined, max: number) => (v !== undefined && Number.isSafeInteger(v) && v >= 1 ? Math.min(v, max) : max);
  return { maxRecords: clamp(asked?.maxRecords, own.maxRecords), maxBytes: clamp(asked?.maxBytes, own.maxBytes) };
}

export interface Page<T> {
  records: T[];
  /** where the page stopped while records of the range remained; null when the range is exhausted */
  stoppedAt: AeCursor | null;
}

/**
 * Records of `buckets` positioned after `after` (null: from the start) and at or before `through`
 * (null: to the end), in order, within `limits`; always at least one when any remain, so a single
 * record larger than the byte budget still travels. `load(bucket)` gives a bucket's records sorted
 * by key; `sizeOf` their encoded size.
 */
export function takePage<T extends { key: string }>(
  buckets: readonly number[], load: (bucket: number) => readonly T[], after: AeCursor | null, through: AeCursor | null,
  limits: AeLimits, sizeOf: (r: T) => number,
): Page<T> {
  const records: T[] = [];
  let bytes = 0;
  let last: AeCursor | null = null;
  for (const bucket of [...new Set(buckets)].sort((a, b) => a - b)) {
    if (after && bucket < after.bucket) continue;
    if (through && bucket > through.bucket) break;
    for (const r of load(bucket)) {
      const pos = { bucket, key: r.key };
      if (after && comparePos(pos, after) <= 0) continue;
      if (through && comparePos(pos, through) > 0) break;
      const size = sizeOf(r);
      if (records.length > 0 && (records.length >= limits.maxRecords || bytes + size > limits.maxBytes)) return { records, stoppedAt: last };
      records.push(r);
      bytes += size;
      last = pos;
    }
  }
  return { records, stoppedAt: null };
}

/**
 * Where the next page starts, after the peer stopped at `peerStoppedAt` and this side at
 * `ownStoppedAt` (within the peer's range, so never past it); null when the pass is done.
 */
export function nextCursor(peerStoppedAt: AeCursor | null, ownStoppedAt: AeCursor | null): AeCursor | null {
  return ownStoppedAt ?? peerStoppedAt;
}
