/**
 * The client's side of small files inline (src/meta/inline.ts): telling a small upload from a large
 * one without reading more than one chunk ahead, and reading a controller's refusal of an inline
 * commit (so the upload falls back to chunks). Pure apart from pulling from the given stream.
 */
import type { ReadPlanChunk } from '../common/api.js';
import { RedCloudError, errors } from '../common/errors.js';
import { INLINE_CHUNKS_MAX_BYTES, inlineChunkProblem } from '../meta/inline.js';

async function* prepend(items: Buffer[], rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield* items;
  yield* rest;
}

/**
 * Reads the first chunk of `source`, and the next only if the first `fits`: `data` is the whole
 * stream when it is one chunk that fits (a small file), and `rest` yields the stream unchanged
 * from its start either way (for chunk uploads, or a fallback after a refused inline commit).
 */
export async function smallStream(source: AsyncGenerator<Buffer>, fits: (sizeBytes: number) => boolean): Promise<{ data?: Buffer; rest: AsyncGenerator<Buffer> }> {
  const first = await source.next();
  if (first.done) return { rest: prepend([], source) };
  if (!fits(first.value.length)) return { rest: prepend([first.value], source) };
  const second = await source.next();
  if (second.done) return { data: first.value, rest: prepend([first.value], source) };
  return { rest: prepend([first.value, second.value], source) };
}

/**
 * The inline limit a refused inline commit of `sizeBytes` tells: the controller's INLINE_MAX
 * (413 TOO_LARGE with { inlineMax }), 0 for a controller without inline files (its schema refuses
 * the field), undefined for any other error (not a refusal of inlining: the caller throws it).
 */
export function inlineRefusal(err: unknown, sizeBytes: number): number | undefined {
  if (!(err instanceof RedCloudError)) return undefined;
  if (err.code === 'TOO_LARGE') {
    const max = Number(err.info?.inlineMax);
    return Number.isInteger(max) && max >= 0 ? Math.min(max, sizeBytes - 1) : undefined;
  }
  if (refusesField(err)) return 0;
  return undefined;
}

/** A controller's schema refused a field it does not know (an older controller: 400 INVALID, additional properties). */
export const refusesField = (err: unknown): boolean =>
  err instanceof RedCloudError && err.code === 'INVALID' && /additional properties/i.test(err.message);

/**
 * The bytes of an inline chunk of a read plan (ReadPlanChunk.inline: from the inode record, no
 * chunkserver), verified against its id and size; INTEGRITY when they do not match.
 */
export function inlineChunkData(chunk: ReadPlanChunk): Buffer {
  const problem = inlineChunkProblem(chunk.id, chunk.inline, chunk.size, INLINE_CHUNKS_MAX_BYTES);
  if (problem) throw errors.integrity(`Inline chunk ${chunk.id} of the read plan ${problem}`, { chunkId: chunk.id });
  return Buffer.from(chunk.inline!, 'base64');
}
