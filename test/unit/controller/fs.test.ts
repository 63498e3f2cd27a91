// Namespace routes over HTTP (inject): commit with receipts, stat, list, find, tags, mkdir,
// remove and rename rules, and the failure paths (quorum, forged receipts, NOT_DIR, IS_DIR...).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkId, makeController, type TestController } from './helpers.js';

let t: TestController;
let token: string;
test.before.each(async () => {
  t = await makeController();
  token = await t.login();
});
test.after.each(async () => { await t.close(); });

async function commit(path: string, n: number, extra: Record<string, unknown> = {}) {
  const id = chunkId(n);
  return t.call('POST', '/v1/fs/commit', { path, size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] }, ...extra }, token);
}
const post = (url: string, body: unknown) => t.call('POST', url, body, token);
const get = (url: string) => t.call('GET', url, undefined, token);
const paths = (res: { json: { entries: { path: string }[] } }) => res.json.entries.map((e) => e.path);

test('commit creates parents; stat and list', async () => {
  const res = await commit('/docs/a/report.txt', 1, { tags: ['work', 'q1'], mode: 0o600, mtimeMs: 1234 });
  assert.is(res.status, 200);
  const { path, kind, size, mode, mtimeMs, tags, chunkCount, nlink, uid, gid, mtime } = res.json;
  assert.equal({ path, kind, size, mode, mtimeMs, tags, chunkCount, nlink, uid, gid, mtime }, {
    path: '/docs/a/report.txt', kind: 'file', size: 10, mode: 0o600, mtimeMs: 1234, tags: ['q1', 'work'], chunkCount: 1, nlink: 1, uid: 0, gid: 0,
    mtime: { sec: 1, nsec: 234_000_000 },
  });
  assert.is((await get('/v1/fs/stat?path=/docs/a')).json.kind, 'dir');
  assert.equal(paths(await get('/v1/fs/list?path=/')), ['/docs']);
  assert.equal(paths(await get('/v1/fs/list?path=/docs/a')), ['/docs/a/report.txt']);
  assert.is((await get('/v1/fs/stat?path=/')).json.kind, 'dir');
  const missing = await get('/v1/fs/stat?path=/nope');
  assert.is(missing.status, 404);
  assert.is(missing.json.code, 'NOT_FOUND');
  assert.is((await get('/v1/fs/list?path=/docs/a/report.txt')).json.code, 'NOT_DIR');
});

test('find (all tags, under a path) and tag counts', async () => {
  await commit('/a/x', 1, { tags: ['red', 'big'] });
  await commit('/a/y', 2, { tags: ['red'] });
  await commit('/b/z', 3, { tags: ['red', 'big'] });
  assert.equal(paths(await get('/v1/fs/find?tag=red&tag=big')), ['/a/x', '/b/z']);
  assert.equal(paths(await get('/v1/fs/find?tag=red&path=/a')), ['/a/x', '/a/y']);
  assert.equal(paths(await get('/v1/fs/find?tag=none')), []);
  assert.equal((await get('/v1/fs/tags')).json, { tags: [{ tag: 'big', count: 2 }, { tag: 'red', count: 3 }] });
  const tagged = await post('/v1/fs/tags', { path: '/a/y', add: ['big'], remove: ['red'] });
  assert.equal(tagged.json.tags, ['big']);
  assert.equal(paths(await get('/v1/fs/find?tag=red')), ['/a/x', '/b/z']);
  assert.is((await post('/v1/fs/tags', { path: '/a/y', add: ['bad tag'] })).status, 400);
});

test('declared tags (root xattrs trusted.redcloud.tag.NAME) are listed with count 0 until used, once, and go when removed', async () => {
  await commit('/a/x', 1, { tags: ['red'] });
  const declare = (tag: string) => post('/v1/fs/xattr', { path: '/', name: `trusted.redcloud.tag.${tag}`, value: '' });
  assert.is((await declare('new')).status, 204);
  assert.is((await declare('red')).status, 204);
  assert.is((await declare('bad,name')).status, 204, 'a plain xattr to the store; not a tag, so not listed');
  assert.equal((await get('/v1/fs/tags')).json, { tags: [{ tag: 'new', count: 0 }, { tag: 'red', count: 1 }] });
  await post('/v1/fs/tags', { path: '/a/x', add: ['new'] });
  assert.equal((await get('/v1/fs/tags')).json, { tags: [{ tag: 'new', count: 1 }, { tag: 'red', count: 1 }] });
  await post('/v1/fs/tags', { path: '/a/x', remove: ['new'] });
  assert.is((await post('/v1/fs/xattr/remove', { path: '/', name: 'trusted.redcloud.tag.new' })).status, 204);
  assert.equal((await get('/v1/fs/tags')).json, { tags: [{ tag: 'red', count: 1 }] });
});

test('other users see nothing', async () => {
  await commit('/secret', 1);
  const bob = await t.login('bob');
  assert.equal((await t.call('GET', '/v1/fs/list?path=/', undefined, bob)).json.entries, []);
  assert.is((await t.call('GET', '/v1/fs/stat?path=/secret', undefined, bob)).status, 404);
});

test('receipts: quorum not met and forged receipts commit nothing', async () => {
  const id = chunkId(7);
  const none = await post('/v1/fs/commit', { path: '/f', size: 10, chunks: [{ id, size: 10 }], receipts: {} });
  assert.is(none.status, 503);
  assert.equal(none.json, { code: 'UNAVAILABLE', message: `chunk ${id} has 0 of 1 replicas`, details: { chunkId: id, have: 0, want: 1 } });
  const forged = `${t.receipt(id, 'cs1', 10).split('.')[0]}.AAAA`;
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [forged] } })).status, 503);
  const otherChunk = t.receipt(chunkId(8), 'cs1', 10);
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [otherChunk] } })).status, 503);
  assert.is((await get('/v1/fs/stat?path=/f')).status, 404);
  assert.equal(t.c.store.locationsOf(id), []);
});

test('receipts: a rewrite re-sends receipts only for changed chunks; other files\' chunks still need them', async () => {
  const [a, b, c] = [chunkId(21), chunkId(22), chunkId(23)];
  const first = await post('/v1/fs/commit', { path: '/big', size: 20, chunks: [{ id: a, size: 10 }, { id: b, size: 10 }], receipts: { [a]: [t.receipt(a, 'cs1', 10)], [b]: [t.receipt(b, 'cs1', 10)] } });
  assert.is(first.status, 200);
  const rewrite = await post('/v1/fs/commit', { path: '/big', size: 20, chunks: [{ id: a, size: 10 }, { id: c, size: 10 }], receipts: { [c]: [t.receipt(c, 'cs1', 10)] } });
  assert.is(rewrite.status, 200);
  const borrow = await post('/v1/fs/commit', { path: '/other', size: 10, chunks: [{ id: a, size: 10 }], receipts: {} });
  assert.is(borrow.status, 503);
  assert.is((await get('/v1/fs/stat?path=/other')).status, 404);
});

test('extents: a commit of a new small chunk over an old one (no receipt for the old), the read plan carries them; bad extents and borrowed chunks are refused', async () => {
  const [a, b] = [chunkId(31), chunkId(32)];
  assert.is((await post('/v1/fs/commit', { path: '/x', size: 20, chunks: [{ id: a, size: 20 }], receipts: { [a]: [t.receipt(a, 'cs1', 20)] } })).status, 200);
  const extents = [{ off: 0, len: 5, chunk: 0, chunkOff: 0 }, { off: 5, len: 4, chunk: 1, chunkOff: 0 }, { off: 9, len: 11, chunk: 0, chunkOff: 9 }];
  const ok = await post('/v1/fs/commit', { path: '/x', size: 24, chunks: [{ id: a, size: 20 }, { id: b, size: 4 }], extents, receipts: { [b]: [t.receipt(b, 'cs1', 4)] } });
  assert.is(ok.status, 200, JSON.stringify(ok.json));
  const plan = await get('/v1/fs/read?path=/x');
  assert.equal(plan.json.extents, extents);
  assert.equal(plan.json.chunks.map((c: { id: string }) => c.id), [a, b]);
  assert.is(plan.json.entry.size, 24, 'bytes 20..24 are a hole');
  // outside its chunk, overlapping, an unused chunk: 400
  for (const bad of [[{ ...extents[0], len: 21 }], [extents[0], { ...extents[1], off: 4 }], [extents[0]]]) {
    assert.is((await post('/v1/fs/commit', { path: '/x', size: 24, chunks: [{ id: a, size: 20 }, { id: b, size: 4 }], extents: bad, receipts: {} })).status, 400);
  }
  // another file may not name a chunk it has no receipt for
  const borrow = await post('/v1/fs/commit', { path: '/y', size: 4, chunks: [{ id: b, size: 4 }], extents: [{ off: 0, len: 2, chunk: 0, chunkOff: 2 }], receipts: {} });
  assert.is(borrow.status, 503);
});

test('receipts: WRITE_QUORUM 2 needs distinct servers; valid receipts become locations', async () => {
  await t.close();
  t = await makeController({ WRITE_QUORUM: '2' });
  token = await t.login();
  const id = chunkId(9);
  const r1 = t.receipt(id, 'cs1', 10);
  const same = await post('/v1/fs/commit', { path: '/f', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [r1, r1] } });
  assert.is(same.status, 503);
  assert.is(same.json.message, `chunk ${id} has 1 of 2 replicas`);
  assert.equal(t.c.store.locationsOf(id), ['cs1']);
  const ok = await post('/v1/fs/commit', { path: '/f', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [r1, t.receipt(id, 'cs2', 10)] } });
  assert.is(ok.status, 200);
  assert.equal(t.c.store.locationsOf(id), ['cs1', 'cs2']);
});

test('commit rules: size mismatch, over a dir, under a file, ifVersion', async () => {
  const id = chunkId(1);
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 11, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] } })).status, 400);
  await post('/v1/fs/mkdir', { path: '/d' });
  assert.is((await commit('/d', 1)).json.code, 'IS_DIR');
  const first = await commit('/file', 1);
  assert.is((await commit('/file/child', 2)).json.code, 'NOT_DIR');
  assert.is((await commit('/new', 2, { ifVersion: '' })).status, 200);
  assert.is((await commit('/new', 2, { ifVersion: '' })).json.code, 'EXISTS');
  const second = await commit('/file', 3, { ifVersion: first.json.version });
  assert.is(second.status, 200);
  assert.is.not(second.json.version, first.json.version);
  assert.is((await commit('/file', 4, { ifVersion: first.json.version })).json.code, 'EXISTS');
});

test('mkdir: EXISTS, parents, missing parent', async () => {
  assert.is((await post('/v1/fs/mkdir', { path: '/a' })).status, 200);
  assert.is((await post('/v1/fs/mkdir', { path: '/a' })).json.code, 'EXISTS');
  assert.is((await post('/v1/fs/mkdir', { path: '/a', parents: true })).status, 200);
  assert.is((await post('/v1/fs/mkdir', { path: '/x/y' })).json.code, 'NOT_FOUND');
  assert.is((await post('/v1/fs/mkdir', { path: '/x/y', parents: true })).json.path, '/x/y');
  assert.is((await post('/v1/fs/mkdir', { path: '/bad/../x' })).status, 400);
});

test('remove: NOT_EMPTY unless recursive; tombstones', async () => {
  await commit('/d/a', 1);
  await commit('/d/e/b', 2);
  const refused = await post('/v1/fs/remove', { path: '/d' });
  assert.is(refused.status, 409);
  assert.is(refused.json.code, 'NOT_EMPTY');
  const before = (await get('/v1/fs/stat?path=/d')).json;
  const one = (await post('/v1/fs/remove', { path: '/d/a' })).json;
  assert.is(one.removed, 1);
  assert.equal(one.parent, (await get('/v1/fs/stat?path=/d')).json, 'the answer carries the directory after the change');
  assert.ok(one.parent.ctimeMs >= before.ctimeMs && one.parent.mtimeMs >= before.mtimeMs);
  const all = (await post('/v1/fs/remove', { path: '/d', recursive: true })).json;
  assert.is(all.removed, 3);
  assert.equal(all.parent, (await get('/v1/fs/stat?path=/')).json);
  assert.equal((await get('/v1/fs/list?path=/')).json.entries, []);
  assert.is((await post('/v1/fs/remove', { path: '/d' })).json.code, 'NOT_FOUND');
  assert.is((await get('/v1/fs/stat?path=/d/e/b')).status, 404);
  // recreate after delete works and starts without old tags
  assert.equal((await commit('/d/a', 5)).json.tags, []);
});

test('rename: file over file, dir with subtree, dir onto non-empty dir, into itself', async () => {
  await commit('/a', 1, { tags: ['t1'] });
  await commit('/b', 2, { tags: ['t2'] });
  const moved = await post('/v1/fs/rename', { from: '/a', to: '/b' });
  assert.is(moved.status, 200);
  assert.equal(moved.json.tags, ['t1']);
  assert.equal(paths(await get('/v1/fs/list?path=/')), ['/b']);
  await commit('/src/x/y', 3);
  await commit('/src/z', 4);
  assert.is((await post('/v1/fs/rename', { from: '/src', to: '/dst/inner' })).status, 200);
  assert.equal(paths(await get('/v1/fs/list?path=/dst/inner')), ['/dst/inner/x', '/dst/inner/z']);
  assert.equal(paths(await get('/v1/fs/list?path=/dst/inner/x')), ['/dst/inner/x/y']);
  assert.is((await get('/v1/fs/stat?path=/src/z')).status, 404);
  await commit('/full/f', 5);
  assert.is((await post('/v1/fs/rename', { from: '/dst', to: '/full' })).json.code, 'NOT_EMPTY');
  assert.is((await post('/v1/fs/rename', { from: '/dst', to: '/b' })).json.code, 'NOT_DIR');
  assert.is((await post('/v1/fs/rename', { from: '/b', to: '/full' })).json.code, 'IS_DIR');
  assert.is((await post('/v1/fs/rename', { from: '/dst', to: '/dst/inner/q' })).status, 400);
  assert.is((await post('/v1/fs/rename', { from: '/nope', to: '/q' })).json.code, 'NOT_FOUND');
});

test('symlink and setattr', async () => {
  const link = await post('/v1/fs/symlink', { path: '/l/link', target: '../x' });
  assert.equal([link.json.kind, link.json.target, link.json.size], ['symlink', '../x', 4]);
  assert.is((await post('/v1/fs/symlink', { path: '/l/link', target: 'y' })).json.code, 'EXISTS');
  await commit('/f', 1);
  const attrs = await post('/v1/fs/setattr', { path: '/f', mode: 0o100600, mtimeMs: 42.7 });
  assert.equal([attrs.json.mode, attrs.json.mtimeMs, attrs.json.size], [0o600, 42, 10]);
  const truncated = await post('/v1/fs/setattr', { path: '/f', size: 0 });
  assert.equal([truncated.json.size, truncated.json.chunkCount], [0, 0]);
  assert.is((await post('/v1/fs/setattr', { path: '/f', size: 5 })).status, 400);
});

test.run();
