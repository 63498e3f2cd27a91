/**
 * The controller's metadata store on SQLite (better-sqlite3, WAL, synchronous=NORMAL): the merged
 * records with indexed owner/path/parent columns for listing and a tag index for find; the update
 * log for scuttlebutt gossip (per (origin, key) only the latest update: a digest {origin: max seq}
 * tells what a peer lacks); node meta (own write sequence, last HLC); chunk locations. Every local
 * write stores the record and its log row in ONE transaction. `openStore({ path: ':memory:' })`
 * is the in-memory variant for tests.
 */
import Database from 'better-sqlite3';
import { RedCloudError } from '../common/errors.js';
import { parentOf } from '../common/paths.js';
import { receive, tick, ZERO_HLC } from '../meta/hlc.js';
import { mergeRecords } from '../meta/merge.js';
import { tagNames } from '../meta/tags.js';
import type { Digest, EntryRecord, Hlc, MetaRecord, NodeId, Update, VersionVector } from '../meta/types.js';
import { bucketOf } from './gossip/protocol.js';
import type { WriteStamp } from '../meta/ops.js';

export interface RemoteApplyResult {
  /** false when the update was already known (nothing changed) */
  changed: boolean;
  conflict: boolean;
  before?: MetaRecord;
  after: MetaRecord;
}

export interface MetadataStore {
  readonly nodeId: NodeId;
  /** Stamp of the next local write (seq and HLC); persisted by applyLocal. */
  nextStamp(): WriteStamp;
  applyLocal(record: MetaRecord, seq: number): void;
  applyRemote(update: Update): RemoteApplyResult;
  /** Merges a whole record from a peer (anti-entropy) outside the update log. */
  mergeRecord(record: MetaRecord): RemoteApplyResult;
  /** key, vv and hlc of every record, tombstones included (anti-entropy bucket hashes). */
  fingerprints(): Iterable<{ key: string; vv: VersionVector; hlc: Hlc }>;
  /** Every record (tombstones included) whose key hashes into one of `buckets` (gossip/protocol bucketOf). */
  recordsInBuckets(buckets: ReadonlySet<number>): MetaRecord[];
  getRecord(key: string): MetaRecord | undefined;
  getEntry(owner: string, path: string): EntryRecord | undefined;
  /** Live direct children of `dir`, sorted by path. */
  listChildren(owner: string, dir: string): EntryRecord[];
  /** Live entries strictly below `dir`, sorted by path (parents before children). */
  listSubtree(owner: string, dir: string): EntryRecord[];
  /** Live files under `under` carrying every tag. */
  findByTags(owner: string, tags: string[], under: string): EntryRecord[];
  tagCounts(owner: string): { tag: string; count: number }[];
  digest(): Digest;
  updatesSince(digest: Digest, limit: number): Update[];
  transaction<T>(fn: () => T): T;
  // chunk locations
  replaceLocations(serverId: string, chunkIds: string[]): void;
  /** Remembers a chunkserver's address, so read plans can name it right after a restart. */
  saveChunkserver(id: string, url: string, lastHeartbeatMs: number): void;
  knownChunkservers(): { id: string; url: string; lastHeartbeatMs: number }[];
  addLocations(serverId: string, chunkIds: string[]): void;
  removeLocations(serverId: string, chunkIds: string[]): void;
  locationsOf(chunkId: string): string[];
  /** Distinct chunks referenced by live files. */
  referencedChunkCount(): number;
  /** Referenced chunks with fewer than `want` locations among `liveServers`. */
  underReplicatedCount(want: number, liveServers: string[]): number;
  /** Every chunk referenced by a live file, with the servers known to hold it (maybe none); sorted by id. */
  referencedChunkLocations(): { chunkId: string; locations: string[] }[];
  /**
   * Chunks held by some chunkserver that no record references and no update-log row (any
   * version of any origin this controller holds) mentions: garbage candidates, with holders.
   */
  unreferencedChunkLocations(): { chunkId: string; locations: string[] }[];
  /** True if a live record or any update-log row references the chunk (re-checked before a delete). */
  isChunkReferenced(chunkId: string): boolean;
  /** True if a live entry of `owner` references the chunk. */
  isChunkOwnedBy(chunkId: string, owner: string): boolean;
  /** Entry tombstones deleted at or before `deletedBeforeMs` (HLC wall time), with their update-log rows; at most `limit`. */
  tombstones(deletedBeforeMs: number, limit: number): { key: string; deletedAtMs: number; writes: Record<string, number> }[];
  /**
   * Forgets these tombstones (records and update-log rows) if they are still tombstones; the
   * digest never goes backwards (per-origin floors keep the highest seq removed). Returns how many.
   */
  collectTombstones(keys: readonly string[]): number;
  close(): void;
}

export interface StoreOptions {
  /** file path or ':memory:' */
  path: string;
  nodeId: NodeId;
  /** wall clock, ms */
  now: () => number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  key TEXT PRIMARY KEY, type TEXT NOT NULL, owner TEXT, path TEXT, parent TEXT,
  live INTEGER NOT NULL, kind TEXT, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_parent ON records(owner, parent, path) WHERE live = 1;
CREATE INDEX IF NOT EXISTS records_path ON records(owner, path);
CREATE TABLE IF NOT EXISTS record_tags (key TEXT NOT NULL, owner TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (key, tag));
CREATE INDEX IF NOT EXISTS record_tags_tag ON record_tags(owner, tag);
CREATE TABLE IF NOT EXISTS record_chunks (key TEXT NOT NULL, chunk_id TEXT NOT NULL, PRIMARY KEY (key, chunk_id));
CREATE INDEX IF NOT EXISTS record_chunks_chunk ON record_chunks(chunk_id);
CREATE TABLE IF NOT EXISTS updates (origin TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (origin, key));
CREATE INDEX IF NOT EXISTS updates_seq ON updates(origin, seq);
CREATE TABLE IF NOT EXISTS node_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_locations (chunk_id TEXT NOT NULL, server_id TEXT NOT NULL, PRIMARY KEY (chunk_id, server_id));
CREATE INDEX IF NOT EXISTS chunk_locations_server ON chunk_locations(server_id);
CREATE INDEX IF NOT EXISTS updates_key ON updates(key);
CREATE TABLE IF NOT EXISTS chunkservers (id TEXT PRIMARY KEY, url TEXT NOT NULL, last_heartbeat_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_chunks (origin TEXT NOT NULL, key TEXT NOT NULL, chunk_id TEXT NOT NULL, PRIMARY KEY (origin, key, chunk_id));
CREATE INDEX IF NOT EXISTS log_chunks_chunk ON log_chunks(chunk_id);
CREATE INDEX IF NOT EXISTS records_tombstones ON records(type, live);
`;

/** Upper bound of paths strictly below `dir` for a range scan ('0' follows '/'). */
function subtreeRange(dir: string): [string, string] {
  return dir === '/' ? ['/', '0'] : [`${dir}/`, `${dir}0`];
}

export function openStore(opts: StoreOptions): MetadataStore {
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = OFF');
  db.exec(SCHEMA);

  const getMeta = db.prepare<[string], { v: string }>('SELECT v FROM node_meta WHERE k = ?');
  const setMeta = db.prepare('INSERT INTO node_meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v');
  const storedNode = getMeta.get('node_id')?.v;
  if (storedNode && storedNode !== opts.nodeId) {
    throw new RedCloudError('INTERNAL', `Database belongs to node ${storedNode}, not ${opts.nodeId}`);
  }
  setMeta.run('node_id', opts.nodeId);
  let seq = Number(getMeta.get('seq')?.v ?? '0');
  let hlc: Hlc = getMeta.get('hlc') ? (JSON.parse(getMeta.get('hlc')!.v) as Hlc) : { ...ZERO_HLC, node: opts.nodeId };
  /** origin → highest seq of a collected (removed) update-log row: the digest's lower bound */
  const floors: Digest = getMeta.get('digest_floors') ? (JSON.parse(getMeta.get('digest_floors')!.v) as Digest) : {};

  const s = {
    getRecord: db.prepare<[string], { record: string }>('SELECT record FROM records WHERE key = ?'),
    putRecord: db.prepare(`INSERT INTO records (key, type, owner, path, parent, live, kind, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET type=excluded.type, owner=excluded.owner, path=excluded.path, parent=excluded.parent,
      live=excluded.live, kind=excluded.kind, record=excluded.record`),
    delTags: db.prepare('DELETE FROM record_tags WHERE key = ?'),
    addTag: db.prepare('INSERT OR IGNORE INTO record_tags (key, owner, tag) VALUES (?, ?, ?)'),
    delChunks: db.prepare('DELETE FROM record_chunks WHERE key = ?'),
    addChunk: db.prepare('INSERT OR IGNORE INTO record_chunks (key, chunk_id) VALUES (?, ?)'),
    getLog: db.prepare<[string, string], { seq: number }>('SELECT seq FROM updates WHERE origin = ? AND key = ?'),
    putLog: db.prepare(`INSERT INTO updates (origin, seq, key, record) VALUES (?, ?, ?, ?)
      ON CONFLICT(origin, key) DO UPDATE SET seq = excluded.seq, record = excluded.record WHERE excluded.seq > updates.seq`),
    children: db.prepare<[string, string], { record: string }>('SELECT record FROM records WHERE owner = ? AND parent = ? AND live = 1 ORDER BY path'),
    subtree: db.prepare<[string, string, string], { record: string }>(
      'SELECT record FROM records WHERE owner = ? AND path > ? AND path < ? AND live = 1 ORDER BY path'),
    tagCounts: db.prepare<[string], { tag: string; count: number }>(
      'SELECT tag, COUNT(*) AS count FROM record_tags WHERE owner = ? GROUP BY tag ORDER BY tag'),
    digest: db.prepare<[], { origin: string; seq: number }>('SELECT origin, MAX(seq) AS seq FROM updates GROUP BY origin'),
    since: db.prepare<[string, number, number], { origin: string; seq: number; record: string }>(
      'SELECT origin, seq, record FROM updates WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?'),
    origins: db.prepare<[], { origin: string }>('SELECT DISTINCT origin FROM updates ORDER BY origin'),
    locDelServer: db.prepare('DELETE FROM chunk_locations WHERE server_id = ?'),
    putServer: db.prepare(`INSERT INTO chunkservers (id, url, last_heartbeat_ms) VALUES (?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET url = excluded.url, last_heartbeat_ms = excluded.last_heartbeat_ms`),
    servers: db.prepare<[], { id: string; url: string; last_heartbeat_ms: number }>('SELECT id, url, last_heartbeat_ms FROM chunkservers ORDER BY id'),
    locAdd: db.prepare('INSERT OR IGNORE INTO chunk_locations (chunk_id, server_id) VALUES (?, ?)'),
    locDel: db.prepare('DELETE FROM chunk_locations WHERE chunk_id = ? AND server_id = ?'),
    locOf: db.prepare<[string], { server_id: string }>('SELECT server_id FROM chunk_locations WHERE chunk_id = ? ORDER BY server_id'),
    refCount: db.prepare<[], { n: number }>('SELECT COUNT(DISTINCT chunk_id) AS n FROM record_chunks'),
    allRecords: db.prepare<[], { key: string; record: string }>('SELECT key, record FROM records ORDER BY key'),
    refChunks: db.prepare<[], { chunk_id: string }>('SELECT DISTINCT chunk_id FROM record_chunks'),
    refLocations: db.prepare<[], { chunk_id: string; servers: string | null }>(
      `SELECT r.chunk_id, GROUP_CONCAT(l.server_id) AS servers FROM (SELECT DISTINCT chunk_id FROM record_chunks) r
       LEFT JOIN chunk_locations l ON l.chunk_id = r.chunk_id GROUP BY r.chunk_id ORDER BY r.chunk_id`),
    unrefLocations: db.prepare<[], { chunk_id: string; servers: string }>(
      `SELECT l.chunk_id, GROUP_CONCAT(l.server_id) AS servers FROM chunk_locations l
       WHERE NOT EXISTS (SELECT 1 FROM record_chunks rc WHERE rc.chunk_id = l.chunk_id)
         AND NOT EXISTS (SELECT 1 FROM log_chunks lc WHERE lc.chunk_id = l.chunk_id)
       GROUP BY l.chunk_id ORDER BY l.chunk_id`),
    chunkInRecords: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM record_chunks WHERE chunk_id = ?'),
    tombstones: db.prepare<[number, number], { key: string; record: string }>(
      "SELECT key, record FROM records WHERE type = 'entry' AND live = 0 AND json_extract(record, '$.hlc.wallMs') <= ? ORDER BY key LIMIT ?"),
    logOfKey: db.prepare<[string], { origin: string; seq: number }>('SELECT origin, seq FROM updates WHERE key = ?'),
    delLogOfKey: db.prepare('DELETE FROM updates WHERE key = ?'),
    delRecord: db.prepare('DELETE FROM records WHERE key = ?'),
    chunkInLog: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM (SELECT 1 FROM log_chunks WHERE chunk_id = ? LIMIT 1)'),
    chunkOwnedBy: db.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM record_chunks rc JOIN records r ON r.key = rc.key
       WHERE rc.chunk_id = ? AND r.owner = ? AND r.live = 1 LIMIT 1)`),
    delLogChunks: db.prepare('DELETE FROM log_chunks WHERE origin = ? AND key = ?'),
    delLogChunksOfKey: db.prepare('DELETE FROM log_chunks WHERE key = ?'),
    addLogChunk: db.prepare('INSERT OR IGNORE INTO log_chunks (origin, key, chunk_id) VALUES (?, ?, ?)'),
    logChunksEmpty: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM (SELECT 1 FROM log_chunks LIMIT 1)'),
    logRows: db.prepare<[], { origin: string; key: string; record: string }>('SELECT origin, key, record FROM updates'),
  };

  /**
   * Stores an update-log row (only if newer than the one held for (origin, key)) and indexes the
   * chunks its record references, so "does any held version reference this chunk?" is a lookup.
   */
  function putLog(origin: string, logSeq: number, record: MetaRecord): void {
    if (s.putLog.run(origin, logSeq, record.key, JSON.stringify(record)).changes === 0) return;
    indexLogChunks(origin, record);
  }

  function indexLogChunks(origin: string, record: MetaRecord): void {
    s.delLogChunks.run(origin, record.key);
    if (record.type === 'entry') for (const c of record.value?.chunks ?? []) s.addLogChunk.run(origin, record.key, c.id);
  }

  // Databases written before log_chunks existed: index their update log once.
  if (s.logChunksEmpty.get()!.n === 0) {
    db.transaction(() => {
      for (const row of s.logRows.all()) indexLogChunks(row.origin, JSON.parse(row.record) as MetaRecord);
    })();
  }
  const splitServers = (servers: string | null): string[] => (servers ? servers.split(',').sort() : []);

  const parse = (row: { record: string } | undefined): MetaRecord | undefined => (row ? (JSON.parse(row.record) as MetaRecord) : undefined);

  function writeRecord(r: MetaRecord): void {
    if (r.type === 'entry') {
      const live = r.value !== null;
      s.putRecord.run(r.key, r.type, r.owner, r.path, r.path === '/' ? null : parentOf(r.path), live ? 1 : 0, r.value?.kind ?? null, JSON.stringify(r));
      s.delTags.run(r.key);
      s.delChunks.run(r.key);
      if (live) {
        for (const tag of tagNames(r.tags)) s.addTag.run(r.key, r.owner, tag);
        for (const c of r.value!.chunks) s.addChunk.run(r.key, c.id);
      }
    } else {
      s.putRecord.run(r.key, r.type, null, null, null, r.passwordHash !== null ? 1 : 0, null, JSON.stringify(r));
    }
  }

  function saveClock(): void {
    setMeta.run('seq', String(seq));
    setMeta.run('hlc', JSON.stringify(hlc));
  }

  const collectTombstonesTx = db.transaction((keys: readonly string[]): number => {
    let n = 0;
    for (const key of keys) {
      const r = parse(s.getRecord.get(key));
      if (!r || r.type !== 'entry' || r.value !== null) continue;
      for (const row of s.logOfKey.all(key)) floors[row.origin] = Math.max(floors[row.origin] ?? 0, row.seq);
      s.delLogOfKey.run(key);
      s.delLogChunksOfKey.run(key);
      s.delTags.run(key);
      s.delChunks.run(key);
      s.delRecord.run(key);
      n++;
    }
    setMeta.run('digest_floors', JSON.stringify(floors));
    return n;
  });

  const applyLocalTx = db.transaction((record: MetaRecord, writeSeq: number) => {
    writeRecord(record);
    putLog(opts.nodeId, writeSeq, record);
    saveClock();
  });

  const applyRemoteTx = db.transaction((u: Update): RemoteApplyResult => {
    const known = s.getLog.get(u.origin, u.record.key);
    const current = parse(s.getRecord.get(u.record.key));
    hlc = receive(hlc, u.record.hlc, opts.now());
    if (u.origin === opts.nodeId && u.seq > seq) seq = u.seq; // our own writes coming back after a lost DB
    // at or below the floor and unknown: a collected tombstone's write coming back; keep it gone
    const collected = !known && !current && u.seq <= (floors[u.origin] ?? 0);
    if ((known && known.seq >= u.seq && current) || collected) {
      saveClock();
      return { changed: false, conflict: false, before: current, after: current ?? u.record };
    }
    putLog(u.origin, u.seq, u.record);
    const merged = current ? mergeRecords(current, u.record) : { record: u.record, conflict: false };
    writeRecord(merged.record);
    saveClock();
    return { changed: JSON.stringify(current) !== JSON.stringify(merged.record), conflict: merged.conflict, before: current, after: merged.record };
  });

  const mergeRecordTx = db.transaction((incoming: MetaRecord): RemoteApplyResult => {
    const current = parse(s.getRecord.get(incoming.key));
    hlc = receive(hlc, incoming.hlc, opts.now());
    const merged = current ? mergeRecords(current, incoming) : { record: incoming, conflict: false };
    const changed = JSON.stringify(current) !== JSON.stringify(merged.record);
    if (changed) writeRecord(merged.record);
    saveClock();
    return { changed, conflict: merged.conflict, before: current, after: merged.record };
  });

  return {
    nodeId: opts.nodeId,
    mergeRecord: (r) => mergeRecordTx(r),
    fingerprints() {
      return s.allRecords.all().map((row) => {
        const r = JSON.parse(row.record) as MetaRecord;
        return { key: r.key, vv: r.vv, hlc: r.hlc };
      });
    },
    recordsInBuckets(buckets) {
      const out: MetaRecord[] = [];
      for (const row of s.allRecords.all()) if (buckets.has(bucketOf(row.key))) out.push(JSON.parse(row.record) as MetaRecord);
      return out;
    },
    nextStamp() {
      hlc = tick(hlc, opts.now(), opts.nodeId);
      seq += 1;
      return { hlc, node: opts.nodeId, seq };
    },
    applyLocal: (record, writeSeq) => applyLocalTx(record, writeSeq),
    applyRemote: (u) => applyRemoteTx(u),
    getRecord: (key) => parse(s.getRecord.get(key)),
    getEntry(owner, path) {
      const r = parse(s.getRecord.get(`e\0${owner}\0${path}`));
      return r?.type === 'entry' ? r : undefined;
    },
    listChildren: (owner, dir) => s.children.all(owner, dir).map((row) => JSON.parse(row.record) as EntryRecord),
    listSubtree(owner, dir) {
      const [lo, hi] = subtreeRange(dir);
      return s.subtree.all(owner, lo, hi).map((row) => JSON.parse(row.record) as EntryRecord);
    },
    findByTags(owner, tags, under) {
      const uniq = [...new Set(tags)];
      if (uniq.length === 0) return [];
      const [lo, hi] = subtreeRange(under);
      const rows = db.prepare(
        `SELECT r.record FROM records r JOIN record_tags t ON t.key = r.key
         WHERE t.owner = ? AND t.tag IN (${uniq.map(() => '?').join(',')}) AND r.live = 1 AND r.kind = 'file' AND r.path > ? AND r.path < ?
         GROUP BY r.key HAVING COUNT(DISTINCT t.tag) = ? ORDER BY r.path`,
      ).all(owner, ...uniq, lo, hi, uniq.length) as { record: string }[];
      return rows.map((row) => JSON.parse(row.record) as EntryRecord);
    },
    tagCounts: (owner) => s.tagCounts.all(owner),
    digest() {
      const out: Digest = { ...floors };
      for (const row of s.digest.all()) out[row.origin] = Math.max(row.seq, floors[row.origin] ?? 0);
      return out;
    },
    updatesSince(digest, limit) {
      const out: Update[] = [];
      for (const { origin } of s.origins.all()) {
        if (out.length >= limit) break;
        for (const row of s.since.all(origin, digest[origin] ?? 0, limit - out.length)) {
          out.push({ origin: row.origin, seq: row.seq, record: JSON.parse(row.record) as MetaRecord });
        }
      }
      return out;
    },
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
    saveChunkserver: (id, url, lastHeartbeatMs) => void s.putServer.run(id, url, lastHeartbeatMs),
    knownChunkservers: () => s.servers.all().map((r) => ({ id: r.id, url: r.url, lastHeartbeatMs: r.last_heartbeat_ms })),
    replaceLocations: db.transaction((serverId: string, chunkIds: string[]) => {
      s.locDelServer.run(serverId);
      for (const id of chunkIds) s.locAdd.run(id, serverId);
    }),
    addLocations: db.transaction((serverId: string, chunkIds: string[]) => {
      for (const id of chunkIds) s.locAdd.run(id, serverId);
    }),
    removeLocations: db.transaction((serverId: string, chunkIds: string[]) => {
      for (const id of chunkIds) s.locDel.run(id, serverId);
    }),
    locationsOf: (chunkId) => s.locOf.all(chunkId).map((r) => r.server_id),
    referencedChunkCount: () => s.refCount.get()!.n,
    underReplicatedCount(want, liveServers) {
      const live = new Set(liveServers);
      let n = 0;
      for (const { chunk_id } of s.refChunks.all()) {
        if (s.locOf.all(chunk_id).filter((r) => live.has(r.server_id)).length < want) n += 1;
      }
      return n;
    },
    referencedChunkLocations: () => s.refLocations.all().map((r) => ({ chunkId: r.chunk_id, locations: splitServers(r.servers) })),
    unreferencedChunkLocations: () => s.unrefLocations.all().map((r) => ({ chunkId: r.chunk_id, locations: splitServers(r.servers) })),
    tombstones(deletedBeforeMs, limit) {
      // the limit bounds the work of one collection pass
      const out: { key: string; deletedAtMs: number; writes: Record<string, number> }[] = [];
      for (const row of s.tombstones.all(deletedBeforeMs, limit)) {
        const r = JSON.parse(row.record) as MetaRecord;
        const writes: Record<string, number> = {};
        for (const w of s.logOfKey.all(row.key)) writes[w.origin] = w.seq;
        out.push({ key: row.key, deletedAtMs: r.hlc.wallMs, writes });
      }
      return out;
    },
    collectTombstones: (keys) => collectTombstonesTx(keys),
    isChunkReferenced: (chunkId) => s.chunkInRecords.get(chunkId)!.n > 0 || s.chunkInLog.get(chunkId)!.n > 0,
    isChunkOwnedBy: (chunkId, owner) => s.chunkOwnedBy.get(chunkId, owner)!.n > 0,
    close: () => db.close(),
  };
}
