/**
 * Is a reader sequential? The kernel sends a sequential reader's pages as reads of up to
 * max_read (1 MiB), several in flight (async_read), so they arrive a little out of order; a
 * random reader's reads land anywhere. A read "continues" the last one when it starts within
 * `windowBytes` of where the last one ended; the reader counts as sequential only after
 * `streak` reads in a row continued, so a random 4 KiB read that happens to land near the last
 * one (likely in a small file) does not start a whole-chunk fetch and read-ahead: it fetches
 * only the 64 KiB blocks it covers. Pure (no clock, no I/O).
 */

/** Default window: two max_read pieces either side (async reads arrive out of order by about that). */
export const SEQ_WINDOW_BYTES = 2 * 1024 * 1024;
/** Reads in a row that must continue the previous one before read-ahead starts. */
export const SEQ_STREAK = 2;

export class ReadPattern {
  private lastEnd: number | undefined;
  private run = 0;

  constructor(private readonly windowBytes = SEQ_WINDOW_BYTES, private readonly streak = SEQ_STREAK) {}

  /** Records a read of [offset, end); true when the reader is sequential (read ahead of it). */
  observe(offset: number, end: number): boolean {
    const continues = this.lastEnd === undefined ? offset === 0 : Math.abs(offset - this.lastEnd) <= this.windowBytes;
    this.run = continues ? this.run + 1 : 0;
    // out-of-order arrivals must not pull the end back (the reader's front is the furthest end)
    this.lastEnd = continues && this.lastEnd !== undefined ? Math.max(this.lastEnd, end) : end;
    return this.run >= this.streak;
  }
}

/** `items` rotated left by `k` (the read-ahead of the k-th chunk starts at its k-th replica). Pure. */
export function rotated<T>(items: readonly T[], k: number): T[] {
  if (items.length < 2) return [...items];
  const s = ((k % items.length) + items.length) % items.length;
  return [...items.slice(s), ...items.slice(0, s)];
}
