/**
 * The controller's metadata store on SQLite (better-sqlite3, WAL, synchronous=NORMAL, and the WAL
 * fdatasynced before a write is acknowledged: `durable`, group-commit.ts). It holds
 * the merged records (src/meta), the update log for scuttlebutt gossip (per (origin, key) only the
 * latest row; per-origin digest floors so collection never moves the digest back), node meta (own
 * write sequence, last HLC), chunk locations and chunkservers — and an incremental namespace view
 * that always equals src/meta/tree.ts materializeTree over the owner's link records:
 *
 * - `links` holds every link's *placement*: a file link its latest move (fileLinkPlacement), a
 *   directory link where replayDirs + reviveDirs leave it, and `shown`, the name resolveNames gives
 *   it in its (parent, name) group. Every placed link is a row, reachable or not.
 * - Per owner an in-memory DirState holds the directory link records and the result of the
 *   directory replay. A directory link write re-runs the replay in memory (O(directories)) and
 *   writes only the placements that changed; a file link write updates its row and re-resolves at
 *   most its old and new name group; a file link entering or leaving a directory the replay left
 *   unreachable re-runs reviveDirs (the only input it needs from SQL: which of those unreachable
 *   directories hold a placed non-directory link). A rename is one link write: nothing below it
 *   is touched. Reachability (pathOf, linksOf) walks the directory placements in memory.
 * Per-owner usage (files, logical bytes: usage-counters.ts) is kept by exact deltas around every
 * record write and placement change, so statfs and quota checks read one row.
 * Every write (local or remote) updates records, log and indexes in ONE transaction; `transaction`
 * nests (savepoints); a rollback drops the in-memory state, which reloads from the tables.
 * A database written before the inode namespace is converted on open (migrate.ts).
 */
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RedCloudError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { ensurePrivateDirSync, PRIVATE_FILE_MODE } from '../common/private-files.js';
import { receive, tick, ZERO_HLC } from '../meta/hlc.js';
import { inodeKey, inoNumber, linkKey, parseKey, ROOT_INO } from '../meta/keys.js';
import { deathOf, type WriteStamp } from '../meta/ops.js';
import { decideRemote } from '../meta/replica.js';
import { tagNames } from '../meta/tags.js';
import {
  conflictName, dirLinksByIno, fileLinkPlacement, replayDirs, resolveNames, reviveDirs, type DirReplay, type Placement, type TreeLink,
} from '../meta/tree.js';
import type { Digest, Hlc, InodeRecord, LinkRecord, MetaRecord, NodeId, Update } from '../meta/types.js';
import type { TombstoneCandidate } from './gossip/tombstones.js';
import { BucketHashes } from './gossip/bucket-hashes.js';
import { BUCKET_COUNT, type Fingerprinted } from './gossip/protocol.js';
import { chunksOf, collectableInode, compareBytes, unchanged, unlinkedAt } from './store-rules.js';
import type { DirEntry, ListedEntry, MetadataStore, RemoteApplyResult, TrashCandidate } from './metadata-store.js';
import { trashMoveOf } from '../meta/trash.js';
import { GroupCommit } from './group-commit.js';
import { walFsync } from './wal-fsync.js';
import { startWalCheckpointer } from './wal-checkpointer.js';
import { RecentRecords } from './recent-records.js';
import { hasLegacyLayout, migrateLegacy, moveLegacyAside, type MigrationReport } from './migrate.js';
import { usageCounters, type UsageCounters } from './usage-counters.js';

export type { DirEntry, MetadataStore, RemoteApplyResult } from './metadata-store.js';

export interface StoreOptions {
  /** file path or ':memory:' */
  path: string;
  nodeId: NodeId;
  /** wall clock, ms */
  now: () => number;
  /** where the WAL checkpoint thread reports trouble */
  logger?: Logger;
}

export interface SqliteMetadataStore extends MetadataStore {
  /** what the conversion of a legacy (path-keyed) database did on this open; undefined if none ran */
  readonly migration: MigrationReport | undefined;
}

/** How many parsed records the store keeps at hand (buildStore `recent`). */
const RECENT_RECORDS_MAX = 4096;

/** node_meta `schema`: 2 = the inode namespace. */
export const SCHEMA_VERSION = '2';

/**
 * Tables and indexes, created on open if missing. The link indexes end in link_id, so a lookup
 * (first of a name group) and a file's names come out in order without a sort; a database made
 * before that has its older two indexes replaced on first open.
 *
 * No partial index may say `parent = 'trash'`: SQLite then re-prepares every statement with a
 * `parent = ?` term at each run (the bound value might select that index), which made each
 * lookup ~5x dearer. `parent IS 'trash'` (and the queries for it written with IS) is not matched
 * against `parent = ?`, so those statements keep their plan.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, type TEXT NOT NULL, owner TEXT, bucket INTEGER NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bucket_terms (bucket INTEGER PRIMARY KEY, term BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_bucket ON records(bucket);
CREATE TABLE IF NOT EXISTS links (key TEXT PRIMARY KEY, owner TEXT NOT NULL, link_id TEXT NOT NULL, ino TEXT NOT NULL,
  dir INTEGER NOT NULL, parent TEXT, name TEXT, shown TEXT, at TEXT, deleted_ms INTEGER);
DROP INDEX IF EXISTS links_by_shown;
DROP INDEX IF EXISTS links_by_ino;
CREATE INDEX IF NOT EXISTS links_by_shown_id ON links(owner, parent, shown, link_id);
CREATE INDEX IF NOT EXISTS links_by_name ON links(owner, parent, name);
CREATE INDEX IF NOT EXISTS links_by_ino_id ON links(owner, ino, link_id);
CREATE INDEX IF NOT EXISTS links_dirs ON links(owner) WHERE dir = 1;
CREATE INDEX IF NOT EXISTS links_subdirs ON links(owner, parent) WHERE dir = 1;
CREATE INDEX IF NOT EXISTS links_unlinked ON links(deleted_ms) WHERE deleted_ms IS NOT NULL;
DROP INDEX IF EXISTS links_trash;
CREATE INDEX IF NOT EXISTS links_trash_is ON links(owner) WHERE parent IS 'trash';
CREATE TABLE IF NOT EXISTS trash_expiry (key TEXT PRIMARY KEY, owner TEXT NOT NULL, link_id TEXT NOT NULL, expires_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS trash_expiry_by_time ON trash_expiry(expires_ms, key);
CREATE TABLE IF NOT EXISTS inodes (key TEXT PRIMARY KEY, owner TEXT NOT NULL, ino TEXT NOT NULL, num INTEGER NOT NULL,
  kind TEXT NOT NULL, hlc_ms INTEGER NOT NULL, link_rows INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inodes_by_num ON inodes(owner, num);
CREATE INDEX IF NOT EXISTS inodes_by_owner ON inodes(owner);
CREATE INDEX IF NOT EXISTS inodes_unnamed ON inodes(hlc_ms) WHERE link_rows = 0 AND kind <> 'dir';
CREATE TABLE IF NOT EXISTS record_tags (key TEXT NOT NULL, owner TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (key, tag));
CREATE INDEX IF NOT EXISTS record_tags_tag ON record_tags(owner, tag);
CREATE TABLE IF NOT EXISTS record_chunks (key TEXT NOT NULL, chunk_id TEXT NOT NULL, PRIMARY KEY (key, chunk_id));
CREATE INDEX IF NOT EXISTS record_chunks_chunk ON record_chunks(chunk_id);
CREATE TABLE IF NOT EXISTS updates (origin TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (origin, key));
CREATE INDEX IF NOT EXISTS updates_seq ON updates(origin, seq);
DROP INDEX IF EXISTS updates_key;
DROP TABLE IF EXISTS log_chunks;
CREATE VIEW IF NOT EXISTS named_chunks AS
  SELECT rc.chunk_id, i.owner FROM record_chunks rc JOIN inodes i ON i.key = rc.key
  WHERE EXISTS (SELECT 1 FROM links l WHERE l.owner = i.owner AND l.ino = i.ino AND l.parent IS NOT NULL);
CREATE TABLE IF NOT EXISTS node_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_locations (chunk_id TEXT NOT NULL, server_id TEXT NOT NULL, PRIMARY KEY (chunk_id, server_id));
CREATE INDEX IF NOT EXISTS chunk_locations_server ON chunk_locations(server_id);
CREATE TABLE IF NOT EXISTS chunkservers (id TEXT PRIMARY KEY, url TEXT NOT NULL, last_heartbeat_ms INTEGER NOT NULL);
`;

type Db = Database.Database;
interface LinkRow { key: string; link_id: string; ino: string; dir: number; parent: string | null; name: string | null; shown: string | null; at: string | null; deleted_ms: number | null }
type EntryRow = Pick<LinkRow, 'link_id' | 'parent' | 'shown' | 'ino' | 'dir'>;
const ENTRY_COLS = 'link_id, parent, shown, ino, dir';

function prepare(db: Db) {
  return {
    getMeta: db.prepare<[string], { v: string }>('SELECT v FROM node_meta WHERE k = ?'),
    setMeta: db.prepare('INSERT INTO node_meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v'),
    getRecord: db.prepare<[string], { record: string }>('SELECT record FROM records WHERE key = ?'),
    updateRecord: db.prepare('UPDATE records SET type = ?, owner = ?, record = ? WHERE key = ?'),
    putRecord: db.prepare(`INSERT INTO records (key, type, owner, bucket, record) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET type = excluded.type, owner = excluded.owner, record = excluded.record`),
    allRecords: db.prepare<[], { record: string }>('SELECT record FROM records ORDER BY key'),
    bucketTerms: db.prepare<[], { bucket: number; term: Buffer }>('SELECT bucket, term FROM bucket_terms'),
    putBucketTerm: db.prepare('INSERT INTO bucket_terms (bucket, term) VALUES (?, ?) ON CONFLICT(bucket) DO UPDATE SET term = excluded.term'),
    bucketRecords: db.prepare<[number], { key: string; record: string }>('SELECT key, record FROM records WHERE bucket = ?'),
    linkRow: db.prepare<[string], LinkRow>('SELECT * FROM links WHERE key = ?'),
    insertLink: db.prepare('INSERT INTO links (key, owner, link_id, ino, dir) VALUES (?, ?, ?, ?, ?)'),
    deleteLink: db.prepare('DELETE FROM links WHERE key = ?'),
    setPlacement: db.prepare('UPDATE links SET parent = ?, name = ?, at = ?, deleted_ms = ?, shown = NULL WHERE key = ?'),
    group: db.prepare<[string, string, string], LinkRow>('SELECT * FROM links WHERE owner = ? AND parent = ? AND name = ?'),
    placedIn: db.prepare<[string, string], LinkRow>('SELECT * FROM links WHERE owner = ? AND parent = ?'),
    multiGroups: db.prepare<[string, string], { name: string }>(
      'SELECT name FROM links WHERE owner = ? AND parent = ? GROUP BY name HAVING COUNT(*) > 1'),
    namesWithPrefix: db.prepare<[string, string, string, string], { name: string }>(
      'SELECT DISTINCT name FROM links WHERE owner = ? AND parent = ? AND name >= ? AND name < ?'),
    setShown: db.prepare('UPDATE links SET shown = ? WHERE key = ?'),
    dirRows: db.prepare<[string], LinkRow & { record: string }>(
      'SELECT l.*, r.record FROM links l JOIN records r ON r.key = l.key WHERE l.owner = ? AND l.dir = 1'),
    hasFileChild: db.prepare<[string, string], { x: number }>('SELECT 1 AS x FROM links WHERE owner = ? AND parent = ? AND dir = 0 LIMIT 1'),
    lookup: db.prepare<[string, string, string], EntryRow>(
      `SELECT ${ENTRY_COLS} FROM links WHERE owner = ? AND parent = ? AND shown = ? ORDER BY link_id LIMIT 1`),
    children: db.prepare<[string, string], EntryRow>(`SELECT ${ENTRY_COLS} FROM links WHERE owner = ? AND parent = ? ORDER BY shown, link_id`),
    listing: db.prepare<[string, string], EntryRow & { record: string; link_rows: number }>(
      `SELECT l.link_id, l.parent, l.shown, l.ino, l.dir, r.record, i.link_rows FROM links l
       JOIN records r ON r.key = 'i' || char(0) || l.owner || char(0) || l.ino AND r.type = 'inode'
       JOIN inodes i ON i.key = r.key
       WHERE l.owner = ? AND l.parent = ? ORDER BY l.shown, l.link_id`),
    hasChildren: db.prepare<[string, string], { x: number }>('SELECT 1 AS x FROM links WHERE owner = ? AND parent = ? LIMIT 1'),
    subdirs: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM links WHERE owner = ? AND parent = ? AND dir = 1'),
    linksOfIno: db.prepare<[string, string], EntryRow>(
      `SELECT ${ENTRY_COLS} FROM links WHERE owner = ? AND ino = ? AND parent IS NOT NULL ORDER BY link_id`),
    linkRowsOf: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM links WHERE owner = ? AND ino = ?'),
    putInode: db.prepare(`INSERT INTO inodes (key, owner, ino, num, kind, hlc_ms, link_rows) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, hlc_ms = excluded.hlc_ms`),
    delInode: db.prepare('DELETE FROM inodes WHERE key = ?'),
    bumpLinkRows: db.prepare('UPDATE inodes SET link_rows = link_rows + ? WHERE key = ?'),
    inoOfNumber: db.prepare<[string, number], { ino: string }>('SELECT ino FROM inodes WHERE owner = ? AND num = ? ORDER BY ino LIMIT 1'),
    // the root and every inode a live link names (removed files wait for tombstone collection but are not counted)
    inodeCount: db.prepare<[string, string], { n: number }>(`SELECT COUNT(*) AS n FROM inodes i WHERE i.owner = ? AND (i.ino = ?
      OR EXISTS (SELECT 1 FROM links l WHERE l.owner = i.owner AND l.ino = i.ino AND l.parent IS NOT NULL AND l.parent <> 'trash'))`),
    trashOwners: db.prepare<[], { owner: string }>("SELECT DISTINCT owner FROM links WHERE parent IS 'trash' ORDER BY owner"),
    putTrashExpiry: db.prepare(`INSERT INTO trash_expiry (key, owner, link_id, expires_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET expires_ms = excluded.expires_ms`),
    delTrashExpiry: db.prepare('DELETE FROM trash_expiry WHERE key = ?'),
    trashExpiring: db.prepare<[number, number, number, string, number], { owner: string; link_id: string; expires_ms: number }>(
      `SELECT t.owner, t.link_id, t.expires_ms FROM trash_expiry t JOIN links l ON l.key = t.key
      WHERE l.parent IS 'trash' AND t.expires_ms <= ? AND (t.expires_ms > ? OR (t.expires_ms = ? AND t.key > ?))
      ORDER BY t.expires_ms, t.key LIMIT ?`),
    trashLinkRecords: db.prepare<[], { record: string }>(`SELECT record FROM records WHERE type = 'link' AND record LIKE '%"trash"%'`),
    unnamedInodes: db.prepare<[string, number, number], { key: string; at: number }>(
      `SELECT key, hlc_ms AS at FROM inodes WHERE link_rows = 0 AND kind <> 'dir' AND ino <> ? AND hlc_ms <= ? ORDER BY key LIMIT ?`),
    unlinkedLinks: db.prepare<[number, number], { key: string; at: number }>(
      'SELECT key, deleted_ms AS at FROM links WHERE deleted_ms IS NOT NULL AND deleted_ms <= ? ORDER BY key LIMIT ?'),
    delTags: db.prepare('DELETE FROM record_tags WHERE key = ?'),
    addTag: db.prepare('INSERT OR IGNORE INTO record_tags (key, owner, tag) VALUES (?, ?, ?)'),
    tagKeys: db.prepare<[string, string], { key: string }>('SELECT key FROM record_tags WHERE owner = ? AND tag = ?'),
    tagCounts: db.prepare<[string], { tag: string; count: number }>(
      'SELECT tag, COUNT(*) AS count FROM record_tags WHERE owner = ? GROUP BY tag ORDER BY tag'),
    delChunks: db.prepare('DELETE FROM record_chunks WHERE key = ?'),
    addChunk: db.prepare('INSERT OR IGNORE INTO record_chunks (key, chunk_id) VALUES (?, ?)'),
    getLog: db.prepare<[string, string], { seq: number }>('SELECT seq FROM updates WHERE origin = ? AND key = ?'),
    putLog: db.prepare(`INSERT INTO updates (origin, seq, key, record) VALUES (?, ?, ?, ?)
      ON CONFLICT(origin, key) DO UPDATE SET seq = excluded.seq, record = excluded.record WHERE excluded.seq > updates.seq`),
    delLog: db.prepare('DELETE FROM updates WHERE origin = ? AND key = ?'),
    digest: db.prepare<[], { origin: string; seq: number }>('SELECT origin, MAX(seq) AS seq FROM updates GROUP BY origin'),
    since: db.prepare<[string, number, number], { origin: string; seq: number; record: string }>(
      'SELECT origin, seq, record FROM updates WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?'),
  };
}
type Stmts = ReturnType<typeof prepare>;

// ---- the directory state of one owner (in memory) and the link index ----

interface DirState {
  owner: string;
  /** every directory link record of the owner, by link id */
  links: Map<string, LinkRecord>;
  byIno: Map<string, TreeLink>;
  replay: DirReplay;
  /** directory inodes the replay (before revive) leaves unreachable from the root */
  replayUnreachable: Set<string>;
  /** the placement each directory link row holds */
  final: Map<string, Placement | null>;
  /** the name each placed directory link shows */
  shown: Map<string, string>;
  reachMemo: Map<string, boolean>;
}

/** The shape of a conflict name (tree.ts conflictName): `<base>~<8 hex>`. */
const CONFLICT_SHAPE = /~[0-9a-f]{8}$/;
const groupKey = (parent: string, name: string): string => `${parent}\0${name}`;
const atJson = (p: Placement | null): string | null => (p ? JSON.stringify(p.at) : null);
const samePlacement = (a: Placement | null, b: Placement | null): boolean =>
  a === b || (!!a && !!b && a.parent === b.parent && a.name === b.name && atJson(a) === atJson(b));

function unreachableDirs(byIno: ReadonlyMap<string, TreeLink>, placed: ReadonlyMap<string, Placement | null>): Set<string> {
  const memo = new Map<string, boolean>([[ROOT_INO, true]]);
  const reach = (ino: string): boolean => {
    const chain: string[] = [];
    let a: string | undefined = ino;
    let result = false;
    while (a !== undefined) {
      const known = memo.get(a);
      if (known !== undefined) { result = known; break; }
      if (chain.includes(a)) break;
      chain.push(a);
      const l = byIno.get(a);
      a = l ? placed.get(l.id)?.parent ?? undefined : undefined;
    }
    for (const c of chain) memo.set(c, result);
    return result;
  };
  return new Set([...byIno.keys()].filter((ino) => !reach(ino)));
}

/** `usage.touch`: called before a link row's placement changes or the row goes (usage-counters.ts) */
function linkIndex(s: Stmts, usage: Pick<UsageCounters, 'touch' | 'settle'>) {
  const touch = (owner: string, ino: string): void => usage.touch(owner, ino, true);
  const states = new Map<string, DirState>();
  /** decisions the tree had to make (a move skipped as a cycle, a directory revived, a conflict name): `Resolved conflict` */
  let decisions = 0;

  /** Re-runs the directory replay (full) or only the revive step; writes the placements that moved. */
  function recompute(st: DirState, full: boolean, groups: Set<string>): void {
    if (full) {
      st.byIno = dirLinksByIno(st.links.values());
      const skippedBefore = st.replay.skipped.length;
      st.replay = replayDirs(st.byIno);
      decisions += Math.max(0, st.replay.skipped.length - skippedBefore);
      st.replayUnreachable = unreachableDirs(st.byIno, st.replay.placed);
    }
    const live = [...st.replayUnreachable].filter((ino) => s.hasFileChild.get(st.owner, ino) !== undefined);
    const { placed, revived } = reviveDirs(st.byIno, st.replay, live);
    decisions += revived.filter((id) => !st.final.get(id)).length;
    let moved = false;
    for (const [id, link] of st.links) {
      const target = st.byIno.get(link.ino)?.id === id ? placed.get(id) ?? null : null;
      const prev = st.final.get(id) ?? null;
      if (samePlacement(prev, target)) continue;
      if (prev) groups.add(groupKey(prev.parent, prev.name));
      if (target) groups.add(groupKey(target.parent, target.name));
      touch(st.owner, link.ino);
      s.setPlacement.run(target?.parent ?? null, target?.name ?? null, atJson(target), null, linkKey(st.owner, id));
      st.final.set(id, target);
      st.shown.delete(id);
      moved = true;
    }
    if (moved) st.reachMemo.clear();
  }

  /**
   * Re-resolves the names of these (parent, name) groups. A loser's conflict name avoids the raw
   * names of its directory (resolveNames `taken`); it is always `<base>~<hex>`, so only the names
   * with prefix `<base>~` matter. A raw name of that shape entering or leaving a directory can
   * change any of its groups with several members: those are re-resolved too.
   */
  function resolveGroups(st: DirState, groups: Set<string>): void {
    for (const g of [...groups]) {
      const [parent, name] = g.split('\0') as [string, string];
      if (CONFLICT_SHAPE.test(name)) for (const r of s.multiGroups.all(st.owner, parent)) groups.add(groupKey(parent, r.name));
    }
    const rowsOf = groupRows(st.owner, groups);
    for (const g of groups) {
      const [parent, name] = g.split('\0') as [string, string];
      const rows = rowsOf(parent, name);
      let taken: Set<string> | undefined;
      if (rows.length > 1) {
        const base = conflictName(name, '').slice(0, -9);
        taken = new Set(s.namesWithPrefix.all(st.owner, parent, `${base}~`, `${base}\x7f`).map((r) => r.name));
      }
      const names = resolveNames(rows.map((r) => ({ id: r.link_id, name, at: JSON.parse(r.at!) as Hlc })), taken);
      for (const r of rows) {
        const shown = names.get(r.link_id)!;
        if (r.dir) st.shown.set(r.link_id, shown);
        if (r.shown !== shown) {
          s.setShown.run(shown, r.key);
          if (shown !== name) decisions += 1;
        }
      }
    }
  }

  /** Directories with more groups to resolve than this are read whole, once (a bulk write), instead of one query per group. */
  const GROUPS_PER_QUERY = 16;
  /** The rows of each (parent, name) group of `groups`: one query per group, or per directory when it has many. */
  function groupRows(owner: string, groups: Set<string>): (parent: string, name: string) => LinkRow[] {
    const perParent = new Map<string, number>();
    for (const g of groups) {
      const parent = g.slice(0, g.indexOf('\0'));
      perParent.set(parent, (perParent.get(parent) ?? 0) + 1);
    }
    const whole = new Map<string, Map<string, LinkRow[]>>();
    for (const [parent, n] of perParent) {
      if (n <= GROUPS_PER_QUERY) continue;
      const byName = new Map<string, LinkRow[]>();
      for (const r of s.placedIn.all(owner, parent)) {
        const have = byName.get(r.name!);
        if (have) have.push(r);
        else byName.set(r.name!, [r]);
      }
      whole.set(parent, byName);
    }
    return (parent, name) => {
      const byName = whole.get(parent);
      return byName ? byName.get(name) ?? [] : s.group.all(owner, parent, name);
    };
  }

  function stateOf(owner: string): DirState {
    const held = states.get(owner);
    if (held) return held;
    const st: DirState = {
      owner, links: new Map(), byIno: new Map(), replay: { placed: new Map(), lastPlaced: new Map(), skipped: [] },
      replayUnreachable: new Set(), final: new Map(), shown: new Map(), reachMemo: new Map(),
    };
    for (const row of s.dirRows.all(owner)) {
      st.links.set(row.link_id, JSON.parse(row.record) as LinkRecord);
      st.final.set(row.link_id, row.parent === null ? null : { parent: row.parent, name: row.name!, at: JSON.parse(row.at!) as Hlc });
      if (row.shown !== null) st.shown.set(row.link_id, row.shown);
    }
    states.set(owner, st);
    const groups = new Set<string>();
    recompute(st, true, groups); // the tables already agree; this only repairs them if they did not
    resolveGroups(st, groups);
    usage.settle(); // a repair outside any write keeps the counters with it
    return st;
  }

  function removeRow(st: DirState, old: LinkRow, groups: Set<string>): void {
    if (old.parent !== null) groups.add(groupKey(old.parent, old.name!));
    touch(st.owner, old.ino);
    s.deleteLink.run(old.key);
    s.bumpLinkRows.run(-1, inodeKey(st.owner, old.ino));
    if (old.dir) {
      st.links.delete(old.link_id);
      st.final.delete(old.link_id);
      st.shown.delete(old.link_id);
    }
  }

  /** Brings the link index in line with the record now stored for `key` (undefined: dead). */
  function indexLink(key: string, owner: string, next: LinkRecord | undefined): void {
    const st = stateOf(owner);
    const groups = new Set<string>();
    const touched: (string | null)[] = [];
    let old = s.linkRow.get(key);
    let dirs = false;
    if (old && (!next || old.ino !== next.ino || !!old.dir !== next.dir)) {
      removeRow(st, old, groups);
      dirs ||= !!old.dir;
      touched.push(old.parent);
      old = undefined;
    }
    if (next) {
      if (!old) {
        s.insertLink.run(key, owner, next.id, next.ino, next.dir ? 1 : 0);
        s.bumpLinkRows.run(1, inodeKey(owner, next.ino));
      }
      if (next.dir) {
        st.links.set(next.id, next);
        dirs = true;
      } else {
        setFilePlacement(key, next, old, groups, touched);
      }
    }
    const later = pending?.get(owner);
    if (pending) {
      // a bulk write (applyLocalBatch): the tree's replay and the names run once, at its end
      if (later) {
        for (const g of groups) later.groups.add(g);
        later.dirs ||= dirs;
        later.touched.push(...touched);
      } else pending.set(owner, { groups, dirs, touched });
      return;
    }
    settleTree(st, groups, dirs, touched);
  }

  function settleTree(st: DirState, groups: Set<string>, dirs: boolean, touched: (string | null)[]): void {
    if (dirs) recompute(st, true, groups);
    else if (touched.some((p) => p !== null && st.replayUnreachable.has(p))) recompute(st, false, groups);
    resolveGroups(st, groups);
  }

  /** what indexLink left for the end of a bulk write, per owner (undefined: none running) */
  let pending: Map<string, { groups: Set<string>; dirs: boolean; touched: (string | null)[] }> | undefined;
  /**
   * Runs `fn` (inside the caller's transaction) with the directory replay and the name resolution
   * of every link it indexes done once at the end instead of per link: the same result, since both
   * are functions of the rows as they end up (each link's own row is still written at once).
   */
  function deferred<T>(fn: () => T): T {
    if (pending) return fn();
    pending = new Map();
    try {
      const out = fn();
      for (const [owner, p] of pending) settleTree(stateOf(owner), p.groups, p.dirs, p.touched);
      return out;
    } finally {
      pending = undefined;
    }
  }

  function setFilePlacement(key: string, next: LinkRecord, old: LinkRow | undefined, groups: Set<string>, touched: (string | null)[]): void {
    const p = fileLinkPlacement(next);
    const deletedMs = unlinkedAt(next)?.wallMs ?? null;
    if (old && old.parent === (p?.parent ?? null) && old.name === (p?.name ?? null) && old.at === atJson(p) && old.deleted_ms === deletedMs) return;
    if (old?.parent != null) groups.add(groupKey(old.parent, old.name!));
    if (p) groups.add(groupKey(p.parent, p.name));
    touched.push(old?.parent ?? null, p?.parent ?? null);
    touch(next.owner, next.ino);
    s.setPlacement.run(p?.parent ?? null, p?.name ?? null, atJson(p), deletedMs, key);
  }

  function reachable(st: DirState, ino: string): boolean {
    const chain: string[] = [];
    let a: string | undefined = ino;
    let result = false;
    while (a !== undefined) {
      if (a === ROOT_INO) { result = true; break; }
      const known = st.reachMemo.get(a);
      if (known !== undefined) { result = known; break; }
      if (chain.includes(a)) break;
      chain.push(a);
      const l = st.byIno.get(a);
      a = l ? st.final.get(l.id)?.parent ?? undefined : undefined;
    }
    for (const c of chain) st.reachMemo.set(c, result);
    return result;
  }

  function pathOfDir(st: DirState, ino: string): string | undefined {
    if (!reachable(st, ino)) return undefined;
    const names: string[] = [];
    for (let a = ino; a !== ROOT_INO;) {
      const l = st.byIno.get(a)!;
      names.push(st.shown.get(l.id)!);
      a = st.final.get(l.id)!.parent;
    }
    return names.reverse().map((n) => `/${n}`).join('');
  }

  return { states, stateOf, indexLink, deferred, reachable, pathOfDir, decisions: () => decisions };
}

// ---- the store ----

/** The database (users' names, password hashes, the namespace) and its WAL files are 0600. */
function makeDbFilesPrivate(path: string): void {
  ensurePrivateDirSync(dirname(path));
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(f)) chmodSync(f, PRIVATE_FILE_MODE);
  }
}

/**
 * PRAGMA quick_check at open: a corrupt page (bit rot, a torn write, an edited file) is found
 * before anything is served or gossiped from it. Throws INTEGRITY naming the file and the first
 * problems; the daemon logs "Database failed its integrity check" and exits with INTEGRITY's code.
 */
function checkDatabase(db: Db, path: string): void {
  let problems: string[];
  try {
    problems = (db.pragma('quick_check(8)') as { quick_check: string }[]).map((r) => r.quick_check).filter((p) => p !== 'ok');
  } catch (err) {
    problems = [(err as Error).message];
  }
  if (problems.length === 0) return;
  db.close();
  throw new RedCloudError('INTEGRITY',
    `Database ${path} is corrupt (${problems.slice(0, 3).join('; ')}): restore it from a backup, or move it aside to resync this controller from its peers`,
    { path, problems });
}

export function openStore(opts: StoreOptions): SqliteMetadataStore {
  if (opts.path !== ':memory:') makeDbFilesPrivate(opts.path);
  const db = new Database(opts.path);
  checkDatabase(db, opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -65536'); // 64 MiB of page cache: the link and log indexes of a large tree stay in memory
  const legacy = hasLegacyLayout(db);
  db.transaction(() => {
    if (legacy) moveLegacyAside(db);
    db.exec(SCHEMA);
  })();
  const s = prepare(db);
  const storedNode = s.getMeta.get('node_id')?.v;
  if (storedNode && storedNode !== opts.nodeId) {
    db.close();
    throw new RedCloudError('INTERNAL', `Database belongs to node ${storedNode}, not ${opts.nodeId}`);
  }
  s.setMeta.run('node_id', opts.nodeId);
  const store = buildStore(db, s, opts);
  let migration: MigrationReport | undefined;
  try {
    if (legacy || s.getMeta.get('schema')?.v !== SCHEMA_VERSION) {
      migration = db.transaction(() => migrateLegacy(db, store, opts.now()))();
      s.setMeta.run('schema', SCHEMA_VERSION);
    }
  } catch (err) {
    db.close();
    throw err;
  }
  const checkpointer = opts.path === ':memory:' ? undefined : startWalCheckpointer(db, opts.path, opts.logger);
  const closeDb = store.api.close;
  const close = (): void => {
    checkpointer?.stop();
    closeDb();
  };
  return Object.assign(store.api, { migration, close });
}

/** What migrate.ts needs of the store: local writes (with log rows), plain merges, dropping legacy log rows. */
export interface StoreInternals {
  api: MetadataStore;
  dropLogRows(key: string): void;
}

function buildStore(db: Db, s: Stmts, opts: StoreOptions): StoreInternals {
  let seq = Number(s.getMeta.get('seq')?.v ?? '0');
  let hlc: Hlc = s.getMeta.get('hlc') ? (JSON.parse(s.getMeta.get('hlc')!.v) as Hlc) : { ...ZERO_HLC, node: opts.nodeId };
  const loadFloors = (): Digest => (s.getMeta.get('digest_floors') ? (JSON.parse(s.getMeta.get('digest_floors')!.v) as Digest) : {});
  /** origin → highest seq of a removed update-log row: the digest's lower bound */
  let floors = loadFloors();
  /** origin → highest seq in the update log, kept as rows are written (a GROUP BY scans the whole log: ~0.3 s at 10^6 rows) */
  const loadLogMax = (): Map<string, number> => new Map(s.digest.all().map((row) => [row.origin, row.seq]));
  let logMax = loadLogMax();
  /**
   * Anti-entropy bucket hashes (gossip/bucket-hashes.ts), stored in bucket_terms and changed in
   * the transaction of each write; a database written before the table existed gets them once,
   * by streaming its records.
   */
  if (s.getMeta.get('bucket_terms')?.v !== '1') {
    db.transaction(() => {
      const built = new BucketHashes();
      for (const row of s.allRecords.iterate()) built.toggle(JSON.parse(row.record) as MetaRecord);
      for (let b = 0; b < BUCKET_COUNT; b++) s.putBucketTerm.run(b, built.term(b));
      s.setMeta.run('bucket_terms', '1');
    })();
  }
  if (s.getMeta.get('trash_expiry')?.v !== '1') { // a database written before the table existed: filled once
    db.transaction(() => {
      for (const row of s.trashLinkRecords.all()) indexTrashExpiry(s, JSON.parse(row.record) as MetaRecord, undefined);
      s.setMeta.run('trash_expiry', '1');
    })();
  }
  const loadBuckets = (): BucketHashes => new BucketHashes(new Map(s.bucketTerms.all().map((row) => [row.bucket, row.term])));
  let buckets = loadBuckets();
  /** per-owner files and bytes (usage-counters.ts), made once `read` exists */
  let usage: UsageCounters | undefined;
  const links = linkIndex(s, { touch: (owner, ino, placement) => usage!.touch(owner, ino, placement), settle: () => usage!.settle() });
  /** the clock (seq, HLC) moved since it was last written: written once, at the end of the outermost transaction */
  let clockDirty = false;
  let depth = 0;
  /** group commit (group-commit.ts): acknowledged writes are fdatasynced, one sync per batch */
  const wal = opts.path === ':memory:' ? undefined : walFsync(opts.path);
  const changes = db.prepare('SELECT total_changes()').pluck();
  const group = wal ? new GroupCommit(() => changes.get() as number, () => wal.sync()) : undefined;
  /** buckets whose accumulator changed in this transaction: each written once, at the end of the outermost one */
  const dirtyBuckets = new Set<number>();
  const runTx = db.transaction((fn: () => unknown) => {
    const out = fn();
    if (depth === 1) {
      // what every write of the transaction touched, settled once: one "is it named?" query per inode, one row update per owner
      usage!.settle();
      if (clockDirty) {
        s.setMeta.run('seq', String(seq));
        s.setMeta.run('hlc', JSON.stringify(hlc));
        clockDirty = false;
      }
      writeDirtyBuckets();
    }
    return out;
  });
  const writeDirtyBuckets = (): void => {
    for (const b of dirtyBuckets) s.putBucketTerm.run(b, buckets.term(b));
    dirtyBuckets.clear();
  };
  const tx = <T>(fn: () => T): T => {
    depth += 1;
    // a savepoint's rollback reloads the bucket terms from the database: what the transaction
    // around it changed so far must be there (else the terms of its writes would be lost)
    if (depth > 1) writeDirtyBuckets();
    try {
      return runTx(fn) as T;
    } catch (err) {
      links.states.clear();
      recent.clear();
      floors = loadFloors();
      logMax = loadLogMax();
      buckets = loadBuckets();
      dirtyBuckets.clear();
      // a savepoint's rollback keeps what the outer transaction touched: each inode's contribution
      // was taken before any change to it, so it still holds at the savepoint
      if (depth === 1) usage!.reset();
      throw err;
    } finally {
      depth -= 1;
    }
  };
  const parse = (row: { record: string } | undefined): MetaRecord | undefined => (row ? (JSON.parse(row.record) as MetaRecord) : undefined);
  /**
   * The records read or written last, parsed (write-through: every record write goes through
   * persist; a rollback empties it). One unlink reads the directory, the link and the inode
   * several times; the shared objects are never modified (ops.ts builds new versions).
   */
  const recent = new RecentRecords(RECENT_RECORDS_MAX);
  const remember = (r: MetaRecord): void => recent.put(r);
  const read = (key: string): MetaRecord | undefined => {
    const hit = recent.get(key);
    if (hit) return hit;
    const r = parse(s.getRecord.get(key));
    if (r) remember(r);
    return r;
  };
  const saveClock = (): void => {
    clockDirty = true;
  };
  usage = usageCounters(db, read);

  /**
   * A key's update-log rows: one primary-key lookup per origin of the log (every origin with a row
   * is in logMax; there are as many as controllers ever wrote), so the log needs no index by key
   * (a fourth B-tree written by every log row: one page more per commit).
   */
  function logOf(key: string): { origin: string; seq: number }[] {
    const out: { origin: string; seq: number }[] = [];
    for (const origin of logMax.keys()) {
      const row = s.getLog.get(origin, key);
      if (row) out.push({ origin, seq: row.seq });
    }
    return out;
  }

  function dropLogRows(key: string): void {
    const rows = logOf(key);
    if (rows.length === 0) return;
    for (const row of rows) {
      floors[row.origin] = Math.max(floors[row.origin] ?? 0, row.seq);
      s.delLog.run(row.origin, key);
    }
    s.setMeta.run('digest_floors', JSON.stringify(floors));
  }

  function putLog(origin: string, logSeq: number, record: MetaRecord, json = JSON.stringify(record)): void {
    if (record.type === 'dead') return; // certificates spread by anti-entropy, never by the log
    s.putLog.run(origin, logSeq, record.key, json);
    if (logSeq > (logMax.get(origin) ?? 0)) logMax.set(origin, logSeq);
  }

  const indexInode = inodeIndexer(s);
  /** Stores a version and its index rows; a record that turns dead loses its update-log rows. Returns the stored JSON. */
  function persist(next: MetaRecord, prev: MetaRecord | undefined): string {
    if ((next.type as string) === 'entry') throw new RedCloudError('INVALID', 'legacy entry records are converted on open, not stored');
    if (prev?.type === 'dead' && next.type !== 'dead') throw new RedCloudError('INTERNAL', `write to collected record ${next.key}`);
    const k = parseKey(next.key);
    const owner = k.type === 'user' ? null : k.owner;
    if (k.type === 'inode') usage!.touch(k.owner, k.ino);
    // a stored record keeps its bucket (a hash of the key), given to the row only when the key is new
    const bucket = buckets.replace(prev, next);
    const json = JSON.stringify(next);
    if (!prev || s.updateRecord.run(next.type, owner, json, next.key).changes === 0) s.putRecord.run(next.key, next.type, owner, bucket, json);
    remember(next);
    dirtyBuckets.add(bucket);
    if (k.type === 'inode') indexInode(next.key, next.type === 'inode' ? next : undefined, prev);
    else if (k.type === 'link') {
      links.indexLink(next.key, k.owner, next.type === 'link' ? next : undefined);
      indexTrashExpiry(s, next, prev);
    }
    if (next.type === 'dead' && prev?.type !== 'dead') dropLogRows(next.key);
    return json; // the usage counters settle once, at the end of the outermost transaction (runTx)
  }

  function arrive(incoming: MetaRecord, logged?: Update): RemoteApplyResult {
    const current = read(incoming.key);
    hlc = receive(hlc, incoming.hlc, opts.now());
    seq = Math.max(seq, incoming.vv[opts.nodeId] ?? 0); // our own writes coming back after a lost database
    if (logged && logged.origin === opts.nodeId && logged.seq > seq) seq = logged.seq;
    saveClock();
    if (logged) {
      const held = s.getLog.get(logged.origin, incoming.key);
      if (held && held.seq >= logged.seq && current) return unchanged(current, incoming);
    }
    const d = decideRemote(current, incoming);
    if (d.absorbed) return unchanged(current, incoming);
    if (logged) putLog(logged.origin, logged.seq, incoming); // the update as its origin produced it
    const decided = links.decisions();
    if (d.changed) persist(d.record, current);
    return { changed: d.changed, conflict: d.conflict || links.decisions() > decided, before: current, after: d.record };
  }

  const fingerprints = (): Fingerprinted[] => s.allRecords.all().map((row) => {
    const r = JSON.parse(row.record) as MetaRecord;
    return { key: r.key, type: r.type, vv: r.vv, hlc: r.hlc };
  });

  const api: MetadataStore = {
    nodeId: opts.nodeId,
    nextStamp(): WriteStamp {
      hlc = tick(hlc, opts.now(), opts.nodeId);
      seq += 1;
      return { hlc, node: opts.nodeId, seq };
    },
    noteOwnSeq(peerSeq) {
      if (!Number.isSafeInteger(peerSeq) || peerSeq <= seq) return;
      seq = peerSeq;
      tx(saveClock);
    },
    applyLocal: (record, writeSeq) => tx(() => {
      putLog(opts.nodeId, writeSeq, record, persist(record, read(record.key))); // the record's JSON made once, for both rows
      if (writeSeq > seq) seq = writeSeq;
      saveClock();
    }),
    applyLocalBatch: (writes) => tx(() => {
      links.deferred(() => {
        for (const { record, seq: writeSeq } of writes) {
          putLog(opts.nodeId, writeSeq, record, persist(record, read(record.key)));
          if (writeSeq > seq) seq = writeSeq;
        }
      });
      saveClock();
    }),
    applyRemote: (u) => tx(() => arrive(u.record, u)),
    mergeRecord: (r) => tx(() => arrive(r)),
    fingerprints,
    bucketHashes: () => buckets.hashes(),
    recordsInBuckets(buckets) {
      const rows = [...buckets].flatMap((b) => s.bucketRecords.all(b));
      return rows.sort((a, b) => compareBytes(a.key, b.key)).map((row) => JSON.parse(row.record) as MetaRecord);
    },
    getRecord: read,
    digest() {
      const out: Digest = { ...floors };
      for (const [origin, max] of logMax) out[origin] = Math.max(max, floors[origin] ?? 0);
      return out;
    },
    updatesSince(digest, limit, maxBytes = Number.POSITIVE_INFINITY) {
      const out: Update[] = [];
      let bytes = 0;
      for (const origin of [...logMax.keys()].sort()) {
        if (out.length >= limit || bytes > maxBytes) break;
        for (const row of s.since.iterate(origin, digest[origin] ?? 0, limit - out.length)) {
          out.push({ origin: row.origin, seq: row.seq, record: JSON.parse(row.record) as MetaRecord });
          bytes += row.record.length + 64;
          if (bytes > maxBytes) break; // ends the iteration (the statement is reset)
        }
      }
      return out;
    },
    transaction: tx,
    ...viewMethods(s, links, read, (key) => recent.get(key)),
    usage: (owner) => usage!.get(owner),
    ...chunkMethods(db, tx),
    tombstones: (deletedBeforeMs, limit) => tombstoneCandidates(s, logOf, deletedBeforeMs, limit),
    collectTombstones: (keys) => tx(() => {
      let n = 0;
      for (const key of keys) {
        const r = read(key);
        if (!r || !stillCollectable(s, r)) continue;
        persist(deathOf(r), r);
        n += 1;
      }
      return n;
    }),
    durable: () => group?.durable() ?? Promise.resolve(),
    close: () => {
      wal?.close();
      db.close();
    },
  };
  return { api, dropLogRows };
}

/** Keeps trash_expiry, the index of trash entries by expiry time (trashExpiring), in line with the link record now stored. */
function indexTrashExpiry(s: Stmts, next: MetaRecord, prev: MetaRecord | undefined): void {
  const m = next.type === 'link' ? trashMoveOf(next) : undefined;
  if (m) s.putTrashExpiry.run(next.key, (next as LinkRecord).owner, (next as LinkRecord).id, m.trash.expiresMs);
  else if (prev?.type === 'link' && trashMoveOf(prev)) s.delTrashExpiry.run(next.key);
}

function inodeIndexer(s: Stmts) {
  return (key: string, next: InodeRecord | undefined, prev: MetaRecord | undefined): void => {
    if (!next) {
      s.delInode.run(key);
      s.delTags.run(key);
      s.delChunks.run(key);
      return;
    }
    const old = prev?.type === 'inode' ? prev : undefined;
    const linkRows = old ? 0 : s.linkRowsOf.get(next.owner, next.ino)!.n; // ignored on update
    // a directory's row never changes once written (hlc_ms only ages unnamed non-directories): every entry change rewrote it
    if (!(old?.kind === 'dir' && next.kind === 'dir')) s.putInode.run(key, next.owner, next.ino, inoNumber(next.ino), next.kind, next.hlc.wallMs, linkRows);
    const tags = tagNames(next.tags);
    if (!old || tagNames(old.tags).join('\0') !== tags.join('\0')) {
      s.delTags.run(key);
      for (const t of tags) s.addTag.run(key, next.owner, t);
    }
    const chunks = chunksOf(next);
    if (!old || chunksOf(old).join() !== chunks.join()) {
      s.delChunks.run(key);
      for (const c of chunks) s.addChunk.run(key, c);
    }
  };
}

function stillCollectable(s: Stmts, r: MetaRecord): boolean {
  if (r.type === 'link') return unlinkedAt(r) !== undefined;
  if (r.type === 'inode') return collectableInode(r) && s.linkRowsOf.get(r.owner, r.ino)!.n === 0;
  return false;
}

function tombstoneCandidates(s: Stmts, logOf: (key: string) => { origin: string; seq: number }[], deletedBeforeMs: number, limit: number): TombstoneCandidate[] {
  const n = Math.max(0, Math.floor(limit));
  const rows = [...s.unnamedInodes.all(ROOT_INO, deletedBeforeMs, n), ...s.unlinkedLinks.all(deletedBeforeMs, n)];
  rows.sort((a, b) => compareBytes(a.key, b.key));
  return rows.slice(0, n).map((row) => {
    const writes: Record<string, number> = {};
    for (const w of logOf(row.key)) writes[w.origin] = w.seq;
    return { key: row.key, deletedAtMs: row.at, writes };
  });
}

/** `parsed`: the record if it is among the recent ones (no query, no parse) */
function viewMethods(s: Stmts, links: ReturnType<typeof linkIndex>, read: (key: string) => MetaRecord | undefined, parsed: (key: string) => MetaRecord | undefined) {
  const entry = (r: EntryRow): DirEntry => ({ linkId: r.link_id, parent: r.parent!, name: r.shown!, ino: r.ino, dir: r.dir === 1 });
  return {
    getInode(owner: string, ino: string): InodeRecord | undefined {
      const r = read(inodeKey(owner, ino));
      return r?.type === 'inode' ? r : undefined;
    },
    getLink(owner: string, linkId: string): LinkRecord | undefined {
      const r = read(linkKey(owner, linkId));
      return r?.type === 'link' ? r : undefined;
    },
    lookup(owner: string, parent: string, name: string): DirEntry | undefined {
      const row = s.lookup.get(owner, parent, name);
      return row ? entry(row) : undefined;
    },
    children: (owner: string, parent: string): DirEntry[] => s.children.all(owner, parent).map(entry),
    listing: (owner: string, parent: string): ListedEntry[] => s.listing.all(owner, parent).map((r) => ({
      entry: entry(r),
      // a record read or written just now is parsed already (the recent records are the stored versions)
      inode: (parsed(inodeKey(owner, r.ino)) ?? JSON.parse(r.record)) as InodeRecord,
      linkRows: r.link_rows,
    })),
    hasChildren: (owner: string, parent: string): boolean => s.hasChildren.get(owner, parent) !== undefined,
    linksOf(owner: string, ino: string): DirEntry[] {
      const st = links.stateOf(owner);
      return s.linksOfIno.all(owner, ino).filter((r) => links.reachable(st, r.parent!)).map(entry);
    },
    subdirCount: (owner: string, ino: string): number => s.subdirs.get(owner, ino)!.n,
    pathOf(owner: string, e: DirEntry): string | undefined {
      const above = links.pathOfDir(links.stateOf(owner), e.parent);
      return above === undefined ? undefined : `${above}/${e.name}`;
    },
    inoOfNumber: (owner: string, n: number): string | undefined => s.inoOfNumber.get(owner, n)?.ino,
    findByTags(owner: string, tags: string[]): InodeRecord[] {
      const want = [...new Set(tags)];
      if (want.length === 0) return [];
      const hits = new Map<string, number>();
      for (const t of want) for (const { key: r } of s.tagKeys.all(owner, t)) hits.set(r, (hits.get(r) ?? 0) + 1);
      return [...hits].filter(([, n]) => n === want.length).map(([k]) => k).sort(compareBytes)
        .map((k) => read(k) as InodeRecord);
    },
    tagCounts: (owner: string) => s.tagCounts.all(owner),
    inodeCount: (owner: string): number => s.inodeCount.get(owner, ROOT_INO)!.n,
    trashOwners: (): string[] => s.trashOwners.all().map((r) => r.owner),
    trashExpiring(expiresByMs: number, limit: number, after?: TrashCandidate): TrashCandidate[] {
      const afterMs = after?.expiresMs ?? Number.MIN_SAFE_INTEGER;
      const afterKey = after ? linkKey(after.owner, after.linkId) : '';
      return s.trashExpiring.all(expiresByMs, afterMs, afterMs, afterKey, limit).map((r) => ({ owner: r.owner, linkId: r.link_id, expiresMs: r.expires_ms }));
    },
  };
}

function chunkMethods(db: Db, tx: <T>(fn: () => T) => T) {
  const q = {
    locDelServer: db.prepare('DELETE FROM chunk_locations WHERE server_id = ?'),
    putServer: db.prepare(`INSERT INTO chunkservers (id, url, last_heartbeat_ms) VALUES (?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET url = excluded.url, last_heartbeat_ms = excluded.last_heartbeat_ms`),
    servers: db.prepare<[], { id: string; url: string; last_heartbeat_ms: number }>('SELECT id, url, last_heartbeat_ms FROM chunkservers ORDER BY id'),
    locAdd: db.prepare('INSERT OR IGNORE INTO chunk_locations (chunk_id, server_id) VALUES (?, ?)'),
    locDel: db.prepare('DELETE FROM chunk_locations WHERE chunk_id = ? AND server_id = ?'),
    locOf: db.prepare<[string], { server_id: string }>('SELECT server_id FROM chunk_locations WHERE chunk_id = ? ORDER BY server_id'),
    refCount: db.prepare<[], { n: number }>('SELECT COUNT(DISTINCT chunk_id) AS n FROM named_chunks'),
    refChunks: db.prepare<[], { chunk_id: string }>('SELECT DISTINCT chunk_id FROM named_chunks ORDER BY chunk_id'),
    refLocations: db.prepare<[], { chunk_id: string; servers: string | null }>(
      `SELECT r.chunk_id, GROUP_CONCAT(l.server_id) AS servers FROM (SELECT DISTINCT chunk_id FROM named_chunks) r
       LEFT JOIN chunk_locations l ON l.chunk_id = r.chunk_id GROUP BY r.chunk_id ORDER BY r.chunk_id`),
    unrefLocations: db.prepare<[], { chunk_id: string; servers: string }>(
      `SELECT l.chunk_id, GROUP_CONCAT(l.server_id) AS servers FROM chunk_locations l
       WHERE NOT EXISTS (SELECT 1 FROM named_chunks n WHERE n.chunk_id = l.chunk_id)
       GROUP BY l.chunk_id ORDER BY l.chunk_id`),
    inRecords: db.prepare<[string], { x: number }>('SELECT 1 AS x FROM named_chunks WHERE chunk_id = ? LIMIT 1'),
    ownedBy: db.prepare<[string, string], { x: number }>('SELECT 1 AS x FROM named_chunks WHERE chunk_id = ? AND owner = ? LIMIT 1'),
  };
  const split = (servers: string | null): string[] => (servers ? servers.split(',').sort(compareBytes) : []);
  const add = (serverId: string, chunkIds: string[]): void => tx(() => { for (const id of chunkIds) q.locAdd.run(id, serverId); });
  return {
    replaceLocations: (serverId: string, chunkIds: string[]): void => tx(() => {
      q.locDelServer.run(serverId);
      for (const id of chunkIds) q.locAdd.run(id, serverId);
    }),
    saveChunkserver: (id: string, url: string, lastHeartbeatMs: number): void => void q.putServer.run(id, url, lastHeartbeatMs),
    knownChunkservers: () => q.servers.all().map((r) => ({ id: r.id, url: r.url, lastHeartbeatMs: r.last_heartbeat_ms })),
    addLocations: add,
    removeLocations: (serverId: string, chunkIds: string[]): void => tx(() => { for (const id of chunkIds) q.locDel.run(id, serverId); }),
    locationsOf: (chunkId: string): string[] => q.locOf.all(chunkId).map((r) => r.server_id),
    referencedChunkCount: (): number => q.refCount.get()!.n,
    underReplicatedCount(want: number, liveServers: string[]): number {
      const live = new Set(liveServers);
      let n = 0;
      for (const { chunk_id } of q.refChunks.all()) if (q.locOf.all(chunk_id).filter((r) => live.has(r.server_id)).length < want) n += 1;
      return n;
    },
    referencedChunkLocations: () => q.refLocations.all().map((r) => ({ chunkId: r.chunk_id, locations: split(r.servers) })),
    unreferencedChunkLocations: () => q.unrefLocations.all().map((r) => ({ chunkId: r.chunk_id, locations: split(r.servers) })),
    isChunkReferenced: (chunkId: string): boolean => q.inRecords.get(chunkId) !== undefined,
    isChunkOwnedBy: (chunkId: string, owner: string): boolean => q.ownedBy.get(chunkId, owner) !== undefined,
  };
}
