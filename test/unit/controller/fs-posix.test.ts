// The inode namespace over HTTP (inject), checked as a user of ext4 would: hard links share an
// inode (same ino, nlink exact, content written via one name read via the other), special files,
// owners and the setgid directory rule, nanosecond times and ctime, directory mtime on entry
// changes, xattrs with Linux's flags and limits, ENAMETOOLONG, and a directory rename that is
// one record write whatever is below it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ENTRY_XATTR_NAMES_MAX } from '../../../src/common/api.js';
import { inoNumber } from '../../../src/meta/keys.js';
import { chunkId, makeController, type TestController } from './helpers.js';

let t: TestController;
let token: string;
test.before.each(async () => {
  t = await makeController();
  token = await t.login();
});
test.after.each(async () => { await t.close(); });

const post = (url: string, body: unknown) => t.call('POST', url, body, token);
const get = (url: string) => t.call('GET', url, undefined, token);
const stat = async (path: string) => (await get(`/v1/fs/stat?path=${encodeURIComponent(path)}`)).json;
async function commit(path: string, n: number, extra: Record<string, unknown> = {}) {
  const id = chunkId(n);
  return post('/v1/fs/commit', { path, size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] }, ...extra });
}

test('hard links: one inode, nlink counts the names, a write through one name shows through the other', async () => {
  await commit('/a', 1);
  const linked = await post('/v1/fs/link', { from: '/a', to: '/b' });
  assert.is(linked.status, 200);
  const [a, b] = [await stat('/a'), await stat('/b')];
  assert.is(a.ino, b.ino);
  assert.equal([a.nlink, b.nlink], [2, 2]);
  await commit('/c', 2);
  const listed = (await get('/v1/fs/list?path=/')).json.entries as { path: string; nlink: number }[];
  assert.equal(listed.map((e) => [e.path, e.nlink]), [['/a', 2], ['/b', 2], ['/c', 1]], 'a listing counts the names as stat does');
  assert.ok(Number.isSafeInteger(a.ino) && a.ino > 1);
  await commit('/b', 7);
  assert.is((await get('/v1/fs/read?path=/a')).json.chunks[0].id, chunkId(7), 'content is the inode\'s');
  assert.is((await post('/v1/fs/link', { from: '/a', to: '/b' })).json.code, 'EXISTS');
  await post('/v1/fs/mkdir', { path: '/d' });
  assert.is((await post('/v1/fs/link', { from: '/d', to: '/d2' })).json.code, 'NOT_PERMITTED');
  await post('/v1/fs/remove', { path: '/a' });
  assert.is((await stat('/b')).nlink, 1);
  assert.is((await get('/v1/fs/stat?path=/a')).status, 404);
});

test('remove-many: each path\'s outcome in order; a refused path changes nothing, the others are removed in one transaction', async () => {
  await commit('/a', 1);
  await commit('/b', 2);
  await post('/v1/fs/link', { from: '/b', to: '/b2' });
  await post('/v1/fs/mkdir', { path: '/d' });
  await commit('/d/c', 3);
  const res = await post('/v1/fs/remove-many', { paths: ['/a', '/d', '/missing', '/', '/b', '/a/x', '/d/c'] });
  assert.is(res.status, 200);
  assert.equal(res.json.results.map((r: { ok: boolean; code?: string }) => (r.ok ? 'ok' : r.code)),
    ['ok', 'IS_DIR', 'NOT_FOUND', 'INVALID', 'ok', 'NOT_FOUND', 'ok']);
  const names = ((await get('/v1/fs/list?path=/')).json.entries as { path: string }[]).map((e) => e.path);
  assert.equal(names, ['/b2', '/d']);
  assert.is((await stat('/b2')).nlink, 1, 'the other name of an unlinked file counts one link');
  assert.is(((await get('/v1/fs/list?path=/d')).json.entries as unknown[]).length, 0);
  assert.is((await post('/v1/fs/remove-many', { paths: [] })).status, 400, 'at least one path');
});

test('newIno: a creating commit makes the inode with the mount-chosen id (its number is the hash of it); a taken id or a taken name is not reused, the replaced file goes to the trash', async () => {
  const id = 'm0123456789ab.1';
  const made = await commit('/n1', 1, { newIno: id });
  assert.is(made.status, 200, JSON.stringify(made.json));
  assert.is(made.json.ino, inoNumber(id));
  const again = await commit('/n2', 2, { newIno: id });
  assert.is(again.status, 200);
  assert.is.not(again.json.ino, inoNumber(id), 'an id this tree has is not given twice');
  const retried = await commit('/n1', 3, { newIno: id });
  assert.is(retried.json.ino, inoNumber(id), 'a retried first commit writes its own file');
  assert.is((await get('/v1/trash')).json.items.length, 0, 'its own earlier version is not kept');
  await commit('/taken', 4);
  const raced = await commit('/taken', 5, { newIno: 'm0123456789ab.2' });
  assert.is(raced.status, 200);
  const trashed = (await get('/v1/trash')).json.items as { path: string }[];
  assert.equal(trashed.map((t) => t.path), ['/taken'], 'the file another client made at that name is kept in the trash');
  assert.is((await post('/v1/fs/commit', { path: '/bad', size: 0, chunks: [], receipts: {}, newIno: 'c1.5' })).status, 400, 'only mount-chosen ids');
});

test('rename of one name of a file onto another name of it does nothing', async () => {
  await commit('/a', 1);
  await post('/v1/fs/link', { from: '/a', to: '/b' });
  assert.is((await post('/v1/fs/rename', { from: '/a', to: '/b' })).status, 200);
  assert.equal([(await stat('/a')).nlink, (await stat('/b')).nlink], [2, 2]);
});

test('commit by inode number reaches the file after a rename', async () => {
  const first = (await commit('/old', 1)).json;
  await post('/v1/fs/rename', { from: '/old', to: '/new' });
  const id = chunkId(9);
  const res = await post('/v1/fs/commit', { path: '/old', ino: first.ino, size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] } });
  assert.is(res.status, 200);
  assert.is(res.json.path, '/new');
  assert.is((await get('/v1/fs/stat?path=/old')).status, 404, 'no file appears under the old name');
  assert.is((await get('/v1/fs/read?path=/new')).json.chunks[0].id, id);
});

test('special files: fifo, socket, char and block devices keep kind, mode and rdev', async () => {
  for (const [path, kind, rdev] of [['/p', 'fifo', 0], ['/s', 'socket', 0], ['/c', 'char', 0x0103], ['/blk', 'block', 0x0801]] as const) {
    const res = await post('/v1/fs/mknod', { path, kind, mode: 0o640, rdev, uid: 5, gid: 6 });
    assert.is(res.status, 200, path);
    const s = await stat(path);
    assert.equal([s.kind, s.mode, s.rdev, s.uid, s.gid, s.nlink, s.size], [kind, 0o640, rdev, 5, 6, 1, 0], path);
  }
  assert.is((await post('/v1/fs/mknod', { path: '/p', kind: 'fifo', mode: 0o600 })).json.code, 'EXISTS');
  assert.is((await get('/v1/fs/read?path=/p')).status, 400, 'a fifo has no chunks to read');
});

test('owners: create as a uid/gid, chown and chgrp persist; a setgid directory gives its group', async () => {
  await post('/v1/fs/mkdir', { path: '/shared', mode: 0o2775, uid: 10, gid: 500 });
  assert.is((await stat('/shared')).mode, 0o2775);
  await commit('/shared/f', 1, { uid: 1000, gid: 1000 });
  assert.equal([(await stat('/shared/f')).uid, (await stat('/shared/f')).gid], [1000, 500]);
  const sub = (await post('/v1/fs/mkdir', { path: '/shared/sub', mode: 0o755, uid: 1000, gid: 1000 })).json;
  assert.equal([sub.gid, sub.mode], [500, 0o2755], 'subdirectories inherit the group and the setgid bit');
  const owned = await post('/v1/fs/setattr', { path: '/shared/f', uid: 42, gid: 43 });
  assert.equal([owned.json.uid, owned.json.gid], [42, 43]);
  assert.equal([(await stat('/shared/f')).uid, (await stat('/shared/f')).gid], [42, 43]);
  assert.is((await post('/v1/fs/setattr', { path: '/shared/f', mode: 0o4755 })).json.mode, 0o4755, 'setuid is kept');
});

test('times: nanoseconds, "now", 64-bit and negative seconds; ctime moves on every change', async () => {
  await commit('/f', 1);
  const before = await stat('/f');
  t.clock.ms += 5000;
  const set = await post('/v1/fs/setattr', { path: '/f', atime: { sec: 1_000_000_000, nsec: 123_456_789 }, mtime: { sec: -5, nsec: 1 } });
  assert.equal([set.json.atime, set.json.mtime], [{ sec: 1_000_000_000, nsec: 123_456_789 }, { sec: -5, nsec: 1 }]);
  assert.ok(set.json.ctime.sec > before.ctime.sec, 'ctime moved');
  const big = await post('/v1/fs/setattr', { path: '/f', mtime: { sec: 2 ** 40, nsec: 0 } });
  assert.is(big.json.mtime.sec, 2 ** 40);
  t.clock.ms += 1000;
  const now = await post('/v1/fs/setattr', { path: '/f', atime: 'now' });
  assert.is(now.json.atime.sec, Math.floor(t.clock.ms / 1000));
  t.clock.ms += 1000;
  const c0 = (await stat('/f')).ctime.sec;
  await post('/v1/fs/setattr', { path: '/f', mode: 0o600 });
  assert.ok((await stat('/f')).ctime.sec > c0, 'chmod moves ctime');
});

test('a commit carries atime and mtime to the nanosecond: a creating one (cp -a before close) and one over an existing file; without atime it is left alone', async () => {
  t.clock.ms += 5000;
  const made = await commit('/t', 1, { mtime: { sec: -7, nsec: 8 }, atime: { sec: 1_000_000_000, nsec: 123_456_789 }, mode: 0o640 });
  assert.is(made.status, 200);
  assert.equal([made.json.atime, made.json.mtime, made.json.mode], [{ sec: 1_000_000_000, nsec: 123_456_789 }, { sec: -7, nsec: 8 }, 0o640]);
  assert.ok(made.json.ctime.sec >= Math.floor(t.clock.ms / 1000), 'ctime is the create time');
  const over = await commit('/t', 2, { mtime: { sec: 50, nsec: 1 }, atime: { sec: 60, nsec: 2 } });
  assert.equal([over.json.atime, over.json.mtime], [{ sec: 60, nsec: 2 }, { sec: 50, nsec: 1 }]);
  const plain = await commit('/t', 3);
  assert.equal(plain.json.atime, { sec: 60, nsec: 2 }, 'no atime: unchanged');
  const bad = await commit('/u', 4, { atime: { sec: 1, nsec: 1_000_000_000 } });
  assert.is(bad.status, 400);
});

test('a directory\'s mtime and ctime move when an entry is added, removed or renamed; nlink counts subdirectories', async () => {
  await post('/v1/fs/mkdir', { path: '/d' });
  const d0 = await stat('/d');
  assert.is(d0.nlink, 2);
  t.clock.ms += 2000;
  await commit('/d/f', 1);
  const d1 = await stat('/d');
  assert.ok(d1.mtime.sec > d0.mtime.sec && d1.ctime.sec > d0.ctime.sec);
  await post('/v1/fs/mkdir', { path: '/d/sub' });
  assert.is((await stat('/d')).nlink, 3);
  t.clock.ms += 2000;
  await post('/v1/fs/rename', { from: '/d/f', to: '/d/g' });
  assert.ok((await stat('/d')).mtime.sec > d1.mtime.sec);
  assert.ok((await stat('/')).mtime.sec > 0, 'the root directory has a real mtime');
});

test('xattrs: set, get, list, remove, create/replace flags, limits', async () => {
  await commit('/f', 1);
  const value = Buffer.from('hello\0world').toString('base64');
  assert.is((await post('/v1/fs/xattr', { path: '/f', name: 'user.greeting', value })).status, 204);
  assert.is((await get('/v1/fs/xattr?path=/f&name=user.greeting')).json.value, value);
  assert.equal((await get('/v1/fs/xattrs?path=/f')).json.names, ['user.greeting']);
  assert.is((await post('/v1/fs/xattr', { path: '/f', name: 'user.greeting', value, flag: 'create' })).json.code, 'EXISTS');
  assert.is((await post('/v1/fs/xattr', { path: '/f', name: 'user.other', value, flag: 'replace' })).json.code, 'NO_XATTR');
  assert.is((await post('/v1/fs/xattr', { path: '/f', name: 'system.weird', value })).json.code, 'NOT_SUPPORTED');
  assert.is((await post('/v1/fs/xattr', { path: '/f', name: `user.${'n'.repeat(251)}`, value })).json.code, 'NAME_TOO_LONG');
  const big = Buffer.alloc(64 * 1024 + 1).toString('base64');
  assert.is((await post('/v1/fs/xattr', { path: '/f', name: 'user.big', value: big })).json.code, 'TOO_LARGE');
  assert.is((await post('/v1/fs/xattr/remove', { path: '/f', name: 'user.greeting' })).status, 204);
  assert.is((await get('/v1/fs/xattr?path=/f&name=user.greeting')).json.code, 'NO_XATTR');
  assert.equal((await get('/v1/fs/xattrs?path=/f')).json.names, []);
  assert.is((await post('/v1/fs/xattr/remove', { path: '/f', name: 'user.greeting' })).json.code, 'NO_XATTR');
});

test('an entry names its xattrs (removed ones not), up to ENTRY_XATTR_NAMES_MAX; beyond, none are named', async () => {
  await commit('/f', 1);
  assert.equal((await stat('/f')).xattrs, [], 'none yet');
  const value = Buffer.from('v').toString('base64');
  for (const name of ['user.a', 'user.b']) assert.is((await post('/v1/fs/xattr', { path: '/f', name, value })).status, 204);
  assert.is((await post('/v1/fs/xattr/remove', { path: '/f', name: 'user.a' })).status, 204);
  assert.equal((await stat('/f')).xattrs, ['user.b']);
  assert.equal((await get('/v1/fs/list?path=/')).json.entries.find((e: { path: string }) => e.path === '/f').xattrs, ['user.b'], 'listings too');
  for (let i = 0; i < ENTRY_XATTR_NAMES_MAX; i++) await post('/v1/fs/xattr', { path: '/f', name: `user.n${i}`, value });
  assert.is((await stat('/f')).xattrs, undefined, 'too many to name: the client asks');
});

test('names: 255 bytes work, 256 give NAME_TOO_LONG; a 4095-byte path works', async () => {
  assert.is((await post('/v1/fs/mkdir', { path: `/${'n'.repeat(255)}` })).status, 200);
  assert.is((await post('/v1/fs/mkdir', { path: `/${'n'.repeat(256)}` })).json.code, 'NAME_TOO_LONG');
  let path = '';
  while (path.length + 256 <= 4095 - 10) path += `/${'d'.repeat(255)}`;
  path += `/${'f'.repeat(4095 - path.length - 1)}`;
  assert.is(Buffer.byteLength(path), 4095);
  assert.is((await post('/v1/fs/mkdir', { path, parents: true })).status, 200);
  assert.is((await stat(path)).kind, 'dir');
});

test('renaming a directory writes a handful of records whatever is below it', async () => {
  for (let i = 0; i < 200; i++) await commit(`/big/f${i}`, i + 1);
  const seqBefore = t.c.store.digest()['ctl-a']!;
  assert.is((await post('/v1/fs/rename', { from: '/big', to: '/moved' })).status, 200);
  const written = t.c.store.digest()['ctl-a']! - seqBefore;
  assert.ok(written <= 4, `${written} records for a rename of 200 files`);
  assert.is((await get('/v1/fs/list?path=/moved')).json.entries.length, 200);
  assert.is((await stat('/moved/f199')).size, 10);
});

test('statfs: usable capacity at the replication factor and the file count', async () => {
  await commit('/f', 1);
  const res = await get('/v1/fs/statfs');
  assert.is(res.status, 200);
  assert.is(res.json.files, 2, 'the root and the file');
  assert.equal([res.json.availBytes, res.json.totalBytes], [0, 0], 'no chunkserver: nothing can be stored');
});

test.run();
