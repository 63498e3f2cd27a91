/**
 * A pass-through step for serving a whole chunk that checks its id (in its format) on the way
 * out. It holds back the last piece until the whole chunk has hashed: if the bytes no longer
 * match the id, the stream fails before the reader got the complete body (so a rotten replica is
 * never served whole), and `onCorrupt` is told.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { ChunkHasher, type ChunkFormat } from '../common/chunk-format.js';
import { errors } from '../common/errors.js';

export class VerifyingStream extends Transform {
  private readonly hash: ChunkHasher;
  private held: Buffer | undefined;

  constructor(private readonly id: string, private readonly onCorrupt: (id: string) => void, format: ChunkFormat = 'sha256') {
    super({ highWaterMark: 1 << 20 });
    this.hash = new ChunkHasher(format);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    if (this.held) this.push(this.held);
    this.held = chunk;
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.hash.digestHex() !== this.id) {
      this.onCorrupt(this.id);
      cb(errors.integrity('Stored chunk no longer matches its hash', { id: this.id }));
      return;
    }
    if (this.held) this.push(this.held);
    cb();
  }
}
