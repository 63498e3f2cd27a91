/**
 * A pass-through for a PUT body that calls `onStall` when the sender has sent nothing for
 * `stallMs` (PUT_STALL_TIMEOUT) although the guard was ready for more: time spent waiting on the
 * disk (backpressure downstream) does not count. The caller cuts the connection, which ends the
 * store's pipeline and frees the space the body had taken.
 */
import { Transform, type TransformCallback } from 'node:stream';

export class StallGuard extends Transform {
  private timer: NodeJS.Timeout;
  private armed = true;

  constructor(private readonly stallMs: number, private readonly onStall: () => void) {
    super({ highWaterMark: 1 << 20 });
    this.timer = this.arm();
  }

  private arm(): NodeJS.Timeout {
    const t = setTimeout(() => {
      // Downstream is the slow one: the sender is not to blame.
      if (!this.armed) return;
      if (this.readableLength >= this.readableHighWaterMark) this.timer = this.arm();
      else this.onStall();
    }, this.stallMs);
    t.unref();
    return t;
  }

  /** The PUT is over (stored or refused): never fire. */
  disarm(): void {
    clearTimeout(this.timer);
    this.armed = false;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    clearTimeout(this.timer);
    if (this.armed) this.timer = this.arm();
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    clearTimeout(this.timer);
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    cb(err);
  }
}
