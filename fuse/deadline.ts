/**
 * Per-operation deadlines: every FUSE operation runs with an AbortSignal that fires after its
 * timeout (or at shutdown), and the wrapper stops waiting at that moment even if the work ignores
 * the signal, so an operation fails with ETIMEDOUT instead of hanging the kernel request.
 */
import { RedCloudError, errors, toRedCloudError } from '../src/common/errors.js';

/** Runs `work(signal)`; rejects with TIMEOUT after `timeoutMs`, ABORTED if `shutdown` fires. */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  shutdown?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onShutdown: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = errors.timeout(`${what} timed out after ${timeoutMs} ms`, { timeoutMs });
      controller.abort(err);
      reject(err);
    }, timeoutMs);
    if (shutdown) {
      onShutdown = () => {
        const err = errors.aborted(`${what} aborted: unmounting`);
        controller.abort(err);
        reject(err);
      };
      if (shutdown.aborted) onShutdown();
      else shutdown.addEventListener('abort', onShutdown, { once: true });
    }
  });
  stop.catch(() => undefined);
  try {
    return await Promise.race([work(controller.signal), stop]);
  } catch (err) {
    throw err instanceof RedCloudError ? err : toRedCloudErrorKeepingOthers(err);
  } finally {
    clearTimeout(timer);
    if (shutdown && onShutdown) shutdown.removeEventListener('abort', onShutdown);
  }
}

/** Abort/timeout errors become RedCloudErrors; other errors pass unchanged (the errno wrapper decides). */
function toRedCloudErrorKeepingOthers(err: unknown): unknown {
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') return toRedCloudError(err);
  return err;
}
