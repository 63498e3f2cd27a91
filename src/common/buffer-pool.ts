/**
 * A free list of equal-sized Buffers, so steady streams of large copies (the bytes of every FUSE
 * write, chunks read back for upload, chunks downloaded to a file) reuse memory instead of
 * allocating a new ArrayBuffer each time: every new one counts as external memory, and V8 answers a stream of them
 * with a full garbage collection every few dozen MiB. Only a buffer nobody still reads may be given
 * back. Pure, no I/O.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  readonly stats = { reused: 0, allocated: 0 };

  constructor(readonly sizeBytes: number, readonly maxFree: number) {}

  /** A buffer of exactly sizeBytes with undefined contents. */
  take(): Buffer {
    const reused = this.free.pop();
    if (reused) {
      this.stats.reused++;
      return reused;
    }
    this.stats.allocated++;
    return Buffer.allocUnsafeSlow(this.sizeBytes);
  }

  /** Returns a buffer taken from this pool; extra buffers beyond maxFree are left to the GC. */
  give(buf: Buffer): void {
    if (buf.length === this.sizeBytes && this.free.length < this.maxFree) this.free.push(buf);
  }

  get freeCount(): number {
    return this.free.length;
  }
}
