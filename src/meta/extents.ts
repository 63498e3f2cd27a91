/**
 * A file's content as extents (DESIGN.md "Data model", v2 content): sorted, non-overlapping byte
 * ranges of the file, each naming a range of one chunk; bytes no extent covers are a hole (zeros).
 * Pure.
 *
 * In a record (InodeContent) the extents index the content's `chunks`, which stay the list of
 * every chunk the file references: GC, repair, usage, trash and snapshots, which follow `chunks`,
 * follow extents unchanged. A record without `extents` (every record written before they existed)
 * is the extent list `fromChunks(chunks)`: chunk k at the sum of the sizes before it, so old
 * records keep their meaning and need no migration. Peers that predate extents refuse a record
 * that has them (their validation allows no unknown field) rather than misreading it.
 *
 * `Span<C>` is the working form (the chunk itself, C = ChunkRef or any stand-in); `overlay` puts
 * newer spans over older ones (splitting and trimming what they cover), `clip` cuts at a size,
 * `pieces` maps a byte range onto spans and holes.
 */
import type { ChunkRef } from './types.js';

/** One extent in a record: file bytes [off, off+len) are bytes [chunkOff, chunkOff+len) of chunks[chunk]. */
export interface Extent {
  off: number;
  len: number;
  /** index into the content's `chunks` */
  chunk: number;
  chunkOff: number;
}

/** An extent naming its chunk directly. */
export interface Span<C> {
  off: number;
  len: number;
  chunk: C;
  chunkOff: number;
}

/** A piece of a byte range: the bytes of a span's chunk from `chunkOff`, or a hole (chunk undefined). */
export interface Piece<C> {
  off: number;
  len: number;
  chunk: C | undefined;
  chunkOff: number;
}

/** Most extents a record may carry (validation of peer input). */
export const MAX_EXTENTS = 100_000;

const end = (s: { off: number; len: number }): number => s.off + s.len;

/** Span `s` cut to the file bytes [from, to) (assumed to overlap). */
function cut<C>(s: Span<C>, from: number, to: number): Span<C> {
  const a = Math.max(s.off, from);
  const b = Math.min(end(s), to);
  return { off: a, len: b - a, chunk: s.chunk, chunkOff: s.chunkOff + (a - s.off) };
}

/**
 * `top` laid over `base` (both sorted and non-overlapping): every byte `top` covers comes from
 * `top`, the rest from `base`; the result is sorted and non-overlapping. Linear in the inputs.
 */
export function overlay<C>(base: readonly Span<C>[], top: readonly Span<C>[]): Span<C>[] {
  const out: Span<C>[] = [];
  let t = 0;
  for (const b of base) {
    let from = b.off;
    const bEnd = end(b);
    // top spans that start before this base span ends
    while (from < bEnd) {
      while (t < top.length && end(top[t]!) <= from) out.push(top[t++]!);
      const next = top[t];
      if (!next || next.off >= bEnd) {
        out.push(cut(b, from, bEnd));
        break;
      }
      if (next.off > from) out.push(cut(b, from, next.off));
      from = end(next);
      if (from >= bEnd) break;
      out.push(top[t++]!);
    }
  }
  while (t < top.length) out.push(top[t++]!);
  return out;
}

/** The spans cut at `size`: nothing at or beyond it. */
export function clip<C>(spans: readonly Span<C>[], size: number): Span<C>[] {
  const out: Span<C>[] = [];
  for (const s of spans) {
    if (s.off >= size) break;
    out.push(end(s) <= size ? s : cut(s, s.off, size));
  }
  return out;
}

/** The bytes [from, to) as pieces in order: parts of spans, and holes where none covers. */
export function pieces<C>(spans: readonly Span<C>[], from: number, to: number): Piece<C>[] {
  const out: Piece<C>[] = [];
  let at = from;
  // first span that ends after `from` (binary search: spans are sorted)
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (end(spans[mid]!) <= from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < spans.length && at < to; i++) {
    const s = spans[i]!;
    if (s.off >= to) break;
    if (s.off > at) out.push({ off: at, len: s.off - at, chunk: undefined, chunkOff: 0 });
    const c = cut(s, at, to);
    out.push(c);
    at = end(c);
  }
  if (at < to) out.push({ off: at, len: to - at, chunk: undefined, chunkOff: 0 });
  return out;
}

/** An old-style chunk list as spans: chunk k at the sum of the sizes before it. */
export function fromChunks<C extends { size: number }>(chunks: readonly C[]): Span<C>[] {
  let off = 0;
  return chunks.map((c) => {
    const s = { off, len: c.size, chunk: c, chunkOff: 0 };
    off += c.size;
    return s;
  });
}

/** A record's content as spans: its extents, or its chunks in order when it has none. */
export function spansOf<C extends { size: number }>(chunks: readonly C[], extents: readonly Extent[] | undefined): Span<C>[] {
  if (!extents) return fromChunks(chunks);
  return extents.map((e) => ({ off: e.off, len: e.len, chunk: chunks[e.chunk]!, chunkOff: e.chunkOff }));
}

/**
 * Spans as a record stores them: the distinct chunks (by id, in first-use order) and extents
 * indexing them; `extents` is undefined when the spans are whole chunks back to back from 0 to
 * `size`, which the plain `chunks` list already says (readable by every version).
 */
export function toRecord(spans: readonly Span<ChunkRef>[], size: number): { chunks: ChunkRef[]; extents?: Extent[] } {
  const whole = wholeChunks(spans, size);
  if (whole) return { chunks: whole };
  const chunks: ChunkRef[] = [];
  const index = new Map<string, number>();
  const extents = spans.map((s) => {
    let i = index.get(s.chunk.id);
    if (i === undefined) {
      i = chunks.length;
      index.set(s.chunk.id, i);
      chunks.push({ id: s.chunk.id, size: s.chunk.size });
    }
    return { off: s.off, len: s.len, chunk: i, chunkOff: s.chunkOff };
  });
  return { chunks, extents };
}

/** The chunk list when the spans are whole chunks back to back covering [0, size), else undefined. */
export function wholeChunks(spans: readonly Span<ChunkRef>[], size: number): ChunkRef[] | undefined {
  let at = 0;
  for (const s of spans) {
    if (s.off !== at || s.chunkOff !== 0 || s.len !== s.chunk.size) return undefined;
    at += s.len;
  }
  return at === size ? spans.map((s) => ({ id: s.chunk.id, size: s.chunk.size })) : undefined;
}

/**
 * Spans that are not a whole chunk starting at a multiple of `cellBytes` (CHUNK_SIZE): what a
 * compaction would rewrite. A file written whole has none.
 */
export function fragments(spans: readonly Span<{ size: number }>[], cellBytes: number): number {
  let n = 0;
  for (const s of spans) if (s.off % cellBytes !== 0 || s.chunkOff !== 0 || s.len !== s.chunk.size || s.len > cellBytes) n++;
  return n;
}

/** The chunk that is exactly file bytes [from, from+len) (whole, from its start), if one is. */
export function wholeAt<C extends { size: number }>(spans: readonly Span<C>[], from: number, len: number): C | undefined {
  const p = pieces(spans, from, from + len);
  const only = p.length === 1 ? p[0]! : undefined;
  if (!only || only.chunk === undefined || only.chunkOff !== 0 || only.chunk.size !== len) return undefined;
  return only.chunk;
}

/** Byte ranges [off, off+len), sorted, disjoint and not adjacent. */
export type Ranges = { off: number; len: number }[];

/** `ranges` with [from, to) added (merged with what it touches). */
export function addRange(ranges: Ranges, from: number, to: number): Ranges {
  if (to <= from) return ranges;
  const out: Ranges = [];
  let a = from;
  let b = to;
  let placed = false;
  for (const r of ranges) {
    if (end(r) < a) out.push(r);
    else if (r.off > b) {
      if (!placed) out.push({ off: a, len: b - a });
      placed = true;
      out.push(r);
    } else {
      a = Math.min(a, r.off);
      b = Math.max(b, end(r));
    }
  }
  if (!placed) out.push({ off: a, len: b - a });
  return out;
}

/** `ranges` cut at `size`. */
export function clipRanges(ranges: Ranges, size: number): Ranges {
  const out: Ranges = [];
  for (const r of ranges) {
    if (r.off >= size) break;
    out.push(end(r) <= size ? r : { off: r.off, len: size - r.off });
  }
  return out;
}

/** `ranges` split at every multiple of `cellBytes`. */
export function splitRanges(ranges: Ranges, cellBytes: number): Ranges {
  const out: Ranges = [];
  for (const r of ranges) {
    for (let a = r.off; a < end(r);) {
      const b = Math.min(end(r), (Math.floor(a / cellBytes) + 1) * cellBytes);
      out.push({ off: a, len: b - a });
      a = b;
    }
  }
  return out;
}

/** The parts of [from, to) outside `ranges`. */
export function gaps(ranges: Ranges, from: number, to: number): Ranges {
  const out: Ranges = [];
  let at = from;
  for (const r of ranges) {
    if (end(r) <= at) continue;
    if (r.off >= to) break;
    if (r.off > at) out.push({ off: at, len: r.off - at });
    at = Math.max(at, end(r));
  }
  if (at < to) out.push({ off: at, len: to - at });
  return out;
}

/**
 * Why `extents` cannot be the content of `size` bytes over `chunks`, or undefined when they can:
 * at most MAX_EXTENTS, each of 1+ bytes, sorted and non-overlapping, ending by `size`, inside its
 * chunk, and every chunk used by at least one extent (no chunk kept alive by a record that does
 * not read it). Used on peer records (validate.ts) and on commits.
 */
export function extentsProblem(extents: unknown, chunks: readonly { size: number }[], size: number): string | undefined {
  if (!Array.isArray(extents) || extents.length > MAX_EXTENTS) return `must be an array of at most ${MAX_EXTENTS}`;
  const used = new Uint8Array(chunks.length);
  let at = 0;
  for (const [i, e] of extents.entries()) {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return `[${i}] must be an object`;
    const keys = Object.keys(e);
    if (keys.length !== 4 || !['off', 'len', 'chunk', 'chunkOff'].every((k) => keys.includes(k))) return `[${i}] must have exactly off, len, chunk, chunkOff`;
    const { off, len, chunk, chunkOff } = e as Record<string, unknown>;
    if (![off, len, chunk, chunkOff].every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) return `[${i}] must have non-negative integers`;
    const x = e as Extent;
    if (x.len < 1) return `[${i}].len must be at least 1`;
    if (x.off < at) return `[${i}] must start at or after the end of the one before (${at})`;
    if (x.chunk >= chunks.length) return `[${i}].chunk must index the content's chunks`;
    if (x.chunkOff + x.len > chunks[x.chunk]!.size) return `[${i}] must lie inside its chunk`;
    at = x.off + x.len;
    used[x.chunk] = 1;
  }
  if (at > size) return `must end by the size (${size})`;
  if (used.some((u) => u === 0)) return 'must use every chunk of the content';
  return undefined;
}
