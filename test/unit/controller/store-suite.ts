// The MetadataStore contract, run against every implementation (store.test.ts: SQLite,
// memory-store.test.ts: memory): records, the update log and digest, remote apply and
// anti-entropy merge, the namespace view after local writes built with src/meta/ops.ts, chunk
// references, tombstone collection (a collected record stays dead on every path) and rollback.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { newId, inoNumber, ROOT_INO } from '../../../src/meta/keys.js';
import { changeInode, moveLink, newInode, newLink, putUser, type WriteStamp } from '../../../src/meta/ops.js';
import { conflictName } from '../../../src/meta/tree.js';
import { TRASH_INO } from '../../../src/meta/trash.js';
import type { ChunkRef, InodeRecord, LinkRecord, MetaRecord } from '../../../src/meta/types.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';

export type OpenStore = (o: { nodeId: string; now: () => number }) => MetadataStore;

const ATTR = { mode: 0o755, uid: 0, gid: 0 };

/** File-system writes on one owner's tree, as the namespace makes them (ops.ts records, applyLocal). */
export function fsOf(store: MetadataStore, owner = 'u') {
  const write = <R extends MetaRecord>(build: (s: WriteStamp) => R): R => {
    const s = store.nextStamp();
    const r = build(s);
    store.applyLocal(r, s.seq);
    return r;
  };
  const inode = (kind: 'dir' | 'file', o: { chunks?: ChunkRef[]; tags?: string[] } = {}): InodeRecord => write((s) => newInode({
    ...s, owner, ino: newId(s.node, s.seq), kind, attr: ATTR, time: [1, 0],
    content: { size: (o.chunks ?? []).reduce((n, c) => n + c.size, 0), chunks: o.chunks ?? [] }, tags: o.tags,
  }));
  const link = (ino: string, dir: boolean, parent: string, name: string): LinkRecord =>
    write((s) => newLink({ ...s, owner, id: newId(s.node, s.seq), ino, dir, parent, name }));
  return {
    root: (): InodeRecord => write((s) => newInode({ ...s, owner, ino: ROOT_INO, kind: 'dir', attr: ATTR, time: [1, 0] })),
    mkdir(parent: string, name: string): { ino: string; link: string } {
      const i = inode('dir');
      return { ino: i.ino, link: link(i.ino, true, parent, name).id };
    },
    create(parent: string, name: string, o: { chunks?: ChunkRef[]; tags?: string[] } = {}): { ino: string; link: string } {
      const i = inode('file', o);
      return { ino: i.ino, link: link(i.ino, false, parent, name).id };
    },
    hardlink: (ino: string, parent: string, name: string): string => link(ino, false, parent, name).id,
    move(linkId: string, parent: string | null, name?: string): LinkRecord {
      const cur = store.getLink(owner, linkId)!;
      return write((s) => moveLink(cur, parent, name ?? cur.moves[cur.moves.length - 1]!.name, s));
    },
    change: (ino: string, change: Parameters<typeof changeInode>[1]): InodeRecord =>
      write((s) => changeInode(store.getInode(owner, ino)!, change, s, [2, 0])),
  };
}

/** A simulated peer controller: its own seq and clock, producing updates for the store under test. */
export function peer(id: string, wallMs = 1000) {
  let seq = 0;
  let ms = wallMs;
  return {
    id,
    stamp(): WriteStamp {
      seq += 1;
      ms += 1;
      return { hlc: { wallMs: ms, logical: 0, node: id }, node: id, seq };
    },
    update: (record: MetaRecord, s: WriteStamp) => ({ origin: id, seq: s.seq, record }),
    setClock(v: number) { ms = v; },
  };
}

const names = (store: MetadataStore, parent: string, owner = 'u'): string[] => store.children(owner, parent).map((e) => e.name);
const chunk = (c: string, size = 10): ChunkRef => ({ id: c.repeat(64).slice(0, 64), size });

export function storeSuite(name: string, open: OpenStore): void {
  const test = suite(`store contract: ${name}`);
  let ms = 1000;
  const mk = (nodeId = 'a'): MetadataStore => open({ nodeId, now: () => ms });
  test.before.each(() => { ms = 1000; });

  test('records round-trip; local writes get log rows; digest and updatesSince', () => {
    const st = mk();
    const fs = fsOf(st);
    const root = fs.root();
    const d = fs.mkdir(ROOT_INO, 'd');
    assert.equal(st.getRecord(root.key), root);
    assert.equal(st.getInode('u', root.ino), root);
    assert.is(st.getLink('u', d.link)!.ino, d.ino);
    assert.is(st.getInode('u', d.link), undefined);
    const s = st.nextStamp();
    const user = putUser(undefined, { ...s, name: 'alice', passwordHash: 'h', createdAtMs: 5 });
    st.applyLocal(user, s.seq);
    assert.equal(st.getRecord(user.key), user);
    assert.equal(st.digest(), { a: 4 });
    assert.equal(st.updatesSince({}, 10).map((u) => [u.origin, u.seq]), [['a', 1], ['a', 2], ['a', 3], ['a', 4]]);
    assert.equal(st.updatesSince({ a: 2 }, 10).map((u) => u.seq), [3, 4]);
    assert.equal(st.updatesSince({}, 2).map((u) => u.seq), [1, 2]);
    // bounded by bytes too (inline file records are large): reading stops after the update that passes the budget
    const sizes = st.updatesSince({}, 10).map((u) => JSON.stringify(u.record).length + 64);
    assert.equal(st.updatesSince({}, 10, sizes[0]! + 1).map((u) => u.seq), [1, 2]);
    assert.equal(st.updatesSince({}, 10, 1).map((u) => u.seq), [1]);
    assert.equal(st.updatesSince({ a: 1 }, 10, sizes[1]! + sizes[2]! - 1).map((u) => u.seq), [2, 3]);
    // a later write of the same key replaces its row (one per (origin, key))
    fs.move(d.link, ROOT_INO, 'e');
    assert.equal(st.updatesSince({}, 10).map((u) => u.seq), [1, 2, 4, 5]);
    assert.equal([...st.fingerprints()].length, 4);
    st.close();
  });

  test('applyRemote: new, duplicate, older, conflicting; HLC receive; own writes bump seq', () => {
    const st = mk();
    const b = peer('b', 5000);
    const s1 = b.stamp();
    const f = newInode({ ...s1, owner: 'u', ino: 'b.1', kind: 'file', attr: ATTR, time: [1, 0] });
    const r1 = st.applyRemote(b.update(f, s1));
    assert.is(r1.changed, true);
    assert.is(r1.before, undefined);
    assert.equal(st.getInode('u', 'b.1'), f);
    assert.equal(st.digest(), { b: 1 });
    assert.is(st.applyRemote(b.update(f, s1)).changed, false);
    const s2 = b.stamp();
    const f2 = changeInode(f, { attr: { mode: 0o600, uid: 1, gid: 1 } }, s2, [3, 0]);
    assert.is(st.applyRemote(b.update(f2, s2)).changed, true);
    assert.is(st.applyRemote(b.update(f, s1)).changed, false); // old version: merged away
    assert.is(st.getInode('u', 'b.1')!.attr.v.mode, 0o600);
    assert.ok(st.nextStamp().hlc.wallMs >= 5002, 'the clock moved past the remote stamp');
    // a concurrent local write and remote write: conflict reported, both registers merged
    const sl = st.nextStamp();
    st.applyLocal(changeInode(f2, { mtime: [9, 0] }, sl, [9, 0]), sl.seq);
    const s3 = b.stamp();
    const f3 = changeInode(f2, { attr: { mode: 0o644, uid: 2, gid: 2 } }, s3, [4, 0]);
    const r3 = st.applyRemote(b.update(f3, s3));
    assert.is(r3.conflict, true);
    const merged = st.getInode('u', 'b.1')!;
    assert.equal([merged.attr.v.uid, merged.mtime.v], [2, [9, 0]]);
    // our own write coming back (a lost database): the next stamp is after it
    const mine = newInode({ hlc: { wallMs: 1, logical: 0, node: 'a' }, node: 'a', seq: 50, owner: 'u', ino: 'a.1e', kind: 'file', attr: ATTR, time: [1, 0] });
    st.applyRemote({ origin: 'a', seq: 50, record: mine });
    assert.is(st.nextStamp().seq, 51);
    st.close();
  });

  test('mergeRecord (anti-entropy) merges without a log row', () => {
    const st = mk();
    const b = peer('b');
    const s1 = b.stamp();
    const f = newInode({ ...s1, owner: 'u', ino: 'b.1', kind: 'file', attr: ATTR, time: [1, 0] });
    assert.is(st.mergeRecord(f).changed, true);
    assert.is(st.mergeRecord(f).changed, false);
    assert.equal(st.digest(), {});
    assert.equal(st.updatesSince({}, 10), []);
    assert.equal([...st.fingerprints()].map((x) => x.key), [f.key]);
    st.close();
  });

  test('namespace view: mkdir, create, hard link, rename, unlink', () => {
    const st = mk();
    const fs = fsOf(st);
    fs.root();
    const d = fs.mkdir(ROOT_INO, 'd');
    const f = fs.create(d.ino, 'f', { tags: ['red', 'blue'] });
    const g = fs.create(ROOT_INO, 'g', { tags: ['red'] });
    const h = fs.hardlink(f.ino, ROOT_INO, 'h');
    assert.equal(names(st, ROOT_INO), ['d', 'g', 'h']);
    assert.equal(names(st, d.ino), ['f']);
    assert.equal(st.lookup('u', d.ino, 'f'), { linkId: f.link, parent: d.ino, name: 'f', ino: f.ino, dir: false });
    assert.is(st.lookup('u', d.ino, 'nope'), undefined);
    assert.is(st.lookup('v', d.ino, 'f'), undefined, 'owners are separate');
    assert.equal(st.linksOf('u', f.ino).map((e) => e.linkId).sort(), [f.link, h].sort());
    // the listing: children with their inodes; a hard-linked file has more than one link row
    assert.equal(st.listing('u', ROOT_INO).map((l) => [l.entry.name, l.inode.ino, l.inode.kind, l.linkRows]),
      [['d', d.ino, 'dir', 1], ['g', g.ino, 'file', 1], ['h', f.ino, 'file', 2]]);
    assert.equal(st.listing('u', ROOT_INO).map((l) => l.entry), st.children('u', ROOT_INO));
    assert.is(st.subdirCount('u', ROOT_INO), 1);
    assert.is(st.hasChildren('u', d.ino), true);
    assert.is(st.pathOf('u', st.lookup('u', d.ino, 'f')!), '/d/f');
    assert.is(st.inoOfNumber('u', inoNumber(f.ino)), f.ino);
    assert.is(st.inoOfNumber('u', 1), ROOT_INO);
    assert.is(st.inoOfNumber('v', inoNumber(f.ino)), undefined);
    assert.equal(st.findByTags('u', ['red']).map((r) => r.ino), [f.ino, g.ino].sort());
    assert.equal(st.findByTags('u', ['red', 'blue']).map((r) => r.ino), [f.ino]);
    assert.equal(st.tagCounts('u'), [{ tag: 'blue', count: 1 }, { tag: 'red', count: 2 }]);
    assert.is(st.inodeCount('u'), 4);
    // rename the directory: one write; what is below follows
    fs.move(d.link, ROOT_INO, 'e');
    assert.equal(names(st, ROOT_INO), ['e', 'g', 'h']);
    assert.is(st.pathOf('u', st.lookup('u', d.ino, 'f')!), '/e/f');
    // unlink one of the hard links
    fs.move(h, null);
    assert.equal(st.linksOf('u', f.ino).map((e) => e.linkId), [f.link]);
    assert.equal(names(st, ROOT_INO), ['e', 'g']);
    // rmdir (after emptying it): its former child's entry is gone with the directory
    fs.move(f.link, null);
    fs.move(d.link, null);
    assert.equal(names(st, ROOT_INO), ['g']);
    assert.is(st.hasChildren('u', d.ino), false);
    assert.is(st.subdirCount('u', ROOT_INO), 0);
    st.close();
  });

  test('two entries with one name: the earlier keeps it, the other shows a conflict name', () => {
    const st = mk();
    const fs = fsOf(st);
    const x = fs.create(ROOT_INO, 'x');
    const b = peer('b', 1);
    const s = b.stamp(); // earlier clock: b's entry was placed first
    const bl = newLink({ ...s, owner: 'u', id: 'b.1', ino: 'b.0', dir: false, parent: ROOT_INO, name: 'x' });
    st.applyRemote(b.update(bl, s));
    assert.equal(names(st, ROOT_INO), ['x', conflictName('x', x.link)].sort());
    assert.is(st.lookup('u', ROOT_INO, 'x')!.linkId, 'b.1');
    assert.is(st.lookup('u', ROOT_INO, conflictName('x', x.link))!.linkId, x.link);
    fs.move(x.link, ROOT_INO, 'y');
    assert.equal(names(st, ROOT_INO), ['x', 'y']);
    st.close();
  });

  test('a conflict name steps around a real entry of that name, and back when it leaves', () => {
    const st = mk();
    const fs = fsOf(st);
    const first = fs.create(ROOT_INO, 'x');
    const loser = fs.create(ROOT_INO, 'x');
    const shown = conflictName('x', loser.link);
    assert.equal(names(st, ROOT_INO), ['x', shown]);
    const real = fs.create(ROOT_INO, shown); // a real entry named what the loser shows
    const rehashed = conflictName('x', `${loser.link}#1`);
    assert.equal(names(st, ROOT_INO), ['x', shown, rehashed].sort());
    assert.is(st.lookup('u', ROOT_INO, shown)!.linkId, real.link);
    assert.is(st.lookup('u', ROOT_INO, rehashed)!.linkId, loser.link);
    fs.move(real.link, null);
    assert.equal(names(st, ROOT_INO), ['x', shown]);
    assert.is(st.lookup('u', ROOT_INO, 'x')!.linkId, first.link);
    st.close();
  });

  test('concurrent cycle-forming moves: the later one is skipped, both stay reachable', () => {
    const st = mk();
    const fs = fsOf(st);
    const a = fs.mkdir(ROOT_INO, 'a');
    const b = fs.mkdir(ROOT_INO, 'b');
    ms = 2000;
    const aLink = st.getLink('u', a.link)!;
    const bLink = st.getLink('u', b.link)!;
    // peer p moves b under a at 3000, peer q moves a under b at 2500 (arrives later, applies first)
    const p = peer('p', 3000);
    const q = peer('q', 2500);
    const sp = p.stamp();
    st.applyRemote(p.update(moveLink(bLink, a.ino, 'b', sp), sp));
    assert.is(st.pathOf('u', st.lookup('u', a.ino, 'b')!), '/a/b');
    const sq = q.stamp();
    st.applyRemote(q.update(moveLink(aLink, b.ino, 'a', sq), sq));
    // replay in HLC order: a→b (2501) then b→a (3001) would cycle: skipped
    assert.equal(names(st, ROOT_INO), ['b']);
    assert.is(st.pathOf('u', st.lookup('u', b.ino, 'a')!), '/b/a');
    assert.equal(names(st, a.ino), []);
    st.close();
  });

  test('a directory removed while a file was created in it elsewhere is revived', () => {
    const st = mk();
    const fs = fsOf(st);
    const d = fs.mkdir(ROOT_INO, 'd');
    const dl = st.getLink('u', d.link)!;
    fs.move(d.link, null); // rmdir here
    assert.equal(names(st, ROOT_INO), []);
    const b = peer('b', 500);
    const s1 = b.stamp();
    st.applyRemote(b.update(newLink({ ...s1, owner: 'u', id: 'b.f', ino: 'b.fi', dir: false, parent: d.ino, name: 'f' }), s1));
    assert.equal(names(st, ROOT_INO), ['d']);
    assert.is(st.pathOf('u', st.lookup('u', d.ino, 'f')!), '/d/f');
    assert.equal(st.linksOf('u', 'b.fi').map((e) => e.linkId), ['b.f']);
    // the file goes away too: nothing keeps the directory
    const s2 = b.stamp();
    st.applyRemote(b.update(moveLink(st.getLink('u', 'b.f')!, null, 'f', s2), s2));
    assert.equal(names(st, ROOT_INO), []);
    assert.ok(dl);
    st.close();
  });

  test('entries under a directory whose link has not arrived: listed, not reachable', () => {
    const st = mk();
    const b = peer('b');
    const s1 = b.stamp();
    st.applyRemote(b.update(newLink({ ...s1, owner: 'u', id: 'b.f', ino: 'b.fi', dir: false, parent: 'b.d', name: 'f' }), s1));
    const e = st.lookup('u', 'b.d', 'f')!;
    assert.is(e.linkId, 'b.f');
    assert.equal(st.linksOf('u', 'b.fi'), []);
    assert.is(st.pathOf('u', e), undefined);
    const s2 = b.stamp();
    st.applyRemote(b.update(newLink({ ...s2, owner: 'u', id: 'b.dl', ino: 'b.d', dir: true, parent: ROOT_INO, name: 'd' }), s2));
    assert.is(st.pathOf('u', e), '/d/f');
    st.close();
  });

  test('content holders (where a commit wrote the chunks) round-trip locally and from a peer, and reference nothing more', () => {
    const st = mk();
    const fs = fsOf(st);
    fs.root();
    const f = fs.create(ROOT_INO, 'f', { chunks: [chunk('1'), chunk('2')] });
    const holders = { [chunk('1').id]: ['cs1', 'cs2'], [chunk('2').id]: ['cs3'] };
    const mine = fs.change(f.ino, { content: { size: 10, chunks: [chunk('1'), chunk('2')], holders } });
    assert.equal(st.getInode('u', f.ino)!.content.v.holders, holders);
    assert.equal(st.getInode('u', f.ino), mine);
    const b = peer('b');
    const sb = b.stamp();
    const theirs = changeInode(mine, { content: { size: 5, chunks: [chunk('1')], holders: { [chunk('1').id]: ['cs4'] } } }, sb, [9, 0]);
    st.applyRemote(b.update(theirs, sb));
    assert.equal(st.getInode('u', f.ino)!.content.v, { size: 5, chunks: [chunk('1')], holders: { [chunk('1').id]: ['cs4'] } });
    assert.is(st.referencedChunkCount(), 1);
    assert.equal(st.locationsOf(chunk('1').id), [], 'holders are not confirmed locations');
    st.close();
  });

  test('chunk references: named inodes (a merged-away version or an unlinked file references nothing), owners, locations', () => {
    const st = mk();
    const fs = fsOf(st);
    const f = fs.create(ROOT_INO, 'f', { chunks: [chunk('1'), chunk('2')] });
    st.addLocations('cs1', [chunk('1').id, chunk('3').id]);
    st.addLocations('cs2', [chunk('1').id]);
    assert.equal(st.locationsOf(chunk('1').id), ['cs1', 'cs2']);
    assert.is(st.referencedChunkCount(), 2);
    assert.is(st.underReplicatedCount(2, ['cs1', 'cs2']), 1);
    assert.equal(st.referencedChunkLocations(), [{ chunkId: chunk('1').id, locations: ['cs1', 'cs2'] }, { chunkId: chunk('2').id, locations: [] }]);
    assert.equal(st.unreferencedChunkLocations(), [{ chunkId: chunk('3').id, locations: ['cs1'] }]);
    assert.is(st.isChunkReferenced(chunk('2').id), true);
    assert.is(st.isChunkOwnedBy(chunk('2').id, 'u'), true);
    assert.is(st.isChunkOwnedBy(chunk('2').id, 'v'), false);
    // a new version drops chunk 2 from the inode; a peer's concurrent older version (in the update
    // log) does not keep it: the merged content wins everywhere once peers are caught up, which
    // the GC gate waits for
    const b = peer('b');
    const sb = b.stamp();
    const old = st.getInode('u', f.ino)!;
    fs.change(f.ino, { content: { size: 10, chunks: [chunk('1')] } });
    st.applyRemote(b.update(changeInode(old, { mtime: [5, 0] }, sb, [5, 0]), sb));
    assert.is(st.getInode('u', f.ino)!.content.v.chunks.length, 1);
    assert.is(st.referencedChunkCount(), 1);
    assert.is(st.isChunkReferenced(chunk('2').id), false, 'only the merged content counts');
    const g = fs.create(ROOT_INO, 'g', { chunks: [chunk('4')] });
    assert.is(st.isChunkReferenced(chunk('4').id), true);
    fs.move(g.link, null);
    assert.is(st.isChunkReferenced(chunk('4').id), false, 'an unlinked file references nothing, before its inode is collected');
    assert.ok(st.getInode('u', g.ino), 'the inode is still there');
    st.replaceLocations('cs1', [chunk('2').id]);
    assert.equal(st.locationsOf(chunk('1').id), ['cs2']);
    st.removeLocations('cs2', [chunk('1').id]);
    assert.equal(st.locationsOf(chunk('1').id), []);
    st.saveChunkserver('cs1', 'http://x:9000', 7);
    assert.equal(st.knownChunkservers(), [{ id: 'cs1', url: 'http://x:9000', lastHeartbeatMs: 7 }]);
    st.close();
  });

  test('collection: unlinked file links, then unnamed inodes; never directories or the root', () => {
    const st = mk();
    const fs = fsOf(st);
    fs.root();
    const d = fs.mkdir(ROOT_INO, 'd');
    const f = fs.create(d.ino, 'f', { chunks: [chunk('1')], tags: ['t'] });
    const g = fs.create(ROOT_INO, 'g');
    assert.equal(st.tombstones(Infinity, 10), []);
    ms = 2000;
    assert.is(st.inodeCount('u'), 4);
    fs.move(f.link, null);
    fs.move(d.link, null);
    assert.is(st.inodeCount('u'), 2, 'removed entries stop counting at once, before their records are collected');
    const cands = st.tombstones(Infinity, 10);
    assert.equal(cands.map((c) => c.key), [`l\0u\0${f.link}`]);
    assert.is(cands[0]!.deletedAtMs, 2000);
    assert.equal(cands[0]!.writes, { a: st.getLink('u', f.link)!.vv.a });
    assert.equal(st.tombstones(1999, 10), []);
    const before = st.digest();
    assert.is(st.collectTombstones([`l\0u\0${f.link}`, `l\0u\0${g.link}`, 'nope']), 1, 'g is still linked');
    assert.equal(st.digest(), before, 'the digest does not go backwards');
    assert.is(st.getRecord(`l\0u\0${f.link}`)!.type, 'dead');
    assert.is(st.getLink('u', f.link), undefined);
    // now the inode is named by no link: collectable; then its chunks and tags are unreferenced
    assert.equal(st.tombstones(Infinity, 10).map((c) => c.key), [`i\0u\0${f.ino}`]);
    assert.is(st.collectTombstones([`i\0u\0${f.ino}`]), 1);
    assert.is(st.getInode('u', f.ino), undefined);
    assert.is(st.isChunkReferenced(chunk('1').id), false);
    assert.equal(st.tagCounts('u'), []);
    assert.is(st.inodeCount('u'), 2, 'the root and g: removed d and f are not counted (statfs files)');
    assert.equal(st.tombstones(Infinity, 10), []);
    assert.ok([...st.fingerprints()].some((x) => x.key === `i\0u\0${f.ino}`), 'certificates count for anti-entropy');
    assert.ok(!st.updatesSince({}, 100).some((u) => u.record.key === `i\0u\0${f.ino}`), 'and are not in the log');
    st.close();
  });

  test('a collected record stays dead: old versions by gossip and by anti-entropy change nothing', () => {
    const st = mk();
    const b = peer('b');
    const s1 = b.stamp();
    const link = newLink({ ...s1, owner: 'u', id: 'b.l', ino: 'b.i', dir: false, parent: ROOT_INO, name: 'f' });
    const s2 = b.stamp();
    const gone = moveLink(link, null, 'f', s2);
    st.applyRemote(b.update(link, s1));
    st.applyRemote(b.update(gone, s2));
    assert.is(st.collectTombstones([link.key]), 1);
    const digest = st.digest();
    for (const attempt of [() => st.applyRemote(b.update(link, s1)), () => st.mergeRecord(link), () => st.mergeRecord(gone)]) {
      const res = attempt();
      assert.is(res.changed, false);
      assert.is(st.getRecord(link.key)!.type, 'dead');
      assert.equal(names(st, ROOT_INO), []);
      assert.equal(st.digest(), digest);
    }
    // even from a peer that never saw the collection (a new seq, old content): absorbed, not logged
    const s3 = b.stamp();
    assert.is(st.applyRemote(b.update(link, s3)).changed, false);
    assert.is(st.getRecord(link.key)!.type, 'dead');
    assert.ok(!st.updatesSince({}, 100).some((u) => u.record.key === link.key));
    st.close();
  });

  test('a death certificate arriving by anti-entropy kills the live record and its log rows', () => {
    const st = mk();
    const fs = fsOf(st);
    const f = fs.create(ROOT_INO, 'f');
    fs.move(f.link, null);
    const rec = st.getLink('u', f.link)!;
    assert.is(st.mergeRecord({ type: 'dead', key: rec.key, at: rec.hlc, vv: rec.vv, hlc: rec.hlc }).changed, true);
    assert.is(st.getRecord(rec.key)!.type, 'dead');
    assert.ok(!st.updatesSince({}, 100).some((u) => u.record.key === rec.key));
    assert.is(st.digest().a, 3);
    st.close();
  });

  test('trashExpiring: links placed in the trash by expiry time then key, paged; a link moved out leaves it; a rollback too', () => {
    const st = mk();
    const fs = fsOf(st);
    fs.root();
    const trashAt = (linkId: string, expiresMs: number): void => {
      const cur = st.getLink('u', linkId)!;
      const s = st.nextStamp();
      const next = moveLink(cur, TRASH_INO, cur.id, s);
      next.moves[next.moves.length - 1] = { ...next.moves[next.moves.length - 1]!, trash: { path: `/${linkId}`, expiresMs } };
      st.applyLocal(next, s.seq);
    };
    const [a, b, c, late, back] = ['a', 'b', 'c', 'late', 'back'].map((n) => fs.create(ROOT_INO, n).link) as [string, string, string, string, string];
    fs.create(ROOT_INO, 'live');
    trashAt(b, 200); trashAt(a, 100); trashAt(c, 200); trashAt(late, 5000); trashAt(back, 50);
    fs.move(back, ROOT_INO, 'back'); // restored: its latest move is out of the trash
    const ids = (xs: { linkId: string; expiresMs: number }[]): string[] => xs.map((x) => `${x.linkId}@${x.expiresMs}`);
    const [first, second] = [b, c].sort(); // equal expiry: by key
    assert.equal(ids(st.trashExpiring(1000, 10)), [`${a}@100`, `${first}@200`, `${second}@200`]);
    assert.equal(ids(st.trashExpiring(150, 10)), [`${a}@100`]);
    const page1 = st.trashExpiring(1000, 2);
    assert.equal(ids(page1), [`${a}@100`, `${first}@200`]);
    assert.equal(ids(st.trashExpiring(1000, 2, page1[1])), [`${second}@200`]);
    assert.equal(st.trashExpiring(1000, 2, st.trashExpiring(1000, 10)[2]), []);
    assert.equal(st.trashExpiring(1000, 10).map((x) => x.owner), ['u', 'u', 'u']);
    fs.move(a, null); // expired for good: unlinked
    assert.equal(ids(st.trashExpiring(1000, 10)), [`${first}@200`, `${second}@200`]);
    assert.throws(() => st.transaction(() => { trashAt(fs.create(ROOT_INO, 'gone').link, 10); throw new Error('boom'); }), /boom/);
    assert.equal(ids(st.trashExpiring(1000, 10)), [`${first}@200`, `${second}@200`], 'a rolled-back trash move is not indexed');
    assert.equal(ids(st.trashExpiring(9000, 10)).length, 3);
    st.close();
  });

  test('transactions nest and roll back: records, log and view as before', () => {
    const st = mk();
    const fs = fsOf(st);
    const d = fs.mkdir(ROOT_INO, 'd');
    const digest = st.digest();
    assert.throws(() => st.transaction(() => {
      fs.create(d.ino, 'f');
      st.transaction(() => fs.move(d.link, ROOT_INO, 'e'));
      throw new Error('boom');
    }), /boom/);
    assert.equal(names(st, ROOT_INO), ['d']);
    assert.equal(names(st, d.ino), []);
    assert.equal(st.digest(), digest);
    assert.is(st.pathOf('u', st.lookup('u', ROOT_INO, 'd')!), '/d');
    // records read back as before too (a store keeping parsed records must drop the rolled-back ones)
    assert.equal(st.getLink('u', d.link)!.moves.map((m) => m.name), ['d']);
    // an inner failure caught by the outer transaction keeps the outer's writes
    st.transaction(() => {
      fs.create(d.ino, 'kept');
      try { st.transaction(() => { fs.move(d.link, ROOT_INO, 'x'); throw new Error('inner'); }); } catch { /* expected */ }
    });
    assert.equal(names(st, ROOT_INO), ['d']);
    assert.equal(names(st, d.ino), ['kept']);
    assert.equal(st.getLink('u', d.link)!.moves.map((m) => m.name), ['d']);
    st.close();
  });

  test.run();
}
