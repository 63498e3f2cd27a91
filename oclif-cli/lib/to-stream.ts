/**
 * `download NAME -`: a file's bytes to a stream (stdout) in order. Up to `aheadChunks` chunks are
 * fetched ahead (each verified by hash by fetchChunk, replica failover included) and written in
 * file order, waiting for 'drain', so memory stays at a few chunks. On any failure the bytes
 * already written stay written (a pipe cannot take them back) and the error says so. A reader
 * that went away (EPIPE: `| head`) ends the download quietly, as it ends `cat`.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EntryInfo, ReadPlan, ReadPlanChunk } from '../../src/common/api.js';
import { extentPieces, PIECE_BYTES } from '../../src/client/extent-download.js';
import { errors } from '../../src/common/errors.js';
import type { Progress, RedCloudClient } from '../../src/client/types.js';
import { inlineBytes } from '../../src/client/download.js';

export const AHEAD_CHUNKS = 4;

export async function downloadToStream(
  client: Pick<RedCloudClient, 'readPlan' | 'fetchChunk'> & Partial<Pick<RedCloudClient, 'fetchRange'>>, remote: string, out: Writable,
  o: { signal?: AbortSignal; onProgress?: (p: Progress) => void; aheadChunks?: number } = {},
): Promise<EntryInfo> {
  const plan = await client.readPlan(remote, { signal: o.signal });
  if (plan.entry.kind !== 'file') throw errors.isDir(`Not a file: ${plan.entry.path}`, { path: plan.entry.path });
  const inline = inlineBytes(plan);
  if (inline) {
    await writeInline(out, inline, o.signal);
    o.onProgress?.({ doneBytes: inline.length, totalBytes: plan.entry.size });
    return plan.entry;
  }
  const chunks = plan.extents ? [] : [...plan.chunks].sort((a, b) => a.offset - b.offset);
  let pos = 0;
  for (const c of chunks) {
    if (c.offset !== pos) throw errors.integrity(`Read plan of ${plan.entry.path} has a gap or overlap at byte ${pos}`);
    pos += c.size;
  }
  if (!plan.extents && pos !== plan.entry.size) throw errors.integrity(`Read plan of ${plan.entry.path} covers ${pos} bytes of ${plan.entry.size}`);
  if (plan.extents && !client.fetchRange) throw errors.invalid(`${plan.entry.path} is in extents; a range reader is needed`);
  // a file in extents: its pieces in file order (verified ranges), holes as zeros
  const fetches: ((signal: AbortSignal) => Promise<Buffer>)[] = plan.extents
    ? streamPieces(plan).map((p) => (p.chunk ? (signal) => client.fetchRange!(p.chunk!, p.from, p.to, { signal }) : async () => Buffer.alloc(p.to - p.from)))
    : chunks.map((c) => (signal) => client.fetchChunk(c, { signal }));
  const ahead = Math.max(1, o.aheadChunks ?? AHEAD_CHUNKS);
  // ends the fetches still ahead when the download stops early
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  let doneBytes = 0;
  let failed: Error | undefined;
  const onError = (err: Error): void => {
    failed = err;
  };
  out.on('error', onError);
  const readerGone = (): boolean => (failed as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
  try {
    for (let i = 0; i < fetches.length; i++) {
      while (next < fetches.length && next < i + ahead) {
        const p = fetches[next++]!(signal);
        p.catch(() => undefined); // awaited in order below; a later one failing first is not unhandled
        pending.push(p);
      }
      const buf = await pending.shift()!;
      if (failed) break;
      // once() also rejects on 'error' (a closed pipe), so a reader gone never hangs the wait
      if (!out.write(buf) && !failed) await once(out, 'drain', { signal: o.signal }).catch((err: unknown) => { failed ??= err as Error; });
      if (failed) break;
      doneBytes += buf.length;
      o.onProgress?.({ doneBytes, totalBytes: plan.entry.size });
    }
    if (failed && !readerGone()) throw failed;
  } finally {
    stop.abort();
    out.off('error', onError);
  }
  return plan.entry;
}

/** A file in extents as pieces in order: chunk ranges (extent-download.ts) and the holes between them. */
function streamPieces(plan: ReadPlan): { chunk?: ReadPlanChunk; from: number; to: number }[] {
  const out: { chunk?: ReadPlanChunk; from: number; to: number }[] = [];
  let at = 0;
  const hole = (to: number): void => {
    for (; at < to; at = Math.min(to, at + PIECE_BYTES)) out.push({ from: 0, to: Math.min(to, at + PIECE_BYTES) - at });
  };
  for (const p of extentPieces(plan)) {
    hole(p.off);
    out.push(p);
    at = p.off + p.to - p.from;
  }
  hole(plan.entry.size);
  return out;
}

/** A small file's inline bytes to `out` (one write; a reader gone, EPIPE, ends it quietly). */
async function writeInline(out: Writable, data: Buffer, signal?: AbortSignal): Promise<void> {
  let failed: Error | undefined;
  const onError = (err: Error): void => {
    failed = err;
  };
  out.on('error', onError);
  try {
    if (!out.write(data) && !failed) await once(out, 'drain', { signal }).catch((err: unknown) => { failed ??= err as Error; });
  } finally {
    out.off('error', onError);
  }
  if (failed && (failed as NodeJS.ErrnoException).code !== 'EPIPE') throw failed;
}
