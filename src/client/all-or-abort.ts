/**
 * The end of a parallel download: every task awaited, the first failure aborting the others.
 */
import { throwIfAborted } from '../common/http-client.js';

/**
 * Waits for every task of a download; the first failure aborts the rest (through `abort`) and is
 * thrown once they have all ended, unless the caller's own signal was what stopped it.
 */
export async function allOrAbort(tasks: Promise<unknown>[], abort: AbortController, callerSignal: AbortSignal | undefined): Promise<void> {
  try {
    await Promise.all(tasks);
  } catch (err) {
    abort.abort(err);
    await Promise.allSettled(tasks);
    throwIfAborted(callerSignal, 'Download');
    throw err;
  }
}
