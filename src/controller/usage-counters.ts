/**
 * Per-owner usage counters of the SQLite store (issue 16 "honest space", issue 17 quotas): how
 * many inodes an account has and the logical bytes of its regular files, kept in `owner_usage`
 * and changed in the transaction of every write, so statfs and quota checks read one row instead
 * of scanning every inode of the account (0.6–1.5 s at 200,000 files).
 *
 * What is counted is exactly MetadataStore.inodeCount's set: the root and every inode that some
 * link row places in a directory other than the trash (`links.parent IS NOT NULL AND <> 'trash'`:
 * trashed entries are counted apart, trash.ts, so removing files frees quota at once); bytes are the content size of the
 * counted regular files (a file with two names counts once). The store calls `touch(owner, ino)`
 * BEFORE anything that may change an inode's record or placement (its record write, a link row's
 * placement, a link row's removal) and `settle()` after: touch remembers the inode's contribution
 * as it was (once per settle), settle adds (after − before) to the owner's row. So the counters
 * change by exact deltas whatever order records and links arrive in (a link before its inode, a
 * directory revived by the replay, a tombstone collected). A database from before the table gets
 * it once at open, by one scan (`scanUsage`), like bucket_terms.
 * Whether a link places the inode is one SQL query; it is asked only for a stored inode record
 * (nothing else counts), and asked again after the change only if a link row moved (`touch`'s
 * `placement`): a record write alone never changes it.
 */
import type Database from 'better-sqlite3';
import { inodeKey, ROOT_INO } from '../meta/keys.js';
import { TRASH_INO } from '../meta/trash.js';
import type { MetaRecord } from '../meta/types.js';

export interface Usage {
  /** inodes: the root, directories, files, symlinks, special files */
  files: number;
  /** logical bytes of the regular files (each inode once) */
  bytes: number;
}

export const ZERO_USAGE: Usage = Object.freeze({ files: 0, bytes: 0 });

/** Pure: what one inode adds to its owner's usage, given its stored record and whether a link places it. */
export function inodeUsage(r: MetaRecord | undefined, named: boolean): Usage {
  if (r?.type !== 'inode' || (r.ino !== ROOT_INO && !named)) return ZERO_USAGE;
  return { files: 1, bytes: r.kind === 'file' ? r.content.v.size : 0 };
}

const USAGE_SCHEMA = 'CREATE TABLE IF NOT EXISTS owner_usage (owner TEXT PRIMARY KEY, files INTEGER NOT NULL, bytes INTEGER NOT NULL)';
/** node_meta key that says owner_usage holds every owner's counters */
const BUILT_META = 'owner_usage';

const SCAN_SQL = `SELECT i.owner AS owner, COUNT(*) AS files,
    COALESCE(SUM(CASE WHEN i.kind = 'file' THEN json_extract(r.record, '$.content.v.size') ELSE 0 END), 0) AS bytes
  FROM inodes i JOIN records r ON r.key = i.key
  WHERE i.ino = ? OR EXISTS (SELECT 1 FROM links l WHERE l.owner = i.owner AND l.ino = i.ino AND l.parent IS NOT NULL AND l.parent <> '${TRASH_INO}')
  GROUP BY i.owner`;

/** Every owner's usage computed from scratch from the store's tables (the open-time build; tests compare the counters with it). */
export function scanUsage(db: Database.Database): Map<string, Usage> {
  const rows = db.prepare<[string], { owner: string; files: number; bytes: number }>(SCAN_SQL).all(ROOT_INO);
  return new Map(rows.map((r) => [r.owner, { files: r.files, bytes: r.bytes }]));
}

export interface UsageCounters {
  /**
   * remembers the inode's contribution before a change (first call per settle wins); `placement`:
   * a link row of the inode may move or go (not only its record)
   */
  touch(owner: string, ino: string, placement?: boolean): void;
  /** adds the touched inodes' changes to their owners' rows (any time after the changes: the store does it once per transaction, and `get` first) */
  settle(): void;
  /** forgets what was touched (the transaction rolled back: the rows did too) */
  reset(): void;
  get(owner: string): Usage;
}

/**
 * The counters over the store's tables. `read` is the store's record read (its write-through
 * cache), so the contribution "before" is taken before the store remembers the new version.
 * Creates the table and, on a database without it, builds every owner's row.
 */
export function usageCounters(db: Database.Database, read: (key: string) => MetaRecord | undefined): UsageCounters {
  db.exec(USAGE_SCHEMA);
  const q = {
    named: db.prepare<[string, string], { x: number }>(`SELECT 1 AS x FROM links WHERE owner = ? AND ino = ? AND parent IS NOT NULL AND parent <> '${TRASH_INO}' LIMIT 1`),
    get: db.prepare<[string], { files: number; bytes: number }>('SELECT files, bytes FROM owner_usage WHERE owner = ?'),
    add: db.prepare(`INSERT INTO owner_usage (owner, files, bytes) VALUES (?, ?, ?)
      ON CONFLICT(owner) DO UPDATE SET files = files + excluded.files, bytes = bytes + excluded.bytes`),
    put: db.prepare('INSERT INTO owner_usage (owner, files, bytes) VALUES (?, ?, ?)'),
    clear: db.prepare('DELETE FROM owner_usage'),
    built: db.prepare<[], { v: string }>(`SELECT v FROM node_meta WHERE k = '${BUILT_META}'`),
    setBuilt: db.prepare(`INSERT INTO node_meta (k, v) VALUES ('${BUILT_META}', '1') ON CONFLICT(k) DO UPDATE SET v = excluded.v`),
  };
  if (q.built.get()?.v !== '1') {
    db.transaction(() => {
      q.clear.run();
      for (const [owner, u] of scanUsage(db)) q.put.run(owner, u.files, u.bytes);
      q.setBuilt.run();
    })();
  }
  /** the stored inode record, if it is one that counts at all (only then does "is it named?" matter) */
  const countable = (owner: string, ino: string): MetaRecord | undefined => {
    const r = read(inodeKey(owner, ino));
    return r?.type === 'inode' ? r : undefined;
  };
  const named = (owner: string, ino: string): boolean => ino === ROOT_INO || q.named.get(owner, ino) !== undefined;
  interface Touched { owner: string; ino: string; before: Usage; named: boolean | undefined; placement: boolean }
  /** `${owner}\0${ino}` → contribution before (and whether a link named it then, if that was asked) */
  let touched = new Map<string, Touched>();
  const settle = (): void => {
    if (touched.size === 0) return;
    const batch = touched;
    touched = new Map();
    const delta = new Map<string, Usage>();
    for (const t of batch.values()) {
      const r = countable(t.owner, t.ino);
      const now = !r ? false : !t.placement && t.named !== undefined ? t.named : named(t.owner, t.ino);
      const after = inodeUsage(r, now);
      if (after.files === t.before.files && after.bytes === t.before.bytes) continue;
      const d = delta.get(t.owner) ?? { files: 0, bytes: 0 };
      d.files += after.files - t.before.files;
      d.bytes += after.bytes - t.before.bytes;
      delta.set(t.owner, d);
    }
    for (const [owner, d] of delta) if (d.files !== 0 || d.bytes !== 0) q.add.run(owner, d.files, d.bytes);
  };
  return {
    touch(owner, ino, placement = false) {
      const k = `${owner}\0${ino}`;
      const held = touched.get(k);
      if (held) {
        held.placement ||= placement;
        return;
      }
      const r = countable(owner, ino);
      const was = r ? named(owner, ino) : undefined;
      touched.set(k, { owner, ino, before: inodeUsage(r, was ?? false), named: was, placement });
    },
    settle,
    reset() {
      touched = new Map();
    },
    get(owner) {
      settle(); // a read inside a transaction (a quota check) sees its writes
      const row = q.get.get(owner);
      return row ? { files: row.files, bytes: row.bytes } : { ...ZERO_USAGE };
    },
  };
}
