/**
 * Small files inline (DESIGN.md "Data model", v2 content): a file of at most INLINE_MAX bytes keeps
 * its bytes in its inode record (`content.inline`, base64) instead of chunks, so writing it is one
 * commit and reading it needs no chunkserver; gossip replicates it like any record. Pure helpers
 * shared by the controller, the client and the mount.
 */
import { formatMatching } from '../common/chunk-format.js';

/** Padded standard base64 (how records and commits carry bytes). */
export const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** INLINE_MAX's default: files up to 64 KiB live in their inode record. */
export const INLINE_MAX_DEFAULT = 64 * 1024;

/** Decoded length of well-formed base64 `b64` (no allocation). */
export function base64Length(b64: string): number {
  if (b64.length === 0) return 0;
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}

/**
 * Whether a file of `sizeBytes` is stored inline under a limit of `inlineMaxBytes` (0: never). An
 * empty file is not inline (it has no bytes to hold); a file never inlines past one chunk, so its
 * bytes always fit the first chunk of the staged file that grows it.
 */
export function fitsInline(sizeBytes: number, inlineMaxBytes: number, chunkSizeBytes: number): boolean {
  return sizeBytes > 0 && sizeBytes <= inlineMaxBytes && sizeBytes <= chunkSizeBytes;
}

/**
 * Inline chunks (issue 14): a small chunk of a file in extents may travel inside the inode record
 * (`content.inlineChunks`, chunk id → base64 bytes) instead of on chunkservers, so a small
 * overwrite + fsync is one commit: no placement, no PUT. The id stays the hash of the bytes (any
 * chunk format), so every read verifies them; the chunk is still listed in `chunks` and indexed by
 * the extents, and whatever follows `chunks` to chunkservers (GC, repair, holders, probes) skips it.
 * The limits derive from INLINE_MAX: each inline chunk at most INLINE_MAX bytes, all of a record's
 * together at most INLINE_CHUNKS_FACTOR × INLINE_MAX (and never more than INLINE_CHUNKS_MAX_BYTES).
 * Every commit rewrites and gossips the whole record, so its inline bytes cost every fsync: a
 * factor of 1 measured best (bench/fsync-latency.ts random 4 KiB pages, p50 5.8 ms at a 64 KiB
 * record against 11.2 ms at 256 KiB; SQLite WAL inserts 91/s against 71/s), folds included.
 */
export const INLINE_CHUNKS_FACTOR = 1;
/** Hard bound of a record's inline chunk bytes (validation of peer records): INLINE_MAX's upper bound. */
export const INLINE_CHUNKS_MAX_BYTES = 1024 * 1024;

export interface InlineChunkLimits {
  /** largest chunk kept inline (0: none) */
  chunkMaxBytes: number;
  /** most inline chunk bytes one record holds */
  recordMaxBytes: number;
}

/** The inline chunk limits under INLINE_MAX = `inlineMaxBytes` (0 disables them). */
export function inlineChunkLimits(inlineMaxBytes: number): InlineChunkLimits {
  const chunkMaxBytes = Math.max(0, Math.min(inlineMaxBytes, INLINE_CHUNKS_MAX_BYTES));
  return { chunkMaxBytes, recordMaxBytes: Math.min(INLINE_CHUNKS_FACTOR * chunkMaxBytes, INLINE_CHUNKS_MAX_BYTES) };
}

/** Total decoded bytes of an inline chunk map. */
export function inlineChunkBytes(map: Readonly<Record<string, string>> | undefined): number {
  let n = 0;
  for (const b64 of Object.values(map ?? {})) n += base64Length(b64);
  return n;
}

/**
 * Why `b64` cannot be the inline bytes of chunk `id` of `sizeBytes` (at most `maxBytes`), or
 * undefined when it can: base64 of exactly `sizeBytes` bytes that hash to `id` in some chunk format.
 */
export function inlineChunkProblem(id: string, b64: unknown, sizeBytes: number, maxBytes: number): string | undefined {
  if (typeof b64 !== 'string' || b64.length > Math.ceil(maxBytes / 3) * 4 + 4 || !BASE64_RE.test(b64)) return `must be base64 of at most ${maxBytes} bytes`;
  const n = base64Length(b64);
  if (n !== sizeBytes || n === 0) return `must be the chunk's ${sizeBytes} bytes (has ${n})`;
  if (n > maxBytes) return `must be at most ${maxBytes} bytes`;
  if (formatMatching(id, Buffer.from(b64, 'base64')) === undefined) return 'must hash to the chunk id';
  return undefined;
}
