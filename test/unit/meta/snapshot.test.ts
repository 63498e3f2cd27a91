/**
 * The pure part of snapshots (src/meta/snapshot.ts, fuse/snapshot-route.ts): owner and name rules,
 * the catalog codec (bad values ignored) and its conflict names (the earlier-taken keeps the name,
 * whatever the order the entries arrived in), copies that keep content and pass the peer schema,
 * the tree diff (added, removed, modified, renamed — one line for a moved directory, hard links),
 * and the mount's path routing and inode numbers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import { changeInode, newInode } from '../../../src/meta/ops.js';
import {
  assertSnapshotName, catalog, copyInode, copyLink, decodeMeta, diffTrees, encodeMeta, isRecordOwner, isSnapshotOwner, snapshotOwner, snapshotXattr,
  type SnapshotMeta, type TreeItem,
} from '../../../src/meta/snapshot.js';
import type { InodeRecord } from '../../../src/meta/types.js';
import { validateRecord } from '../../../src/meta/validate.js';
import { snapshotIno, snapshotPlace } from '../../../fuse/snapshot-route.js';

const st = (wallMs: number, node: string, seq: number) => ({ hlc: { wallMs, logical: 0, node }, node, seq });
const meta = (id: string, name: string, wallMs: number): SnapshotMeta =>
  ({ id, name, source: '/docs', takenAt: { wallMs, logical: 0, node: id.split('.')[0]! }, seen: { [id.split('.')[0]!]: 7 }, entries: 3 });

test('owners: a snapshot owner is no user name, and both may own records', () => {
  const o = snapshotOwner('alice', 'ctl1.2s');
  assert.is(o, 'alice:ctl1.2s');
  assert.ok(isSnapshotOwner(o));
  assert.ok(isRecordOwner(o));
  assert.ok(isRecordOwner('alice'));
  assert.not.ok(isSnapshotOwner('alice'));
  for (const bad of ['alice:', ':ctl1.2', 'alice:ctl1', 'al ice:ctl1.2', 'alice:ctl1.2:x']) assert.not.ok(isRecordOwner(bad), bad);
});

test('names: file-name characters, not . or .., no ~ (conflict names use it)', () => {
  for (const ok of ['daily', 'before-cleanup', '2026.12.01', 'a_b']) assert.is(assertSnapshotName(ok), ok);
  for (const bad of ['', '.', '..', 'a/b', 'a b', 'x~1', 'a'.repeat(65), 7]) {
    assert.throws(() => assertSnapshotName(bad), (e: unknown) => e instanceof RedCloudError && e.code === 'INVALID', String(bad));
  }
});

test('catalog entries round-trip; other xattrs and bad values are ignored', () => {
  const m = meta('ctl1.2s', 'daily', 1000);
  assert.equal(decodeMeta(snapshotXattr(m.id), encodeMeta(m)), m);
  assert.is(decodeMeta('user.other', encodeMeta(m)), undefined);
  assert.is(decodeMeta(snapshotXattr('ctl2.9'), encodeMeta(m)), undefined, 'id must match the attribute name');
  assert.is(decodeMeta(snapshotXattr(m.id), null), undefined, 'removed');
  assert.is(decodeMeta(snapshotXattr(m.id), 'bm90IGpzb24='), undefined, 'not JSON');
  assert.is(decodeMeta(snapshotXattr(m.id), encodeMeta({ ...m, name: '../x' })), undefined);
});

test('catalog: one name taken twice shows the earlier under it and the other as name~<hex>, in any order', () => {
  const at = { wallMs: 1, logical: 0, node: 'x' };
  const a = meta('ctl3.1', 'cut', 1000);
  const b = meta('ctl1.5', 'cut', 2000);
  const c = meta('ctl1.6', 'other', 500);
  const x1 = { [snapshotXattr(a.id)]: { v: encodeMeta(a), at }, [snapshotXattr(b.id)]: { v: encodeMeta(b), at }, [snapshotXattr(c.id)]: { v: encodeMeta(c), at }, 'user.z': { v: 'eg==', at } };
  const x2 = Object.fromEntries(Object.entries(x1).reverse());
  const shown = catalog(x1).map((s) => [s.shown, s.id]);
  assert.equal(catalog(x2).map((s) => [s.shown, s.id]), shown);
  assert.is(shown.length, 3);
  assert.equal(shown[0], ['cut', 'ctl3.1']);
  assert.match(shown[1]![0]!, /^cut~[0-9a-f]{8}$/);
  assert.is(shown[1]![1], 'ctl1.5');
  assert.equal(shown[2], ['other', 'ctl1.6']);
  assert.equal(catalog({ [snapshotXattr(a.id)]: { v: null, at } }), [], 'a removed entry is gone');
});

test('copyInode keeps kind, attributes, content, times, live xattrs and tags, re-stamped; copies pass the peer schema', () => {
  const src: InodeRecord = changeInode(
    newInode({ ...st(10, 'n1', 1), owner: 'alice', ino: 'n1.1', kind: 'file', attr: { mode: 0o640, uid: 7, gid: 8 }, time: [10, 5], tags: ['red'] }),
    { content: { size: 5, chunks: [{ id: 'ab'.repeat(32), size: 5 }], holders: { ['ab'.repeat(32)]: ['cs1'] } }, xattrs: { 'user.a': 'aGk=', 'user.gone': null } },
    st(11, 'n2', 4), [11, 0],
  );
  const owner = snapshotOwner('alice', 'ctl9.1');
  const copy = copyInode(src, owner, src.ino, st(20, 'ctl9', 30));
  assert.is(copy.owner, owner);
  assert.is(copy.key, `i\0${owner}\0n1.1`);
  assert.equal(copy.content.v, src.content.v);
  assert.equal(copy.attr.v, src.attr.v);
  assert.equal(copy.mtime.v, src.mtime.v);
  assert.equal(copy.ctime, src.ctime);
  assert.equal(Object.keys(copy.xattrs), ['user.a']);
  assert.equal(Object.keys(copy.tags), ['red']);
  assert.equal(copy.vv, { ctl9: 30 });
  validateRecord(copy);
  validateRecord(copyLink(owner, 'n1.2', 'n1.1', false, 'root', 'a.txt', st(20, 'ctl9', 31)));
  const dir = newInode({ ...st(10, 'n1', 2), owner: 'alice', ino: 'n1.3', kind: 'dir', attr: { mode: 0o755, uid: 0, gid: 0 }, time: [10, 0] });
  validateRecord(copyInode(dir, owner, 'root', st(20, 'ctl9', 29)));
});

const item = (ino: string, sig = 's', kind = 'file'): TreeItem => ({ ino, kind, sig });

test('diffTrees: added, removed, modified, renamed (with a change), a moved directory as one line', () => {
  const a = new Map<string, TreeItem>([
    ['/a.txt', item('1')], ['/b.txt', item('2')], ['/c.txt', item('3')], ['/d', item('4', 'd', 'dir')], ['/d/e.txt', item('5')], ['/f.txt', item('6')],
  ]);
  const b = new Map<string, TreeItem>([
    ['/a.txt', item('1', 's2')], ['/b2.txt', item('2')], ['/moved', item('4', 'd', 'dir')], ['/moved/e.txt', item('5', 'changed')], ['/f2.txt', item('6', 'x')], ['/new.txt', item('7')],
  ]);
  assert.equal(diffTrees(a, b), [
    { change: 'modified', path: '/a.txt' },
    { change: 'renamed', path: '/b2.txt', from: '/b.txt' },
    { change: 'removed', path: '/c.txt' },
    { change: 'renamed', path: '/f2.txt', from: '/f.txt', modified: true },
    { change: 'renamed', path: '/moved', from: '/d' },
    { change: 'modified', path: '/moved/e.txt' },
    { change: 'added', path: '/new.txt' },
  ]);
  assert.equal(diffTrees(a, a), []);
  // a removed or added directory is one line, whatever was inside
  const gone = new Map([...a].filter(([p]) => !p.startsWith('/d')));
  const fresh = new Map([...b, ['/n', item('8', 'd', 'dir')], ['/n/m', item('9', 'd', 'dir')], ['/n/m/x', item('10')]]);
  assert.equal(diffTrees(a, gone).filter((c) => c.path.startsWith('/d')), [{ change: 'removed', path: '/d' }]);
  assert.equal(diffTrees(a, fresh).filter((c) => c.path.startsWith('/n/') || c.path === '/n'), [{ change: 'added', path: '/n' }]);
  assert.equal(diffTrees(new Map(), new Map([['/x', item('1')]])), [{ change: 'added', path: '/x' }]);
});

test('diffTrees: another inode at a path is removed + added; hard links pair up by name', () => {
  const a = new Map([['/x', item('1')], ['/l1', item('9')], ['/l2', item('9')]]);
  const b = new Map([['/x', item('2')], ['/l1', item('9')], ['/l3', item('9')]]);
  assert.equal(diffTrees(a, b), [
    { change: 'renamed', path: '/l3', from: '/l2' },
    { change: 'removed', path: '/x' },
    { change: 'added', path: '/x' },
  ]);
});

test('mount routing: .snapshots, a snapshot root, a path inside; inode numbers mixed per snapshot', () => {
  assert.equal(snapshotPlace('/'), { at: 'outside' });
  assert.equal(snapshotPlace('/.snapshotsx'), { at: 'outside' });
  assert.equal(snapshotPlace('/docs/.snapshots/a'), { at: 'outside' });
  assert.equal(snapshotPlace('/.snapshots'), { at: 'top' });
  assert.equal(snapshotPlace('/.snapshots/daily'), { at: 'inside', name: 'daily', rest: '/' });
  assert.equal(snapshotPlace('/.snapshots/daily/a/b.txt'), { at: 'inside', name: 'daily', rest: '/a/b.txt' });
  const n = 123_456_789_012;
  assert.is(snapshotIno('daily', n), snapshotIno('daily', n), 'stable');
  assert.is.not(snapshotIno('daily', n), n);
  assert.is.not(snapshotIno('daily', n), snapshotIno('weekly', n));
  for (const x of [1, 2, 2 ** 53 - 1]) {
    const m = snapshotIno('d', x);
    assert.ok(Number.isSafeInteger(m) && m > 1, String(m));
  }
});

test.run();
