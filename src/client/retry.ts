/**
 * Retrying writes the cluster cannot take yet (UNAVAILABLE: no controller, or fewer than
 * WRITE_QUORUM chunkservers, e.g. while the daemons come up), as MooseFS's mount does: a bounded
 * number of tries with a doubling pause, all within the caller's signal (the operation deadline).
 * Other errors, and the last UNAVAILABLE, are thrown as they came.
 */
import { toRedCloudError } from '../common/errors.js';

export interface RetryOptions {
  signal: AbortSignal;
  /** tries in all (default 30) */
  tries?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (err: Error, attempt: number, delayMs: number) => void;
  /** resolves after ms, or false once `signal` aborts (injected by tests) */
  sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

/** The pause before try `attempt + 1` (attempt counts from 1): first, doubled each time, at most max. Pure. */
export function retryDelayMs(attempt: number, firstDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, firstDelayMs * 2 ** Math.min(attempt - 1, 30));
}

export async function retryUnavailable<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const tries = o.tries ?? 30;
  const sleep = o.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const e = toRedCloudError(err);
      if (e.code !== 'UNAVAILABLE' || attempt >= tries || o.signal.aborted) throw err;
      const delayMs = retryDelayMs(attempt, o.firstDelayMs ?? 200, o.maxDelayMs ?? 2000);
      o.onRetry?.(e, attempt, delayMs);
      if (!(await sleep(delayMs, o.signal))) throw err;
    }
  }
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
