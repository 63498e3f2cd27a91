/**
 * Cuts a byte stream into chunks of exactly `chunkSizeBytes` (the last one shorter; none for an
 * empty stream). Pulls from the source only as fast as the consumer takes chunks, so memory stays
 * at about one chunk plus the stream's own buffer.
 */
import type { Readable } from 'node:stream';
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
