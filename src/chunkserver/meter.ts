/**
 * A pass-through stream step that hashes (SHA-256) and counts the bytes going by, and lets the
 * caller refuse the stream as it grows (size cap, capacity). The only per-chunk JS work on the
 * data path besides hashing itself.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashMeter extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private readonly check: (totalBytes: number) => void;

  /** `check(totalBytes)` runs after each piece and may throw a RedCloudError to stop the stream. */
  constructor(check: (totalBytes: number) => void = () => {}) {
    super({ highWaterMark: 1 << 20 });
    this.check = check;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    try {
      this.check(this.bytes);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  digestHex(): string {
    return this.hash.digest('hex');
  }
}
