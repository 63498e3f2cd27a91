/**
 * A pass-through step for serving a chunk that checks its SHA-256 on the way out. It holds back
 * the last piece until the whole chunk has hashed: if the bytes no longer match the id, the
 * stream fails before the reader got the complete body (so a rotten replica is never served
 * whole), and `onCorrupt` is told.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { errors } from '../common/errors.js';

export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private held: Buffer | undefined;

  constructor(private readonly id: string, private readonly onCorrupt: (id: string) => void) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    if (this.held) this.push(this.held);
    this.held = chunk;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.hash.digest('hex') !== this.id) {
      this.onCorrupt(this.id);
      cb(errors.integrity('Stored chunk no longer matches its hash', { id: this.id }));
      return;
    }
    if (this.held) this.push(this.held);
    cb();
  }
}
