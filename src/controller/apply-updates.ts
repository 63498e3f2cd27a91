/**
 * Applies updates received from peers (gossip, anti-entropy) to the store and logs each conflict
 * that last-write-wins resolved as `Resolved conflict` with both versions. For the gossip service.
 */
import type { Logger } from '../common/logger.js';
import type { Update } from '../meta/types.js';
import type { MetadataStore } from './metadata-store.js';

export interface ApplySummary {
  applied: number;
  changed: number;
  conflicts: number;
}

export function applyUpdates(store: MetadataStore, logger: Logger, updates: readonly Update[]): ApplySummary {
  const summary: ApplySummary = { applied: 0, changed: 0, conflicts: 0 };
  store.transaction(() => {
    for (const u of updates) {
      const res = store.applyRemote(u);
      summary.applied += 1;
      if (res.changed) summary.changed += 1;
      if (res.conflict) {
        summary.conflicts += 1;
        logger.info({ key: u.record.key.replace(/\0/g, ' '), origin: u.origin, seq: u.seq, local: res.before, remote: u.record, winner: res.after.hlc },
          'Resolved conflict');
      }
    }
  });
  return summary;
}
