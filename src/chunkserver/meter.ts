/**
 * A pass-through stream step that hashes (in the chunk's format: chunk-format.ts) and counts the
 * bytes going by, and lets the caller refuse the stream as it grows (size cap, capacity). The
 * only per-chunk JS work on the data path besides hashing itself.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ChunkHasher, type ChunkFormat } from '../common/chunk-format.js';

export class HashMeter extends Transform {
  readonly hash: ChunkHasher;
  private readonly check: (totalBytes: number) => void;

  /** `check(totalBytes)` runs after each piece and may throw a RedCloudError to stop the stream. */
  constructor(check: (totalBytes: number) => void = () => {}, format: ChunkFormat = 'sha256') {
    super({ highWaterMark: 1 << 20 });
    this.check = check;
    this.hash = new ChunkHasher(format);
  }

  get bytes(): number {
    return this.hash.bytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.check(this.hash.bytes + chunk.length);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  digestHex(): string {
    return this.hash.digestHex();
  }
}
