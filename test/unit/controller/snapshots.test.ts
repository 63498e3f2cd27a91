// Snapshots over HTTP (inject) on one in-process controller: create, then change, rename and
// delete in the source; the snapshot keeps the old content (chunk ids), the read-only scope
// header, list/diff/restore/remove, GC references, and every snapshot record passing the peer schema.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../../src/common/logger.js';
import { createSnapshots, SNAPSHOT_BATCH_RECORDS } from '../../../src/controller/snapshots.js';
import { validateRecord } from '../../../src/meta/validate.js';
import { chunkId, makeController, type TestController } from './helpers.js';

let t: TestController;
let token: string;
test.before.each(async () => {
  // removed files must become unreferenced here at once: with the trash on they would wait in it (its own tests)
  t = await makeController({ TRASH_TTL: '0' });
  token = await t.login();
});
test.after.each(async () => { await t.close(); });

async function commit(path: string, n: number) {
  const id = chunkId(n);
  const res = await t.call('POST', '/v1/fs/commit', { path, size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] } }, token);
  assert.is(res.status, 200, JSON.stringify(res.json));
}
const post = (url: string, body: unknown) => t.call('POST', url, body, token);
const get = (url: string) => t.call('GET', url, undefined, token);
async function inSnap(name: string, method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await t.c.app.inject({ method, url, ...(body ? { payload: body as object } : {}), headers: { authorization: `Bearer ${token}`, 'x-redcloud-snapshot': name } });
  return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
}
const chunksOf = async (name: string, path: string) => (await inSnap(name, 'GET', `/v1/fs/read?path=${encodeURIComponent(path)}`)).json.chunks?.map((c: { id: string }) => c.id);
const names = async (name: string, path: string) => (await inSnap(name, 'GET', `/v1/fs/list?path=${encodeURIComponent(path)}`)).json.entries.map((e: { path: string }) => e.path);

async function tree() {
  await commit('/docs/a.txt', 1);
  await commit('/docs/sub/b.txt', 2);
  await commit('/docs/c.txt', 3);
  await commit('/other.txt', 9);
  assert.is((await post('/v1/fs/link', { from: '/docs/a.txt', to: '/docs/a-link' })).status, 200);
}

test('a snapshot keeps the old tree while the source changes', async () => {
  await tree();
  const made = await post('/v1/snapshots/create', { path: '/docs', name: 'before' });
  assert.is(made.status, 201, JSON.stringify(made.json));
  assert.is(made.json.name, 'before');
  assert.is(made.json.entries, 5);
  assert.is(made.json.source, '/docs');
  await commit('/docs/a.txt', 11); // changed
  assert.is((await post('/v1/fs/rename', { from: '/docs/sub/b.txt', to: '/docs/b-moved.txt' })).status, 200);
  assert.is((await post('/v1/fs/remove', { path: '/docs/c.txt' })).status, 200);
  await commit('/docs/new.txt', 12);
  assert.equal(await names('before', '/'), ['/a-link', '/a.txt', '/c.txt', '/sub']);
  assert.equal(await names('before', '/sub'), ['/sub/b.txt']);
  assert.equal(await chunksOf('before', '/a.txt'), [chunkId(1)]);
  assert.equal(await chunksOf('before', '/c.txt'), [chunkId(3)]);
  assert.is((await inSnap('before', 'GET', '/v1/fs/stat?path=/a.txt')).json.nlink, 2, 'hard links stay hard links');
  // the old chunks stay referenced (GC keeps them) while the snapshot exists
  assert.ok(t.c.store.isChunkReferenced(chunkId(1)));
  assert.ok(t.c.store.isChunkReferenced(chunkId(3)));
  const diff = await get('/v1/snapshots/diff?a=before');
  assert.equal(diff.json.changes, [
    { change: 'modified', path: '/a-link' },
    { change: 'modified', path: '/a.txt' },
    { change: 'renamed', path: '/b-moved.txt', from: '/sub/b.txt' },
    { change: 'removed', path: '/c.txt' },
    { change: 'added', path: '/new.txt' },
  ]);
  // every record of the snapshot passes the schema a peer checks before merging
  for (const r of t.c.store.recordsInBuckets(new Set(Array.from({ length: 4096 }, (_, i) => i)))) validateRecord(r);
});

test('writes through the snapshot scope are READ_ONLY; unknown snapshots NOT_FOUND', async () => {
  await tree();
  await post('/v1/snapshots/create', { path: '/', name: 'all' });
  for (const [url, body] of [['/v1/fs/remove', { path: '/other.txt' }], ['/v1/fs/mkdir', { path: '/x' }], ['/v1/fs/rename', { from: '/other.txt', to: '/y' }]] as const) {
    const res = await inSnap('all', 'POST', url, body);
    assert.is(res.status, 403);
    assert.is(res.json.code, 'READ_ONLY');
    assert.match(res.json.message, /Snapshot all is read-only/);
  }
  assert.equal(await chunksOf('all', '/other.txt'), [chunkId(9)]);
  assert.is((await inSnap('nope', 'GET', '/v1/fs/stat?path=/')).json.code, 'NOT_FOUND');
  assert.is((await post('/v1/snapshots/create', { path: '/', name: 'all' })).json.code, 'EXISTS');
  assert.is((await post('/v1/snapshots/create', { path: '/other.txt', name: 'f' })).json.code, 'NOT_DIR');
  assert.is((await post('/v1/snapshots/create', { path: '/', name: '../x' })).json.code, 'INVALID');
  // the catalog is the snapshot routes' alone: an xattr write of its names would orphan or forge one
  const id = (await get('/v1/snapshots')).json.snapshots[0].id as string;
  assert.is((await post('/v1/fs/xattr/remove', { path: '/', name: `trusted.redcloud.snapshot.${id}` })).json.code, 'NOT_PERMITTED');
  assert.is((await post('/v1/fs/xattr', { path: '/', name: 'trusted.redcloud.snapshot.x.1', value: '' })).json.code, 'NOT_PERMITTED');
  assert.equal((await get('/v1/snapshots')).json.snapshots.map((s: { name: string }) => s.name), ['all']);
});

test('list, restore (new inodes, same chunks) and remove (chunks unreferenced)', async () => {
  await tree();
  await post('/v1/snapshots/create', { path: '/docs', name: 's1' });
  await post('/v1/snapshots/create', { path: '/', name: 's2' });
  assert.equal((await get('/v1/snapshots')).json.snapshots.map((s: { name: string; source: string }) => [s.name, s.source]), [['s1', '/docs'], ['s2', '/']]);
  assert.is((await post('/v1/snapshots/restore', { name: 's1' })).json.code, 'EXISTS', '/docs exists');
  assert.is((await post('/v1/fs/remove', { path: '/docs', recursive: true })).status, 200);
  const restored = await post('/v1/snapshots/restore', { name: 's1' });
  assert.is(restored.status, 200, JSON.stringify(restored.json));
  assert.equal((await get('/v1/fs/list?path=/docs')).json.entries.map((e: { path: string }) => e.path), ['/docs/a-link', '/docs/a.txt', '/docs/c.txt', '/docs/sub']);
  assert.equal((await get('/v1/fs/read?path=/docs/sub/b.txt')).json.chunks.map((c: { id: string }) => c.id), [chunkId(2)]);
  assert.is((await get('/v1/fs/stat?path=/docs/a.txt')).json.nlink, 2);
  assert.is((await post('/v1/snapshots/restore', { name: 's2', to: '/copy' })).status, 200);
  assert.equal((await get('/v1/fs/read?path=/copy/other.txt')).json.chunks.map((c: { id: string }) => c.id), [chunkId(9)]);
  // remove everything else referencing chunk 3, then the snapshots: the chunk becomes garbage
  await post('/v1/fs/remove', { path: '/docs', recursive: true });
  await post('/v1/fs/remove', { path: '/copy', recursive: true });
  assert.ok(t.c.store.isChunkReferenced(chunkId(3)), 'still in the snapshots');
  assert.is((await post('/v1/snapshots/remove', { name: 's1' })).json.removed, 5);
  assert.ok(t.c.store.isChunkReferenced(chunkId(3)), 'still in s2');
  assert.is((await post('/v1/snapshots/remove', { name: 's2' })).status, 200);
  assert.not.ok(t.c.store.isChunkReferenced(chunkId(3)));
  assert.equal((await get('/v1/snapshots')).json.snapshots, []);
  assert.is((await inSnap('s1', 'GET', '/v1/fs/stat?path=/')).json.code, 'NOT_FOUND');
});

test('a large snapshot is written in batches: incomplete in the list until its last copy is written, then complete and whole', async () => {
  const files = SNAPSHOT_BATCH_RECORDS + 200; // 2 records per file: three batches
  t.c.namespace.mkdir('alice', '/big');
  for (let i = 0; i < files; i++) t.c.namespace.symlink('alice', `/big/l${i}`, `target-${i}`);
  const snaps = createSnapshots({ store: t.c.store, logger: silentLogger(), now: () => t.clock.ms });
  const pending = snaps.create('alice', '/big', 'big');
  // the point in time is taken synchronously: a change made now is not in it
  t.c.namespace.symlink('alice', '/big/late', 'x');
  assert.equal(snaps.list('alice').map((s) => [s.name, s.complete, s.entries]), [['big', false, files]]);
  const info = await pending;
  assert.is(info.complete, true);
  assert.equal(snaps.list('alice').map((s) => [s.name, s.complete]), [['big', true]]);
  const listed = (await inSnap('big', 'GET', '/v1/fs/list?path=/')).json.entries as { path: string }[];
  assert.is(listed.length, files);
  assert.not.ok(listed.some((e) => e.path === '/late'));
  assert.is(await snaps.remove('alice', 'big'), files);
  assert.equal(snaps.list('alice'), []);
});

test.run();
