/**
 * A counting semaphore that bounds how many chunks a transfer holds in memory. `acquire` waits for
 * a free slot and rejects with ABORTED/TIMEOUT when the signal fires while waiting.
 */
import { throwIfAborted } from '../common/http-client.js';

export class Semaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  available(): number {
    return this.free;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal, 'Transfer');
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        try {
          throwIfAborted(signal, 'Transfer');
        } catch (err) {
          reject(err);
        }
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}
