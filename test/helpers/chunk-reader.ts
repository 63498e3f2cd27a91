/** The bytes of a chunkserver store's ChunkReader, streamed or in memory (tests). */
import type { ChunkReader } from '../../src/chunkserver/store.js';

export async function readerBytes(r: ChunkReader): Promise<Buffer> {
  if ('bytes' in r) return r.bytes;
  const parts: Buffer[] = [];
  for await (const p of r.stream) parts.push(p as Buffer);
  return Buffer.concat(parts);
}
