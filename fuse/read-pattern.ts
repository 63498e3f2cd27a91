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

/**
 * A chunk of at most this many bytes is fetched whole by a read that starts at its first byte,
 * even before the reader counts as sequential: one GET instead of a block list and a range
 * (two round trips), and the rest of a small file is then in RAM for the reads that follow (the
 * kernel's read-ahead window is 1 MiB, so a reader from the start soon asks for it). Bounded:
 * such a read moves at most 1 MiB.
 */
export const WHOLE_SMALL_CHUNK_BYTES = 1024 * 1024;

/** Whether a read of a chunk's bytes from `from` fetches the chunk whole (vs. the blocks it covers). Pure. */
export function fetchWhole(sequential: boolean, from: number, chunkSize: number): boolean {
  return sequential || (from === 0 && chunkSize <= WHOLE_SMALL_CHUNK_BYTES);
}

/** `items` rotated left by `k` (the read-ahead of the k-th chunk starts at its k-th replica). Pure. */
export function rotated<T>(items: readonly T[], k: number): T[] {
  if (items.length < 2) return [...items];
  const s = ((k % items.length) + items.length) % items.length;
  return [...items.slice(s), ...items.slice(0, s)];
}
