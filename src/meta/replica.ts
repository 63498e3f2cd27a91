/**
 * The replica's decision for a record that arrives from a peer (gossip, anti-entropy, a peer
 * restored from an old backup) — the one rule for every path, as raft's `Ready`: given what the
 * store holds for the key, it returns what to persist, whether to log the update for gossip, and
 * whether to report a conflict. The store only carries it out.
 *
 * Why a collected record never comes back: collecting a deleted link or inode replaces it by its
 * death certificate (`dead`, ops.ts deathOf), which the store keeps and anti-entropy spreads like
 * any record. merge.ts makes `dead` absorb every version of its key, so an old write arriving by
 * any path merges into the certificate and changes nothing; it is not logged, so it is never
 * forwarded either. A controller restored from a backup taken before the delete still holds the
 * live record, but its first anti-entropy round with any peer brings the certificate (the bucket
 * hashes differ), and the record dies there too. Collection itself waits until every controller's
 * digest covers the delete (controller/gossip/tombstones.ts), so no controller can still make a
 * write to the key it has not told the others about. Pure.
 */
import { mergeRecords } from './merge.js';
import { canonicalJson } from './register.js';
import type { MetaRecord } from './types.js';
import { compareVV } from './version-vector.js';

/**
 * Whether the merged record differs from the stored one. A different version vector is a
 * different record (it is part of the record), so only equal vectors need the canonical JSON of
 * both: a new write arriving by gossip (the common case) costs no serialising of whole records.
 */
function differs(merged: MetaRecord, current: MetaRecord): boolean {
  return compareVV(merged.vv, current.vv) !== 'equal' || canonicalJson(merged) !== canonicalJson(current);
}

export interface RemoteDecision {
  /** the merged version to persist (equal to `current` when nothing changed) */
  record: MetaRecord;
  changed: boolean;
  /** concurrent versions disagreed and a rule chose (log `Resolved conflict`) */
  conflict: boolean;
  /** the key is dead here: the update is dropped, not logged, not forwarded */
  absorbed: boolean;
}

export function decideRemote(current: MetaRecord | undefined, incoming: MetaRecord): RemoteDecision {
  if (!current) return { record: incoming, changed: true, conflict: false, absorbed: false };
  if (current.type === 'dead') {
    const merged = mergeRecords(current, incoming).record;
    return { record: merged, changed: differs(merged, current), conflict: false, absorbed: incoming.type !== 'dead' };
  }
  const { record, conflict } = mergeRecords(current, incoming);
  return { record, changed: differs(record, current), conflict, absorbed: false };
}
