/**
 * The trash's expiry sweep on a timer: every `intervalMs` (REPAIR_INTERVAL) the namespace's trash
 * unlinks what is due (src/meta/trash.ts dueForExpiry), at most SWEEP_BATCH entries a round; a
 * full round runs again at once on the next tick. Entries removed on another controller are left
 * to it for `slackMs` more. A round reads only expired entries (the store's index by expiry
 * time, MetadataStore.trashExpiring). Nothing here decides; start/stop only.
 */
import type { Logger } from '../common/logger.js';
import type { Trash } from './trash.js';

/** Entries unlinked per round (one transaction per owner). */
export const SWEEP_BATCH = 1000;

export interface TrashSweeper {
  start(): void;
  stop(): void;
  /** One round now (tests); returns how many entries it unlinked. */
  sweepNow(): number;
}

export function createTrashSweeper(c: { trash: Trash; logger: Logger; intervalMs: number; slackMs: number }): TrashSweeper {
  const log = c.logger.child({ component: 'trash' });
  let timer: NodeJS.Timeout | undefined;
  const sweepNow = (): number => {
    const n = c.trash.sweep(SWEEP_BATCH, c.slackMs);
    if (n > 0) log.info({ entries: n }, 'Trash entries expired');
    return n;
  };
  const round = (): void => {
    try {
      if (sweepNow() >= SWEEP_BATCH) timer?.refresh();
    } catch (err) {
      log.warn({ err }, 'Trash sweep failed');
    }
  };
  return {
    start() {
      if (!c.trash.enabled || timer) return;
      timer = setInterval(round, Math.max(100, c.intervalMs));
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    sweepNow,
  };
}
