/**
 * How long one replica attempt of a read may take (pure): a share of what is left of the
 * operation's deadline, split evenly over the attempts left, so a blackholed first replica costs
 * at most its share and the last replica gets whatever remains. A floor keeps a share long enough
 * to do anything (never past the deadline), a cap is the per-request timeout.
 */
export interface ShareOptions {
  /** shortest share, ms, unless less than that remains */
  floorMs: number;
  /** longest share, ms (REQUEST_TIMEOUT) */
  capMs: number;
}

/** Shortest replica attempt inside a read's deadline (unless less remains). */
export const ATTEMPT_FLOOR_MS = 500;

/** The timeout of the next attempt: min(cap, remaining, max(floor, remaining / attemptsLeft)); 0 once nothing remains. */
export function attemptTimeoutMs(remainingMs: number, attemptsLeft: number, o: ShareOptions): number {
  if (!(remainingMs > 0)) return 0;
  const share = remainingMs / Math.max(1, Math.floor(attemptsLeft));
  return Math.floor(Math.min(o.capMs, remainingMs, Math.max(o.floorMs, share)));
}
