// The SQLite metadata store: the shared contract, plus what only a database has — persistence
// across close/reopen (records, view, clock, floors, locations) and the conversion of a database
// written by the path-keyed version.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moveLink } from '../../../src/meta/ops.js';
import { openStore } from '../../../src/controller/store.js';
import { storeSuite, fsOf } from './store-suite.js';
import Database from 'better-sqlite3';
import { ROOT_INO } from '../../../src/meta/keys.js';
import { TRASH_INO } from '../../../src/meta/trash.js';
import { tsFromMs } from '../../../src/meta/register.js';

storeSuite('sqlite', (o) => openStore({ path: ':memory:', ...o }));

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-store-test-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records, view, clock, floors and locations survive a reopen; the node id is checked', () => withDir((dir) => {
  const path = join(dir, 'redcloud.db');
  const s = openStore({ path, nodeId: 'a', now: () => 5000 });
  const fs = fsOf(s);
  const d = fs.mkdir(ROOT_INO, 'd');
  const f = fs.create(d.ino, 'f');
  const g = fs.create(ROOT_INO, 'g');
  fs.move(g.link, null);
  assert.is(s.collectTombstones([`l\0u\0${g.link}`]), 1);
  s.addLocations('cs1', ['c1']);
  const digest = s.digest();
  s.close();
  const again = openStore({ path, nodeId: 'a', now: () => 10 });
  assert.is(again.migration, undefined);
  assert.equal(again.children('u', ROOT_INO).map((e) => e.name), ['d']);
  assert.is(again.pathOf('u', again.lookup('u', d.ino, 'f')!), '/d/f');
  assert.equal(again.linksOf('u', f.ino).map((e) => e.linkId), [f.link]);
  assert.equal(again.digest(), digest);
  assert.equal(again.locationsOf('c1'), ['cs1']);
  const next = again.nextStamp();
  assert.is(next.seq, 8);
  assert.equal(next.hlc, { wallMs: 5000, logical: 7, node: 'a' });
  // the in-memory directory state is rebuilt from the tables: a rename after the reopen works
  fsOf(again).move(d.link, ROOT_INO, 'e');
  assert.is(again.pathOf('u', again.lookup('u', d.ino, 'f')!), '/e/f');
  again.close();
  assert.throws(() => openStore({ path, nodeId: 'b', now: () => 10 }), /belongs to node a/);
}));

test('a database written before the trash expiry index gets it filled on open, once', () => withDir((dir) => {
  const path = join(dir, 'm.db');
  const s = openStore({ path, nodeId: 'a', now: () => 5000 });
  const fs = fsOf(s);
  fs.root();
  const link = fs.create(ROOT_INO, 'f').link;
  const stamp = s.nextStamp();
  const next = moveLink(s.getLink('u', link)!, TRASH_INO, link, stamp);
  next.moves[next.moves.length - 1] = { ...next.moves[next.moves.length - 1]!, trash: { path: '/f', expiresMs: 7000 } };
  s.applyLocal(next, stamp.seq);
  s.close();
  const db = new Database(path);
  db.exec("DROP TABLE trash_expiry; DELETE FROM node_meta WHERE k = 'trash_expiry'"); // as the version before wrote it
  db.close();
  const again = openStore({ path, nodeId: 'a', now: () => 5000 });
  assert.equal(again.trashExpiring(8000, 10), [{ owner: 'u', linkId: link, expiresMs: 7000 }]);
  again.close();
}));

test('a database with the older link indexes gets the current ones on open, and its trash is still found', () => withDir((dir) => {
  const path = join(dir, 'redcloud.db');
  const s = openStore({ path, nodeId: 'a', now: () => 5000 });
  const fs = fsOf(s);
  const f = fs.create(ROOT_INO, 'f');
  fs.move(f.link, 'trash', f.link);
  s.close();
  const raw = new Database(path);
  raw.exec(`DROP INDEX links_by_shown_id; DROP INDEX links_by_ino_id; DROP INDEX links_trash_is;
    CREATE INDEX links_by_shown ON links(owner, parent, shown); CREATE INDEX links_by_ino ON links(owner, ino);
    CREATE INDEX links_trash ON links(owner) WHERE parent = 'trash';`);
  raw.close();
  const again = openStore({ path, nodeId: 'a', now: () => 6000 });
  again.close();
  const check = new Database(path, { readonly: true });
  const names = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'links' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[]);
  const trashPlan = check.prepare("EXPLAIN QUERY PLAN SELECT DISTINCT owner FROM links WHERE parent IS 'trash' ORDER BY owner").all() as { detail: string }[];
  check.close();
  assert.equal(names, ['links_by_ino_id', 'links_by_name', 'links_by_shown_id', 'links_dirs', 'links_subdirs', 'links_trash_is', 'links_unlinked']);
  assert.ok(trashPlan.some((r) => r.detail.includes('links_trash_is')), JSON.stringify(trashPlan));
  const third = openStore({ path, nodeId: 'a', now: () => 7000 });
  assert.equal(third.trashOwners(), ['u']);
  third.close();
}));

test('the clock of writes inside one transaction is stored with them', () => withDir((dir) => {
  const path = join(dir, 'redcloud.db');
  const s = openStore({ path, nodeId: 'a', now: () => 5000 });
  const fs = fsOf(s);
  fs.root();
  s.transaction(() => { fs.mkdir(ROOT_INO, 'd'); fs.create(ROOT_INO, 'f'); });
  s.close();
  const again = openStore({ path, nodeId: 'a', now: () => 10 });
  assert.is(again.nextStamp().seq, 6);
  again.noteOwnSeq(40); // a peer saw our writes up to 40 (a lost database): stored at once
  again.close();
  const third = openStore({ path, nodeId: 'a', now: () => 10 });
  assert.is(third.nextStamp().seq, 41);
  third.close();
}));

// ---- migration of a database written by the path-keyed version ----

/** The schema of the path-keyed store (main before the inode namespace), verbatim. */
const OLD_SCHEMA = `
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

const C1 = 'c'.repeat(64);

/** A database as the path-keyed store wrote it: entries (live, tombstoned, orphaned), a user, log rows. */
function writeLegacyDb(path: string): void {
  const db = new Database(path);
  db.exec(OLD_SCHEMA);
  let seq = 0;
  const put = (path: string, value: object | null, tags: object = {}): void => {
    seq += 1;
    const key = `e\0u\0${path}`;
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const rec = { type: 'entry', key, owner: 'u', path, value, tags, vv: { a: seq }, hlc: { wallMs: 100 + seq, logical: 0, node: 'a' } };
    db.prepare('INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(key, 'entry', 'u', path, parent, value ? 1 : 0, value ? (value as { kind: string }).kind : null, JSON.stringify(rec));
    db.prepare('INSERT INTO updates VALUES (?, ?, ?, ?)').run('a', seq, key, JSON.stringify(rec));
    if (value) for (const c of (value as { chunks: { id: string }[] }).chunks) db.prepare('INSERT INTO log_chunks VALUES (?, ?, ?)').run('a', key, c.id);
  };
  const file = (size: number, chunks: object[] = []) => ({ kind: 'file', size, mode: 0o640, mtimeMs: 1_234_567, ctimeMs: 2_345_678, chunks });
  put('/docs', { kind: 'dir', size: 0, mode: 0o750, mtimeMs: 5000, ctimeMs: 6000, chunks: [] });
  put('/docs/a.txt', file(3, [{ id: C1, size: 3 }]), { red: [['a', 2]] });
  put('/gone', null);
  put('/orphan/x', file(0));
  put('/ln', { kind: 'symlink', size: 11, mode: 0o777, mtimeMs: 1, ctimeMs: 1, target: '/docs/a.txt', chunks: [] });
  seq += 1;
  const user = { type: 'user', key: 'u\0alice', name: 'alice', passwordHash: 'scrypt$x', createdAtMs: 1, vv: { a: seq }, hlc: { wallMs: 200, logical: 0, node: 'a' } };
  db.prepare('INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(user.key, 'user', null, null, null, 1, null, JSON.stringify(user));
  db.prepare('INSERT INTO updates VALUES (?, ?, ?, ?)').run('a', seq, user.key, JSON.stringify(user));
  db.prepare('INSERT INTO record_chunks VALUES (?, ?)').run('e\0u\0/docs/a.txt', C1);
  db.prepare('INSERT INTO record_tags VALUES (?, ?, ?)').run('e\0u\0/docs/a.txt', 'u', 'red');
  for (const [k, v] of [['node_id', 'a'], ['seq', String(seq)], ['hlc', JSON.stringify({ wallMs: 200, logical: 0, node: 'a' })]]) {
    db.prepare('INSERT INTO node_meta VALUES (?, ?)').run(k, v);
  }
  db.prepare('INSERT INTO chunk_locations VALUES (?, ?)').run(C1, 'cs1');
  db.close();
}

test('a path-keyed database is converted on first open, once', () => withDir((dir) => {
  const path = join(dir, 'redcloud.db');
  writeLegacyDb(path);
  const s = openStore({ path, nodeId: 'a', now: () => 9000 });
  assert.equal(s.migration, { entries: 4, tombstones: 1, records: 11, users: 1 });
  const ls = (ino: string) => s.children('u', ino).map((e) => e.name);
  assert.equal(ls(ROOT_INO), ['docs', 'ln', 'orphan']);
  const docs = s.lookup('u', ROOT_INO, 'docs')!;
  assert.equal(ls(docs.ino), ['a.txt']);
  const a = s.getInode('u', s.lookup('u', docs.ino, 'a.txt')!.ino)!;
  assert.equal([a.kind, a.attr.v, a.content.v, a.mtime.v, a.atime.v, a.ctime], ['file', { mode: 0o640, uid: 0, gid: 0 }, { size: 3, chunks: [{ id: C1, size: 3 }] }, tsFromMs(1_234_567), tsFromMs(1_234_567), tsFromMs(2_345_678)]);
  assert.equal(s.findByTags('u', ['red']).map((r) => r.ino), [a.ino]);
  assert.equal(s.getInode('u', docs.ino)!.attr.v.mode, 0o750);
  const ln = s.getInode('u', s.lookup('u', ROOT_INO, 'ln')!.ino)!;
  assert.equal([ln.kind, ln.target, ln.content.v.size], ['symlink', '/docs/a.txt', 11]);
  assert.equal(ls(s.lookup('u', ROOT_INO, 'orphan')!.ino), ['x'], 'a missing parent becomes a directory');
  assert.is(s.getInode('u', ROOT_INO)!.kind, 'dir');
  assert.is(s.getRecord('u\0alice')!.type, 'user');
  assert.is(s.isChunkReferenced(C1), true);
  assert.equal(s.referencedChunkLocations(), [{ chunkId: C1, locations: ['cs1'] }]);
  // every new record has a log row under this node's next seqs; no entry row remains; no digest regress
  const log = s.updatesSince({}, 100);
  assert.ok(log.every((u) => !u.record.key.startsWith('e\0')));
  assert.equal(log.filter((u) => u.seq > 6).map((u) => u.seq), [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
  assert.equal(s.digest(), { a: 17 });
  assert.is(s.nextStamp().seq, 18);
  s.close();
  const again = openStore({ path, nodeId: 'a', now: () => 9000 });
  assert.is(again.migration, undefined);
  assert.equal(again.children('u', ROOT_INO).map((e) => e.name), ['docs', 'ln', 'orphan']);
  again.close();
  const raw = new Database(path);
  assert.equal(raw.prepare("SELECT v FROM node_meta WHERE k = 'schema'").get(), { v: '2' });
  assert.equal(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'legacy_records'").all(), []);
  raw.close();
}));

test('controllers converting the same path-keyed namespace independently merge into one tree', () => withDir((dir) => {
  const stores = ['a', 'b'].map((node) => {
    const path = join(dir, `${node}.db`);
    writeLegacyDb(path);
    const raw = new Database(path);
    raw.prepare("UPDATE node_meta SET v = ? WHERE k = 'node_id'").run(node);
    raw.close();
    return openStore({ path, nodeId: node, now: () => (node === 'a' ? 9000 : 9500) });
  });
  const [a, b] = stores as [ReturnType<typeof openStore>, ReturnType<typeof openStore>];
  // a user renames a converted file on controller a after its conversion
  const docs = a.lookup('u', ROOT_INO, 'docs')!;
  const link = a.getLink('u', a.lookup('u', docs.ino, 'a.txt')!.linkId)!;
  const st = a.nextStamp();
  a.applyLocal(moveLink(link, docs.ino, 'renamed.txt', st), st.seq);
  for (const u of a.updatesSince({}, 1000)) b.applyRemote(u);
  for (const u of b.updatesSince({}, 1000)) a.applyRemote(u);
  const tree = (s: typeof a): string[] => {
    const out: string[] = [];
    const walk = (ino: string, at: string): void => {
      for (const e of s.children('u', ino)) {
        out.push(`${at}/${e.name}`);
        if (e.dir) walk(e.ino, `${at}/${e.name}`);
      }
    };
    walk(ROOT_INO, '');
    return out;
  };
  assert.equal(tree(a), ['/docs', '/docs/renamed.txt', '/ln', '/orphan', '/orphan/x'], 'one tree, no conflict copies, the later rename kept');
  assert.equal(tree(b), tree(a));
  a.close();
  b.close();
}));

test('a remote record that makes the tree decide (a cycle skipped, a conflict name) is reported as a conflict', () => {
  let ms = 1000;
  const [a, b] = ['a', 'b'].map((node) => openStore({ path: ':memory:', nodeId: node, now: () => ms }));
  const fa = fsOf(a!);
  const da = fa.mkdir(ROOT_INO, 'x');
  const db = fa.mkdir(ROOT_INO, 'y');
  for (const u of a!.updatesSince({}, 100)) b!.applyRemote(u);
  const fb = fsOf(b!);
  ms = 2000;
  fa.move(da.link, db.ino, 'x'); // mv /x /y/x on a
  ms = 3000;
  fb.move(db.link, da.ino, 'y'); // mv /y /x/y on b, later: skipped where both meet
  fb.create(ROOT_INO, 'same');
  ms = 4000;
  fa.create(ROOT_INO, 'same');
  const seen = a!.digest();
  // only b's links: the records themselves do not conflict (different keys, or one writer), the tree does
  const links = b!.updatesSince(seen, 100).filter((u) => u.record.type === 'link');
  const results = links.map((u) => ({ kind: u.record.type, conflict: a!.applyRemote(u).conflict }));
  assert.is(results.length, 2);
  assert.equal(results.map((r) => r.conflict), [true, true], 'the move skipped as a cycle and the entry shown under a conflict name');
  assert.equal(a!.children('u', ROOT_INO).map((e) => e.name).filter((n) => n.startsWith('same')).length, 2);
  a!.close();
  b!.close();
});

test.run();
