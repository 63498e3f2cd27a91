/**
 * Cuts data into chunks of exactly `chunkSizeBytes` (the last one shorter; none when empty): a
 * byte stream, or a local file read straight into each chunk's buffer (no intermediate pieces to
 * join). Both pull only as fast as the consumer takes chunks, so memory stays at about one chunk.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { BufferPool } from '../common/buffer-pool.js';
import { errors } from '../common/errors.js';

export async function* chunkStream(source: Readable | AsyncIterable<Uint8Array>, chunkSizeBytes: number): AsyncGenerator<Buffer> {
  if (!Number.isInteger(chunkSizeBytes) || chunkSizeBytes < 1) throw errors.invalid(`Invalid chunk size ${chunkSizeBytes}`);
  let parts: Buffer[] = [];
  let held = 0;
  for await (const piece of source as AsyncIterable<Uint8Array | string>) {
    let buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (buf.length > 0) {
      const take = Math.min(chunkSizeBytes - held, buf.length);
      parts.push(buf.subarray(0, take));
      held += take;
      buf = buf.subarray(take);
      if (held === chunkSizeBytes) {
        // copy so the chunk does not pin the source's (possibly larger) buffers
        yield Buffer.concat(parts, held);
        parts = [];
        held = 0;
      }
    }
  }
  if (held > 0) yield Buffer.concat(parts, held);
}

/**
 * Reads a local file chunk by chunk, each straight into its own buffer: a new one, or one taken
 * from `pool` (of chunkSizeBytes buffers) that the consumer gives back when done with it.
 */
export async function* fileChunks(path: string, chunkSizeBytes: number, pool?: BufferPool): AsyncGenerator<Buffer> {
  if (!Number.isInteger(chunkSizeBytes) || chunkSizeBytes < 1) throw errors.invalid(`Invalid chunk size ${chunkSizeBytes}`);
  const fh = await open(path, 'r');
  try {
    for (let position = 0; ; ) {
      const buf = pool ? pool.take() : Buffer.allocUnsafe(chunkSizeBytes);
      let filled = 0;
      while (filled < chunkSizeBytes) {
        const { bytesRead } = await fh.read(buf, filled, chunkSizeBytes - filled, position);
        if (bytesRead === 0) break;
        filled += bytesRead;
        position += bytesRead;
      }
      if (filled > 0) yield filled === chunkSizeBytes ? buf : buf.subarray(0, filled);
      if (filled < chunkSizeBytes) return;
    }
  } finally {
    await fh.close();
  }
}
