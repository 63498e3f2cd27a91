/**
 * Converts a database written before the inode namespace (path-keyed `entry` records
 * `e\0<owner>\0<path>` with {kind, size, mode, mtimeMs, ctimeMs, chunks, target} and tags) into
 * inode and link records, once, on the first open by store.ts:
 * - every live entry becomes an inode (mode, mtime, ctime, size, chunks, symlink target and tag
 *   names kept; uid/gid 0; atime = mtime) and a link under its converted parent directory; a
 *   parent path with no live directory entry becomes a new directory (mode 0755), so nothing that
 *   was visible is lost; each owner gets a root inode (mode 0755, times = the migration time);
 * - tombstoned entries are dropped, and the update-log rows of every entry key are removed
 *   (per-origin floors keep the digest from going backwards); users are kept as they are;
 * - the new records are written as local writes with ids and stamps from this node's sequence
 *   (ops.ts newInode/newLink), each with an update-log row, so gossip spreads them.
 * It runs in one transaction and only when the database holds legacy entries and no inode or
 * link record (else it refuses with INVALID); node_meta `schema` = 2 then marks it done.
 *
 * **Upgrading a cluster.** Two controllers converting the same namespace independently would
 * create two trees with different ids (every file twice, under conflict names). So: stop every
 * controller; upgrade ONE and start it on its old database (it converts it); then start the
 * others with EMPTY databases — they catch up by gossip and anti-entropy. Never start two
 * controllers on old databases of the same cluster. The conversion itself is pure
 * (convertEntries); the SQL around it is the thin part.
 */
import type Database from 'better-sqlite3';
import { RedCloudError } from '../common/errors.js';
import { parentOf } from '../common/paths.js';
import { newId, ROOT_INO } from '../meta/keys.js';
import { newInode, newLink, type WriteStamp } from '../meta/ops.js';
import { tsFromMs } from '../meta/register.js';
import { tagNames } from '../meta/tags.js';
import type { EntryRecord, InodeRecord, LinkRecord, MetaRecord, UserRecord } from '../meta/types.js';
import type { MetadataStore } from './metadata-store.js';

export interface MigrationReport {
  /** live legacy entries converted */
  entries: number;
  /** tombstoned legacy entries dropped */
  tombstones: number;
  /** inode and link records written (roots and implicit parent directories included) */
  records: number;
  users: number;
}

export interface Converted {
  record: InodeRecord | LinkRecord;
  /** the write sequence of its stamp (its update-log row) */
  seq: number;
}

const ROOT_MODE = 0o755;
const depth = (path: string): number => path.split('/').length;
const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * The inode and link records of an account's live legacy entries, parents before children. Pure:
 * `next` hands out the stamps (this node's seq and HLC), `nowMs` dates the roots and implicit dirs.
 */
export function convertEntries(entries: readonly EntryRecord[], next: () => WriteStamp, nowMs: number): Converted[] {
  const out: Converted[] = [];
  const owners = [...new Set(entries.map((e) => e.owner))].sort();
  for (const owner of owners) {
    const mine = entries.filter((e) => e.owner === owner && e.value !== null && e.path !== '/');
    mine.sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const root = next();
    out.push({ record: newInode({ owner, ino: ROOT_INO, kind: 'dir', attr: { mode: ROOT_MODE, uid: 0, gid: 0 }, time: tsFromMs(nowMs), ...root }), seq: root.seq });
    const dirs = new Map<string, string>([['/', ROOT_INO]]);
    const place = (path: string, inode: InodeRecord): void => {
      const parent = ensureDir(parentOf(path));
      const s = next();
      out.push({ record: newLink({ owner, id: newId(s.node, s.seq), ino: inode.ino, dir: inode.kind === 'dir', parent, name: baseName(path), ...s }), seq: s.seq });
      if (inode.kind === 'dir') dirs.set(path, inode.ino);
    };
    const ensureDir = (path: string): string => {
      const known = dirs.get(path);
      if (known) return known;
      const s = next();
      const inode = newInode({ owner, ino: newId(s.node, s.seq), kind: 'dir', attr: { mode: ROOT_MODE, uid: 0, gid: 0 }, time: tsFromMs(nowMs), ...s });
      out.push({ record: inode, seq: s.seq });
      place(path, inode);
      return inode.ino;
    };
    for (const e of mine) {
      if (e.value!.kind === 'dir' && dirs.has(e.path)) continue; // an implicit dir made for an earlier orphan
      const s = next();
      const inode = inodeOfEntry(e, s);
      out.push({ record: inode, seq: s.seq });
      place(e.path, inode);
    }
  }
  return out;
}

function inodeOfEntry(e: EntryRecord, s: WriteStamp): InodeRecord {
  const v = e.value!;
  const r = newInode({
    owner: e.owner, ino: newId(s.node, s.seq), kind: v.kind, attr: { mode: v.mode & 0o7777, uid: 0, gid: 0 },
    content: { size: v.size, chunks: v.kind === 'file' ? v.chunks.map((c) => ({ id: c.id, size: c.size })) : [] },
    ...(v.target !== undefined ? { target: v.target } : {}), time: tsFromMs(v.mtimeMs), tags: tagNames(e.tags), ...s,
  });
  return { ...r, ctime: tsFromMs(v.ctimeMs) };
}

// ---- the SQL around it ----

const columnsOf = (db: Database.Database, table: string): string[] =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);

/** True for a database of the path-keyed layout (or one whose conversion has not finished). */
export function hasLegacyLayout(db: Database.Database): boolean {
  return columnsOf(db, 'records').includes('path') || columnsOf(db, 'legacy_records').length > 0;
}

/** Renames the legacy records table out of the way and empties the index tables derived from it. */
export function moveLegacyAside(db: Database.Database): void {
  if (!columnsOf(db, 'records').includes('path')) return;
  db.exec('ALTER TABLE records RENAME TO legacy_records');
  for (const t of ['record_tags', 'record_chunks']) if (columnsOf(db, t).length > 0) db.exec(`DELETE FROM ${t}`);
}

export interface MigrationTarget {
  api: MetadataStore;
  /** removes a key's update-log rows, raising the per-origin digest floors */
  dropLogRows(key: string): void;
}

/**
 * Converts the rows of `legacy_records` (moved aside by moveLegacyAside) through the store and
 * drops the table; undefined when there is none. Call inside one transaction.
 */
export function migrateLegacy(db: Database.Database, store: MigrationTarget, hasNamespace: () => boolean, nowMs: number): MigrationReport | undefined {
  if (columnsOf(db, 'legacy_records').length === 0) return undefined;
  const rows = (db.prepare('SELECT record FROM legacy_records ORDER BY key').all() as { record: string }[]).map((r) => JSON.parse(r.record) as MetaRecord | EntryRecord);
  const entries = rows.filter((r): r is EntryRecord => r.type === 'entry');
  const users = rows.filter((r): r is UserRecord => r.type === 'user');
  if (entries.length > 0 && hasNamespace()) {
    throw new RedCloudError('INVALID', 'This database holds both legacy path entries and inode records, so it cannot be converted safely. '
      + 'Start this controller with an empty database: it will catch up from its peers by gossip.');
  }
  for (const u of users) store.api.mergeRecord(u);
  const legacyKeys = db.prepare('SELECT DISTINCT key FROM updates WHERE key >= ? AND key < ?').all('e\0', 'e\x01') as { key: string }[];
  for (const { key } of legacyKeys) store.dropLogRows(key);
  const live = entries.filter((e) => e.value !== null);
  const converted = convertEntries(live, () => store.api.nextStamp(), nowMs);
  for (const c of converted) store.api.applyLocal(c.record, c.seq);
  db.exec('DROP TABLE legacy_records');
  return { entries: live.length, tombstones: entries.length - live.length, records: converted.length, users: users.length };
}
