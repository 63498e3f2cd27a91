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
 * - the new records are written as local writes (ops.ts newInode/newLink), each with an
 *   update-log row, so gossip spreads them.
 * It runs in one transaction; node_meta `schema` = 2 then marks it done.
 *
 * **Upgrading a cluster: every controller converts its own database, and they agree.** Ids are
 * derived from the account and the path (`migrated.<hash>`), not from this node's sequence, and
 * every record is stamped with the HLC of the legacy entry it comes from (roots and implicit
 * directories with the account's earliest). So controllers that convert the same namespace
 * independently write the same keys with equal values at equally old stamps: they merge into one
 * tree, and any change made after the conversion (stamped later) wins over every conversion.
 * The conversion itself is pure (convertEntries); the SQL around it is the thin part.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { parentOf } from '../common/paths.js';
import { compareHlc } from '../meta/hlc.js';
import { ROOT_INO } from '../meta/keys.js';
import { newInode, newLink, type WriteStamp } from '../meta/ops.js';
import { tsFromMs } from '../meta/register.js';
import { tagNames } from '../meta/tags.js';
import type { EntryRecord, Hlc, InodeRecord, LinkRecord, MetaRecord, UserRecord } from '../meta/types.js';
import { ROOT_MODE } from './entry-info.js';
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


/** The id a converted entry gets on every controller: `migrated.<11 base-36 digits of a hash of role, owner and path>`. */
export function migratedId(role: 'inode' | 'link', owner: string, path: string): string {
  const h = BigInt(`0x${createHash('sha256').update(`${role}\0${owner}\0${path}`).digest('hex').slice(0, 16)}`);
  const n = (h % (36n ** 11n - 1n)) + 1n;
  return `migrated.${n.toString(36)}`;
}
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
    const earliest = mine.reduce<Hlc>((m, e) => (compareHlc(e.hlc, m) < 0 ? e.hlc : m), mine[0]?.hlc ?? { wallMs: nowMs, logical: 0, node: '' });
    /** this node's next seq, stamped with the legacy version's HLC (equal on every converting controller) */
    const at = (hlc: Hlc): WriteStamp => {
      const s = next();
      return { ...s, hlc: { wallMs: hlc.wallMs, logical: hlc.logical, node: s.node } };
    };
    const root = at(earliest);
    out.push({ record: newInode({ owner, ino: ROOT_INO, kind: 'dir', attr: { mode: ROOT_MODE, uid: 0, gid: 0 }, time: tsFromMs(earliest.wallMs), ...root }), seq: root.seq });
    const dirs = new Map<string, string>([['/', ROOT_INO]]);
    const place = (path: string, inode: InodeRecord, hlc: Hlc): void => {
      const parent = ensureDir(parentOf(path));
      const s = at(hlc);
      out.push({ record: newLink({ owner, id: migratedId('link', owner, path), ino: inode.ino, dir: inode.kind === 'dir', parent, name: baseName(path), ...s }), seq: s.seq });
      if (inode.kind === 'dir') dirs.set(path, inode.ino);
    };
    const ensureDir = (path: string): string => {
      const known = dirs.get(path);
      if (known) return known;
      const s = at(earliest);
      const inode = newInode({ owner, ino: migratedId('inode', owner, path), kind: 'dir', attr: { mode: ROOT_MODE, uid: 0, gid: 0 }, time: tsFromMs(earliest.wallMs), ...s });
      out.push({ record: inode, seq: s.seq });
      place(path, inode, earliest);
      return inode.ino;
    };
    for (const e of mine) {
      if (e.value!.kind === 'dir' && dirs.has(e.path)) continue; // an implicit dir made for an earlier orphan
      const inode = inodeOfEntry(e, at(e.hlc));
      out.push({ record: inode, seq: inode.vv[inode.hlc.node]! });
      place(e.path, inode, e.hlc);
    }
  }
  return out;
}

function inodeOfEntry(e: EntryRecord, s: WriteStamp): InodeRecord {
  const v = e.value!;
  const r = newInode({
    owner: e.owner, ino: migratedId('inode', e.owner, e.path), kind: v.kind, attr: { mode: v.mode & 0o7777, uid: 0, gid: 0 },
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
export function migrateLegacy(db: Database.Database, store: MigrationTarget, nowMs: number): MigrationReport | undefined {
  if (columnsOf(db, 'legacy_records').length === 0) return undefined;
  const rows = (db.prepare('SELECT record FROM legacy_records ORDER BY key').all() as { record: string }[]).map((r) => JSON.parse(r.record) as MetaRecord | EntryRecord);
  const entries = rows.filter((r): r is EntryRecord => r.type === 'entry');
  const users = rows.filter((r): r is UserRecord => r.type === 'user');
  for (const u of users) store.api.mergeRecord(u);
  const legacyKeys = db.prepare('SELECT DISTINCT key FROM updates WHERE key >= ? AND key < ?').all('e\0', 'e\x01') as { key: string }[];
  for (const { key } of legacyKeys) store.dropLogRows(key);
  const live = entries.filter((e) => e.value !== null);
  const converted = convertEntries(live, () => store.api.nextStamp(), nowMs);
  for (const c of converted) store.api.applyLocal(c.record, c.seq);
  db.exec('DROP TABLE legacy_records');
  return { entries: live.length, tombstones: entries.length - live.length, records: converted.length, users: users.length };
}
