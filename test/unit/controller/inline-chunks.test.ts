// Inline chunks at the controller (issue 14, src/meta/inline.ts): a commit's CommitRequest.inlineChunks
// go into the inode record, the read plan carries their bytes (no location, no capability), no
// chunk reference names them (GC, repair), a later commit keeps them without resending; every
// malformed or oversized one is refused, and a chunk no longer inline must come with receipts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkIdOf } from '../../../src/common/chunk-format.js';
import { validateRecord } from '../../../src/meta/validate.js';
import { makeController, type TestController } from './helpers.js';

let t: TestController;
let token: string;
test.before.each(async () => {
  t = await makeController({ INLINE_MAX: '8KiB' });
  token = await t.login();
});
test.after.each(async () => { await t.close(); });

const post = (url: string, body: unknown) => t.call('POST', url, body, token);
const get = (url: string) => t.call('GET', url, undefined, token);
const idOf = (b: Buffer): string => chunkIdOf('b3-64k', b);
const big = Buffer.alloc(20_000, 1);
const BIG = idOf(big);

/** /f: a 20,000-byte chunk on cs1 with `patch` at 100 as an inline chunk (or with `extra` fields). */
async function patchCommit(patch: Buffer, extra: Record<string, unknown> = {}, path = '/f') {
  const pid = idOf(patch);
  return post('/v1/fs/commit', {
    path, size: 20_000, chunks: [{ id: BIG, size: 20_000 }, { id: pid, size: patch.length }],
    extents: [{ off: 0, len: 100, chunk: 0, chunkOff: 0 }, { off: 100, len: patch.length, chunk: 1, chunkOff: 0 }, { off: 100 + patch.length, len: 19_900 - patch.length, chunk: 0, chunkOff: 100 + patch.length }],
    receipts: {}, inlineChunks: { [pid]: patch.toString('base64') }, ...extra,
  });
}

test('an inline chunk: one commit, the plan carries its bytes, no chunk reference, kept by later commits without its bytes', async () => {
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }], receipts: { [BIG]: [t.receipt(BIG, 'cs1', 20_000)] } })).status, 200);
  const patch = Buffer.alloc(4096, 7);
  const pid = idOf(patch);
  const ok = await patchCommit(patch);
  assert.is(ok.status, 200, JSON.stringify(ok.json));
  const plan = (await get('/v1/fs/read?path=/f')).json;
  const pc = plan.chunks.find((c: { id: string }) => c.id === pid);
  assert.equal({ ...pc, inline: undefined }, { id: pid, size: 4096, offset: 20_000, locations: [], cap: '', inline: undefined });
  assert.equal(Buffer.from(pc.inline, 'base64'), patch);
  assert.ok(plan.chunks.find((c: { id: string }) => c.id === BIG).cap, 'the real chunk still has a capability');
  assert.is(t.c.store.isChunkReferenced(pid), false, 'GC and repair never look for it');
  assert.is(t.c.store.isChunkReferenced(BIG), true);
  assert.equal(t.c.store.referencedChunkLocations().map((c) => c.chunkId), [BIG]);
  // the next commit names it without its bytes and without receipts: it stays inline
  const again = await post('/v1/fs/commit', {
    path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }, { id: pid, size: 4096 }],
    extents: [{ off: 0, len: 100, chunk: 0, chunkOff: 0 }, { off: 100, len: 4096, chunk: 1, chunkOff: 0 }, { off: 4196, len: 15_804, chunk: 0, chunkOff: 4196 }], receipts: {}, mode: 0o600,
  });
  assert.is(again.status, 200, JSON.stringify(again.json));
  assert.is((await get('/v1/fs/read?path=/f')).json.chunks[1].inline, patch.toString('base64'));
  // stored on a chunkserver after all (receipts): a real chunk again, with its holder
  const real = await post('/v1/fs/commit', {
    path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }, { id: pid, size: 4096 }],
    extents: [{ off: 0, len: 100, chunk: 0, chunkOff: 0 }, { off: 100, len: 4096, chunk: 1, chunkOff: 0 }, { off: 4196, len: 15_804, chunk: 0, chunkOff: 4196 }],
    receipts: { [pid]: [t.receipt(pid, 'cs2', 4096)] },
  });
  assert.is(real.status, 200, JSON.stringify(real.json));
  const after = (await get('/v1/fs/read?path=/f')).json.chunks[1];
  assert.is(after.inline, undefined);
  assert.ok(after.cap);
  assert.is(t.c.store.isChunkReferenced(pid), true);
});

test('refused: bytes that do not hash to the id, wrong size, not a chunk of the commit, with receipts, in an inline file (400); over INLINE_MAX (413)', async () => {
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }], receipts: { [BIG]: [t.receipt(BIG, 'cs1', 20_000)] } })).status, 200);
  const patch = Buffer.alloc(4096, 7);
  const pid = idOf(patch);
  const cases: [Record<string, unknown>, number, string][] = [
    [{ inlineChunks: { [pid]: Buffer.alloc(4096, 8).toString('base64') } }, 400, 'hash'],
    [{ inlineChunks: { [pid]: Buffer.alloc(4095, 7).toString('base64') } }, 400, 'bytes'],
    [{ inlineChunks: { [pid]: 'not base64!' } }, 400, 'base64'],
    [{ inlineChunks: { [pid]: patch.toString('base64'), ['e'.repeat(64)]: 'aGk=' } }, 400, 'not a chunk of the commit'],
    [{ receipts: { [pid]: [t.receipt(pid, 'cs1', 4096)] } }, 400, 'receipts'],
  ];
  for (const [extra, status, words] of cases) {
    const res = await patchCommit(patch, extra);
    assert.is(res.status, status, JSON.stringify(res.json));
    assert.ok(res.json.message.includes(words), res.json.message);
  }
  const inlineFile = await post('/v1/fs/commit', { path: '/g', size: 2, chunks: [], receipts: {}, inline: 'aGk=', inlineChunks: { [pid]: patch.toString('base64') } });
  assert.is(inlineFile.status, 400);
  const tooBig = await patchCommit(Buffer.alloc(8193, 3));
  assert.is(tooBig.status, 413);
  assert.equal(tooBig.json.details, { inlineMax: 8192 });
  assert.is((await get('/v1/fs/read?path=/f')).json.chunks.length, 1, 'nothing committed');
});

test('the record keeps at most INLINE_MAX inline bytes (413); a chunk another version held inline needs its bytes or receipts (503)', async () => {
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }], receipts: { [BIG]: [t.receipt(BIG, 'cs1', 20_000)] } })).status, 200);
  const p1 = Buffer.alloc(5000, 1);
  assert.is((await patchCommit(p1)).status, 200);
  const p2 = Buffer.alloc(4000, 2);
  const id1 = idOf(p1);
  const id2 = idOf(p2);
  const both = {
    path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }, { id: id1, size: 5000 }, { id: id2, size: 4000 }],
    extents: [{ off: 0, len: 100, chunk: 0, chunkOff: 0 }, { off: 100, len: 5000, chunk: 1, chunkOff: 0 }, { off: 5100, len: 4000, chunk: 2, chunkOff: 0 }, { off: 9100, len: 10_900, chunk: 0, chunkOff: 9100 }],
    receipts: {}, inlineChunks: { [id2]: p2.toString('base64') },
  };
  const over = await post('/v1/fs/commit', both);
  assert.is(over.status, 413, '5000 kept + 4000 new > 8192');
  assert.equal(over.json.details, { inlineMax: 8192 });
  // another file cannot name the chunk /f holds inline without its bytes
  const borrow = await post('/v1/fs/commit', { path: '/other', size: 5000, chunks: [{ id: id1, size: 5000 }], receipts: {} });
  assert.is(borrow.status, 503);
  // once /f no longer holds it (overwritten by a real chunk), naming it without bytes is refused too
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }], receipts: {} })).status, 200);
  const stale = await post('/v1/fs/commit', { ...both, inlineChunks: undefined, chunks: both.chunks.slice(0, 2), extents: [{ off: 0, len: 100, chunk: 0, chunkOff: 0 }, { off: 100, len: 5000, chunk: 1, chunkOff: 0 }] });
  assert.is(stale.status, 503, JSON.stringify(stale.json));
});

test('a trashed version keeps its inline chunks and extents: its read plan reads the same bytes', async () => {
  assert.is((await post('/v1/fs/commit', { path: '/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }], receipts: { [BIG]: [t.receipt(BIG, 'cs1', 20_000)] } })).status, 200);
  const patch = Buffer.alloc(3000, 9);
  assert.is((await patchCommit(patch)).status, 200);
  const live = (await get('/v1/fs/read?path=/f')).json;
  assert.is((await post('/v1/fs/remove', { path: '/f' })).status, 200);
  const items = (await get('/v1/trash')).json.items;
  assert.is(items.length, 1);
  const trashed = (await get(`/v1/trash/read?id=${encodeURIComponent(items[0].id)}`)).json;
  assert.equal(trashed.extents, live.extents);
  assert.is(trashed.chunks[1].inline, patch.toString('base64'));
});

test('a snapshot keeps the inline chunks: its read plan has their bytes after the source changed; its records pass the peer schema', async () => {
  assert.is((await post('/v1/fs/commit', { path: '/d/f', size: 20_000, chunks: [{ id: BIG, size: 20_000 }], receipts: { [BIG]: [t.receipt(BIG, 'cs1', 20_000)] } })).status, 200);
  const patch = Buffer.alloc(2000, 4);
  assert.is((await patchCommit(patch, {}, '/d/f')).status, 200);
  assert.is((await post('/v1/snapshots/create', { path: '/d', name: 's1' })).status, 201);
  assert.is((await patchCommit(Buffer.alloc(2000, 5), {}, '/d/f')).status, 200);
  const res = await t.c.app.inject({ method: 'GET', url: '/v1/fs/read?path=/f', headers: { authorization: `Bearer ${token}`, 'x-redcloud-snapshot': 's1' } });
  const plan = JSON.parse(res.body);
  assert.is(res.statusCode, 200, res.body);
  assert.is(plan.chunks[1].inline, patch.toString('base64'));
  assert.equal(plan.chunks[1].locations, []);
  assert.is(t.c.store.isChunkReferenced(idOf(patch)), false, 'an inline chunk is no chunk reference, in a snapshot either');
  const all = t.c.store.recordsInBuckets(new Set(Array.from({ length: 4096 }, (_, i) => i)));
  const withInline = all.filter((r) => r.type === 'inode' && r.content.v.inlineChunks);
  assert.is(withInline.length, 2, 'the live file and its snapshot copy');
  for (const r of all) validateRecord(JSON.parse(JSON.stringify(r)));
});

test.run();
