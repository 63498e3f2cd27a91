/**
 * A free list of equal-sized Buffers, so steady streams of large copies (the bytes of every FUSE
 * write, chunks read back for upload, chunks downloaded to a file) reuse memory instead of
 * allocating a new ArrayBuffer each time: every new one counts as external memory, and V8 answers a stream of them
 * with a full garbage collection every few dozen MiB. Only a buffer nobody still reads may be given
 * back. Pure, no I/O.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  /** the memory of every buffer this pool made: only those come back */
  private readonly own = new WeakSet<ArrayBufferLike>();
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
    const made = Buffer.allocUnsafeSlow(this.sizeBytes);
    this.own.add(made.buffer);
    return made;
  }

  /**
   * Returns a buffer taken from this pool, or any view of one (a short last chunk): the whole
   * buffer goes back. Other buffers, and extra ones beyond maxFree, are left to the GC.
   */
  give(buf: Buffer): void {
    if (!this.own.has(buf.buffer) || this.free.length >= this.maxFree) return;
    if (this.free.some((f) => f.buffer === buf.buffer)) return; // given twice: once is enough
    this.free.push(Buffer.from(buf.buffer, 0, this.sizeBytes));
  }

  /** Whether `buf` (or the buffer it is a view of) was made by this pool. */
  owns(buf: Buffer): boolean {
    return this.own.has(buf.buffer);
  }

  get freeCount(): number {
    return this.free.length;
  }
}
