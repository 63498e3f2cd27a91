// The trash over HTTP (inject) on the SQLite store: rm -r and rename-over put entries in the
// trash with their chunks still referenced; restore (to where it was, --to, conflicts refused with
// nothing restored), empty, the expiry sweep on the clock; TRASH_TTL=0 frees at once; and two
// controllers: a restore on one and the expiry of the same entry on the other converge to the file
// restored, whatever order the records arrive in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkId, makeController, type TestController } from './helpers.js';

let t: TestController;
let token: string;
const DAY = 24 * 3600_000;
test.before.each(async () => {
  t = await makeController({ TRASH_TTL: '24h' });
  token = await t.login();
});
test.after.each(async () => { await t.close(); });

const call = (c: TestController, tok: string) => ({
  post: (url: string, body: unknown) => c.call('POST', url, body, tok),
  get: (url: string) => c.call('GET', url, undefined, tok),
});
async function commit(c: TestController, tok: string, path: string, n: number) {
  const id = chunkId(n);
  const res = await c.call('POST', '/v1/fs/commit', { path, size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [c.receipt(id, 'cs1', 10)] } }, tok);
  assert.is(res.status, 200, JSON.stringify(res.json));
}
const names = async (c: TestController, tok: string, dir: string): Promise<string[]> =>
  (await c.call('GET', `/v1/fs/list?path=${encodeURIComponent(dir)}`, undefined, tok)).json.entries.map((e: { path: string }) => e.path);
const trashPaths = async (c: TestController, tok: string): Promise<string[]> =>
  (await c.call('GET', '/v1/trash', undefined, tok)).json.items.map((i: { path: string }) => i.path).sort();

test('rm -r puts every entry in the trash, chunks stay referenced; restore brings the tree back', async () => {
  const { post, get } = call(t, token);
  await commit(t, token, '/t/a', 1);
  await commit(t, token, '/t/b/c', 2);
  assert.is((await post('/v1/fs/remove', { path: '/t', recursive: true })).json.removed, 4);
  assert.equal(await names(t, token, '/'), []);
  assert.equal(await trashPaths(t, token), ['/t', '/t/a', '/t/b', '/t/b/c']);
  assert.ok(t.c.store.isChunkReferenced(chunkId(1)) && t.c.store.isChunkReferenced(chunkId(2)), 'trashed chunks stay referenced');
  const status = (await get('/v1/status')).json;
  assert.equal(status.trash, { entries: 4, bytes: 20, ttlMs: DAY });
  const listed = (await get('/v1/trash')).json.items.find((i: { path: string }) => i.path === '/t/b/c');
  assert.equal({ kind: listed.kind, size: listed.size, expiresMs: listed.expiresMs }, { kind: 'file', size: 10, expiresMs: t.clock.ms + DAY });

  const restored = await post('/v1/trash/restore', { path: '/t' });
  assert.is(restored.status, 200, JSON.stringify(restored.json));
  assert.equal(restored.json.restored.map((i: { path: string }) => i.path), ['/t', '/t/a', '/t/b', '/t/b/c']);
  assert.equal(await names(t, token, '/t'), ['/t/a', '/t/b']);
  assert.equal(await names(t, token, '/t/b'), ['/t/b/c']);
  assert.is((await get('/v1/fs/stat?path=/t/b/c')).json.size, 10);
  assert.equal(await trashPaths(t, token), []);
  assert.is((await post('/v1/trash/restore', { path: '/t' })).json.code, 'NOT_FOUND');
});

test('restore refuses a conflict and restores nothing; --to puts it elsewhere', async () => {
  const { post } = call(t, token);
  await commit(t, token, '/d/x', 1);
  await commit(t, token, '/d/y', 2);
  await post('/v1/fs/remove', { path: '/d', recursive: true });
  await commit(t, token, '/d/y', 3);
  const refused = await post('/v1/trash/restore', { path: '/d' });
  assert.is(refused.status, 409);
  assert.match(refused.json.message, /\/d\/y exists; move it away, or restore elsewhere with --to DEST/);
  assert.equal(await names(t, token, '/d'), ['/d/y'], 'nothing restored');
  const moved = await post('/v1/trash/restore', { path: '/d', to: '/old/d' });
  assert.is(moved.status, 200, JSON.stringify(moved.json));
  assert.equal(await names(t, token, '/old/d'), ['/old/d/x', '/old/d/y']);
});

test('rename over a file keeps the replaced version in the trash', async () => {
  const { post } = call(t, token);
  await commit(t, token, '/f', 1);
  await commit(t, token, '/g', 2);
  assert.is((await post('/v1/fs/rename', { from: '/g', to: '/f' })).status, 200);
  assert.equal(await trashPaths(t, token), ['/f']);
  assert.ok(t.c.store.isChunkReferenced(chunkId(1)));
  await post('/v1/fs/rename', { from: '/f', to: '/f.new' });
  assert.is((await post('/v1/trash/restore', { path: '/f' })).status, 200);
  assert.equal(t.c.namespace.file('alice', '/f').chunks.map((c) => c.id), [chunkId(1)], 'the old version is back');
});

test('empty and the expiry sweep unlink for good: chunks are no longer referenced', async () => {
  const { post } = call(t, token);
  await commit(t, token, '/keep/a', 1);
  await commit(t, token, '/gone/b', 2);
  await post('/v1/fs/remove', { path: '/gone/b' });
  assert.is((await post('/v1/trash/empty', { path: '/gone' })).json.removed, 1);
  assert.not.ok(t.c.store.isChunkReferenced(chunkId(2)));
  await post('/v1/fs/remove', { path: '/keep/a' });
  assert.is(t.c.namespace.trash.sweep(100, 0), 0, 'not yet due');
  t.clock.ms += DAY - 1;
  assert.is(t.c.namespace.trash.sweep(100, 0), 0);
  assert.ok(t.c.store.isChunkReferenced(chunkId(1)));
  t.clock.ms += 1;
  assert.is(t.c.namespace.trash.sweep(100, 0), 1);
  assert.not.ok(t.c.store.isChunkReferenced(chunkId(1)));
  assert.equal(t.c.namespace.trash.list('alice'), []);
  assert.equal(t.c.store.trashOwners(), [], 'expired entries leave the trash directory');
});

test('TRASH_TTL=0: a removed file is unreferenced at once, nothing in the trash', async () => {
  const z = await makeController({ TRASH_TTL: '0' });
  try {
    const tok = await z.login();
    await commit(z, tok, '/f', 1);
    await z.call('POST', '/v1/fs/remove', { path: '/f' }, tok);
    assert.not.ok(z.c.store.isChunkReferenced(chunkId(1)));
    assert.equal((await z.call('GET', '/v1/trash', undefined, tok)).json, { items: [], ttlMs: 0 });
  } finally {
    await z.close();
  }
});

/** Every record of `from` merged into `to` (anti-entropy in one step). */
function sync(from: TestController, to: TestController): void {
  for (const f of from.c.store.fingerprints()) to.c.store.mergeRecord(from.c.store.getRecord(f.key)!);
}

test('restore on one controller, expiry of the same entry on another: the file is restored on both, either order', async () => {
  for (const order of ['a-first', 'b-first']) {
    const a = await makeController({ TRASH_TTL: '1h', CONTROLLER_NODE_ID: 'ctl-a' });
    const b = await makeController({ TRASH_TTL: '1h', CONTROLLER_NODE_ID: 'ctl-b' });
    try {
      const tok = await a.login();
      await commit(a, tok, '/f', 1);
      await a.call('POST', '/v1/fs/remove', { path: '/f' }, tok);
      sync(a, b);
      a.clock.ms += 3600_000 - 1; // a still sees it in the trash
      b.clock.ms += 3600_000 + 61_000; // b sees it expired (a's entry, after the slack)
      assert.is((await a.call('POST', '/v1/trash/restore', { path: '/f' }, tok)).status, 200);
      assert.is(b.c.namespace.trash.sweep(100, 60_000), 1);
      if (order === 'a-first') { sync(a, b); sync(b, a); } else { sync(b, a); sync(a, b); }
      for (const c of [a, b]) {
        assert.equal(await names(c, tok, '/'), ['/f'], `${order}: restored on ${c.c.store.nodeId}`);
        assert.ok(c.c.store.isChunkReferenced(chunkId(1)));
        assert.equal(await trashPaths(c, tok), []);
      }
    } finally {
      await a.close();
      await b.close();
    }
  }
});

test.run();
