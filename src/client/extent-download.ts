/**
 * Writing a file in extents (src/meta/extents.ts) to a local file handle: each extent's chunk
 * range is fetched in pieces of at most PIECE_BYTES (fetchRange verifies every block it returns),
 * a few at a time, and written at its file offset; holes stay zeros (the caller truncates to the
 * size). Memory stays at `concurrency` pieces whatever the file size.
 */
import type { FileHandle } from 'node:fs/promises';
import PQueue from 'p-queue';
import type { ReadPlan, ReadPlanChunk } from '../common/api.js';
import { errors } from '../common/errors.js';
import { allOrAbort } from './all-or-abort.js';
import { extentsProblem, spansOf } from '../meta/extents.js';
import type { Progress } from './types.js';

/** Most bytes fetched in one range request of a download in extents. */
export const PIECE_BYTES = 4 * 1024 * 1024;

export type FetchRange = (chunk: ReadPlanChunk, from: number, to: number, signal: AbortSignal) => Promise<Buffer>;

/** The pieces to fetch: [file offset, chunk, from, to) in file order. Pure. */
export function extentPieces(plan: ReadPlan, pieceBytes = PIECE_BYTES): { off: number; chunk: ReadPlanChunk; from: number; to: number }[] {
  const problem = extentsProblem(plan.extents, plan.chunks, plan.entry.size);
  if (problem) throw errors.integrity(`Read plan of ${plan.entry.path}: extents ${problem}`);
  const out: { off: number; chunk: ReadPlanChunk; from: number; to: number }[] = [];
  for (const s of spansOf(plan.chunks, plan.extents)) {
    for (let at = 0; at < s.len; at += pieceBytes) {
      const n = Math.min(pieceBytes, s.len - at);
      out.push({ off: s.off + at, chunk: s.chunk, from: s.chunkOff + at, to: s.chunkOff + at + n });
    }
  }
  return out;
}

export async function writeExtents(
  plan: ReadPlan, fh: FileHandle, fetchRange: FetchRange, concurrency: number,
  opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void },
): Promise<void> {
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([abort.signal, opts.signal]) : abort.signal;
  const queue = new PQueue({ concurrency });
  let doneBytes = 0;
  const tasks = extentPieces(plan).map((p) =>
    queue.add(async () => {
      const data = await fetchRange(p.chunk, p.from, p.to, signal);
      if (data.length !== p.to - p.from) throw errors.integrity(`Chunk ${p.chunk.id} gave ${data.length} bytes of ${p.to - p.from}`);
      await fh.write(data, 0, data.length, p.off);
      doneBytes += data.length;
      opts.onProgress?.({ doneBytes, totalBytes: plan.entry.size });
    }, { signal }),
  );
  await allOrAbort(tasks, abort, opts.signal);
}
