/**
 * Per-operation deadlines: every FUSE operation runs with an AbortSignal that fires after its
 * timeout (or at shutdown), and the wrapper stops waiting at that moment even if the work ignores
 * the signal, so an operation fails with ETIMEDOUT instead of hanging the kernel request.
 *
 * Operations that start within SLOT_MS of each other with the same timeout share one deadline
 * slot: one AbortController and one timer, firing SLOT_MS after the latest of them could have
 * expired (so each gets at least its timeout, at most SLOT_MS more). A controller and a timer per
 * operation were a quarter of the mount's CPU for operations answered from its cache (a stat loop,
 * `ls -l`).
 */
import { setMaxListeners } from 'node:events';
import { RedCloudError, errors, toRedCloudError } from '../src/common/errors.js';

/** Operations starting within this window share a deadline slot. */
export const SLOT_MS = 50;

interface Slot {
  controller: AbortController;
  /** operations still running in the slot: what to call when it fires */
  waiters: Set<(err: RedCloudError) => void>;
  /** new operations join until then (ms) */
  openUntil: number;
  timer: NodeJS.Timeout;
  /** the error the slot fired with, and why */
  fired?: { err: RedCloudError; why: 'timeout' | 'shutdown' };
}

export class Deadlines {
  private readonly open = new Map<number, Slot>();
  private readonly live = new Set<Slot>();
  private stopped = false;

  constructor(shutdown?: AbortSignal, private readonly nowMs: () => number = Date.now) {
    if (shutdown?.aborted) this.stopped = true;
    else shutdown?.addEventListener('abort', () => {
      this.stopped = true;
      for (const slot of [...this.live]) this.fire(slot, 'shutdown', 0);
    }, { once: true });
  }

  /** Runs `work(signal)`; rejects with TIMEOUT after `timeoutMs` (up to SLOT_MS more), ABORTED at shutdown. */
  async run<T>(what: string, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const slot = this.slotFor(timeoutMs);
    try {
      return await new Promise<T>((resolve, reject) => {
        if (slot.fired) return reject(slot.fired.err); // after shutdown
        const fail = (err: RedCloudError): void => reject(err);
        const leave = (): void => {
          slot.waiters.delete(fail);
          if (slot.waiters.size === 0) slot.timer.unref();
        };
        // the timer holds the process only while an operation of the slot runs
        if (slot.waiters.size === 0) slot.timer.ref();
        slot.waiters.add(fail);
        work(slot.controller.signal).then((v) => { leave(); resolve(v); }, (err: unknown) => { leave(); reject(err); });
      });
    } catch (err) {
      // the slot's own error (or the work's, caused by the slot's signal) names this operation
      if (slot.fired?.why === 'timeout') throw errors.timeout(`${what} timed out after ${timeoutMs} ms`, { timeoutMs });
      if (slot.fired?.why === 'shutdown') throw errors.aborted(`${what} aborted: unmounting`);
      throw err instanceof RedCloudError ? err : toRedCloudErrorKeepingOthers(err);
    }
  }

  private slotFor(timeoutMs: number): Slot {
    const now = this.nowMs();
    const held = this.open.get(timeoutMs);
    if (held && now < held.openUntil) return held;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // every request of the slot's operations listens to it
    const slot: Slot = { controller, waiters: new Set(), openUntil: now + SLOT_MS, timer: undefined as unknown as NodeJS.Timeout };
    slot.timer = setTimeout(() => this.fire(slot, 'timeout', timeoutMs), timeoutMs + SLOT_MS);
    slot.timer.unref();
    this.open.set(timeoutMs, slot);
    this.live.add(slot);
    if (this.stopped) this.fire(slot, 'shutdown', 0);
    return slot;
  }

  private fire(slot: Slot, why: 'timeout' | 'shutdown', timeoutMs: number): void {
    clearTimeout(slot.timer);
    this.live.delete(slot);
    for (const [k, s] of this.open) if (s === slot) this.open.delete(k);
    const err = why === 'timeout' ? errors.timeout(`timed out after ${timeoutMs} ms`, { timeoutMs }) : errors.aborted('aborted: unmounting');
    slot.fired = { err, why };
    slot.controller.abort(err);
    for (const fail of slot.waiters) fail(err);
    slot.waiters.clear();
  }
}

/** Abort/timeout errors become RedCloudErrors; other errors pass unchanged (the errno wrapper decides). */
function toRedCloudErrorKeepingOthers(err: unknown): unknown {
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') return toRedCloudError(err);
  return err;
}
