/**
 * Which pieces of which chunks hold the file's bytes [offset, end): the one place the read path
 * maps file offsets to chunk ranges (today the plan's chunks lie end to end; a file made of
 * extents changes only this function). Pure.
 */
import type { ReadPlanChunk } from '../src/common/api.js';
import { chunkIndexAt } from './chunk-cache.js';

export interface ChunkPiece {
  chunk: ReadPlanChunk;
  /** index of the chunk in the plan (read-ahead continues after it) */
  index: number;
  /** byte range [from, to) inside the chunk */
  from: number;
  to: number;
}

/** The pieces covering [offset, end) in file order; [] when nothing there is in a chunk. */
export function coveringPieces(chunks: readonly ReadPlanChunk[], offset: number, end: number): ChunkPiece[] {
  if (offset >= end) return [];
  const first = chunkIndexAt(chunks, offset);
  const last = chunkIndexAt(chunks, end - 1);
  if (first < 0 || last < 0) return [];
  const out: ChunkPiece[] = [];
  for (let i = first; i <= last; i++) {
    const c = chunks[i]!;
    out.push({ chunk: c, index: i, from: Math.max(offset, c.offset) - c.offset, to: Math.min(end, c.offset + c.size) - c.offset });
  }
  return out;
}
