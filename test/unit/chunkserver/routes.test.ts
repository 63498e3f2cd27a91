/**
 * The chunk routes through fastify inject: round trip with capabilities, receipts, HEAD, 422 with
 * nothing left on disk, every kind of bad capability → 403, quota → 507, idempotent PUT, cluster
 * auth for GET/DELETE, invalid ids → 400, and /health.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CAP_HEADER, CLIENT_VERIFIES_HEADER, RECEIPT_HEADER } from '../../../src/common/api.js';
import { issueCapability, openReceipt, Signer } from '../../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, type ClusterRole, signClusterCall } from '../../../src/common/cluster-auth.js';

const signed = (s: Signer, role: ClusterRole, method: string, path: string, body?: unknown): Record<string, string> =>
  ({ [CLUSTER_AUTH_HEADER]: signClusterCall(s, role, 'n1', { method, path, body: body === undefined ? undefined : JSON.stringify(body) }, NOW) });
import type { Chunkserver } from '../../../src/chunkserver/server.js';
import { cap, chunk, filesUnder, makeServer, NOW, removeDir, signer, tempDir } from './helpers.js';

const s = suite<{ dir: string; cs: Chunkserver }>('chunk routes', { dir: '', cs: undefined as never });
s.before.each(async (ctx) => {
  ctx.dir = await tempDir();
  ctx.cs = await makeServer(ctx.dir, { env: { CAPACITY_BYTES: '100000' } });
});
s.after.each(async (ctx) => {
  await ctx.cs.stop();
  await removeDir(ctx.dir);
});

const octet = { 'content-type': 'application/octet-stream' };

s('PUT, HEAD, GET, DELETE round trip with valid capabilities', async ({ cs, dir }) => {
  const c = chunk(50_000);
  const put = await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: c.data });
  assert.is(put.statusCode, 201);
  const body = put.json();
  assert.equal({ id: body.id, size: body.size, created: body.created }, { id: c.id, size: 50_000, created: true });
  assert.is(put.headers[RECEIPT_HEADER], body.receipt);
  assert.equal(openReceipt(signer, body.receipt, c.id), { c: c.id, s: 'cs-test', n: 50_000 });
  assert.equal(await filesUnder(dir), [`chunks/${c.id.slice(0, 2)}/${c.id}`]);

  const headW = await cs.app.inject({ method: 'HEAD', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'w') } });
  assert.is(headW.statusCode, 200);
  assert.is(headW.headers['content-length'], '50000');
  assert.equal(openReceipt(signer, headW.headers[RECEIPT_HEADER], c.id), { c: c.id, s: 'cs-test', n: 50_000 });
  const headR = await cs.app.inject({ method: 'HEAD', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'r') } });
  assert.is(headR.statusCode, 200);
  assert.is(headR.headers[RECEIPT_HEADER], undefined);

  const get = await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'r') } });
  assert.is(get.statusCode, 200);
  assert.is(get.headers['content-length'], '50000');
  assert.ok(get.rawPayload.equals(c.data));

  const del = await cs.app.inject({ method: 'DELETE', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'd') } });
  assert.is(del.statusCode, 204);
  assert.equal(await filesUnder(dir), []);
  const gone = await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'r') } });
  assert.is(gone.statusCode, 404);
  assert.is(gone.json().code, 'NOT_FOUND');
  const headGone = await cs.app.inject({ method: 'HEAD', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'w') } });
  assert.is(headGone.statusCode, 404);
});

s('PUT of bytes that do not hash to the id → 422 and no file left in chunks/ or tmp/', async ({ cs, dir }) => {
  const c = chunk(30_000);
  const wrong = chunk(30_000);
  const res = await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: wrong.data });
  assert.is(res.statusCode, 422);
  assert.is(res.json().code, 'INTEGRITY');
  assert.equal(await filesUnder(dir), []);
  assert.is(cs.store.usage().chunkCount, 0);
});

s('a second PUT is idempotent: 200 with created false and a receipt', async ({ cs }) => {
  const c = chunk(1000);
  const h = { ...octet, [CAP_HEADER]: cap(c.id, 'w') };
  assert.is((await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: h, payload: c.data })).statusCode, 201);
  const again = await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: h, payload: c.data });
  assert.is(again.statusCode, 200);
  assert.is(again.json().created, false);
  assert.ok(openReceipt(signer, again.headers[RECEIPT_HEADER], c.id));
  assert.is(cs.store.usage().chunkCount, 1);
});

s('missing, forged, expired, wrong-op and other-chunk capabilities → 403, nothing stored', async ({ cs, dir }) => {
  const c = chunk(1000);
  const other = chunk(10);
  const forged = new Signer('another-secret');
  const cases: [string, string | undefined][] = [
    ['missing', undefined],
    ['garbage', 'not-a-token'],
    ['forged', issueCapability(forged, c.id, 'w', NOW, 60_000)],
    ['expired', cap(c.id, 'w', NOW - 120_000, 60_000)],
    ['wrong op', cap(c.id, 'r')],
    ['other chunk', cap(other.id, 'w')],
  ];
  for (const [what, capability] of cases) {
    const headers: Record<string, string> = { ...octet };
    if (capability !== undefined) headers[CAP_HEADER] = capability;
    const res = await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers, payload: c.data });
    assert.is(res.statusCode, 403, what);
    assert.is(res.json().code, 'FORBIDDEN', what);
  }
  assert.equal(await filesUnder(dir), []);
  await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: c.data });
  for (const [op, method] of [['w', 'GET'], ['d', 'GET'], ['r', 'DELETE'], ['w', 'DELETE'], ['d', 'HEAD']] as const) {
    const res = await cs.app.inject({ method, url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, op) } });
    assert.is(res.statusCode, 403, `${method} with op ${op}`);
  }
  const expiredGet = await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'r', NOW - 60_000, 60_000) } });
  assert.is(expiredGet.statusCode, 403);
  assert.ok(cs.store.has(c.id));
});

s('GET and DELETE accept cluster auth; PUT does not; a bad cluster signature → 401', async ({ cs }) => {
  const c = chunk(500);
  await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: c.data });
  const put = await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, ...signed(signer, 'controller', 'PUT', `/chunks/${c.id}`) }, payload: c.data });
  assert.is(put.statusCode, 403);
  const get = await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}`, headers: signed(signer, 'chunkserver', 'GET', `/chunks/${c.id}`) });
  assert.is(get.statusCode, 200);
  assert.ok(get.rawPayload.equals(c.data));
  const bad = await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}`, headers: signed(new Signer('x'), 'chunkserver', 'GET', `/chunks/${c.id}`) });
  assert.is(bad.statusCode, 401);
  const delByChunkserver = await cs.app.inject({ method: 'DELETE', url: `/chunks/${c.id}`, headers: signed(signer, 'chunkserver', 'DELETE', `/chunks/${c.id}`) });
  assert.is(delByChunkserver.statusCode, 401, 'a chunkserver may not delete chunks elsewhere');
  const del = await cs.app.inject({ method: 'DELETE', url: `/chunks/${c.id}`, headers: signed(signer, 'controller', 'DELETE', `/chunks/${c.id}`) });
  assert.is(del.statusCode, 204);
  assert.not.ok(cs.store.has(c.id));
});

s('invalid ids → 400 INVALID', async ({ cs }) => {
  for (const id of ['abc', 'A'.repeat(64), `${'a'.repeat(63)}g`, '..%2f..%2fetc']) {
    const res = await cs.app.inject({ method: 'GET', url: `/chunks/${id}`, headers: { [CAP_HEADER]: cap(id, 'r') } });
    assert.is(res.statusCode, 400, id);
    assert.is(res.json().code, 'INVALID');
  }
});

s('quota: a PUT that would exceed CAPACITY_BYTES → 507, stored chunks undamaged', async ({ cs, dir }) => {
  const a = chunk(60_000);
  const b = chunk(60_000);
  assert.is((await cs.app.inject({ method: 'PUT', url: `/chunks/${a.id}`, headers: { ...octet, [CAP_HEADER]: cap(a.id, 'w') }, payload: a.data })).statusCode, 201);
  const res = await cs.app.inject({ method: 'PUT', url: `/chunks/${b.id}`, headers: { ...octet, [CAP_HEADER]: cap(b.id, 'w') }, payload: b.data });
  assert.is(res.statusCode, 507);
  assert.is(res.json().code, 'NO_SPACE');
  assert.equal(await filesUnder(dir), [`chunks/${a.id.slice(0, 2)}/${a.id}`]);
  assert.is(await cs.store.verify(a.id), true);
  const health = (await cs.app.inject({ method: 'GET', url: '/health' })).json();
  assert.equal(health, {
    status: 'ok', node: 'cs-test', role: 'chunkserver', url: cs.url(), chunkCount: 1, usedBytes: 60_000, capacityBytes: 100_000, freeBytes: 40_000, full: true, putsInFlight: 0, // a 60 000-byte chunk no longer fits
  });
});

s('PUT without a content type still streams', async ({ cs }) => {
  const c = chunk(2000);
  const res = await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'w'), 'content-type': 'text/plain' }, payload: c.data });
  assert.is(res.statusCode, 201);
});

s('internal routes need cluster auth; inventory lists the chunks', async ({ cs }) => {
  const c = chunk(300);
  await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: c.data });
  const refused = await cs.app.inject({ method: 'GET', url: '/internal/inventory' });
  assert.is(refused.statusCode, 401);
  const inv = await cs.app.inject({ method: 'GET', url: '/internal/inventory', headers: signed(signer, 'controller', 'GET', '/internal/inventory') });
  assert.equal(inv.json(), { chunks: [c.id] });
  const badBody = await cs.app.inject({
    method: 'POST', url: '/internal/replicate', headers: signed(signer, 'controller', 'POST', '/internal/replicate', { chunkId: 'nope', sources: [] }), payload: { chunkId: 'nope', sources: [] },
  });
  assert.is(badBody.statusCode, 400);
});

s('POST /internal/verify re-hashes a chunk: intact → ok, flipped byte → quarantined; readers that verify get bytes unhashed', async ({ cs, dir }) => {
  const c = chunk(4000);
  await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: c.data });
  const verify = () => cs.app.inject({ method: 'POST', url: '/internal/verify', headers: signed(signer, 'controller', 'POST', '/internal/verify', { chunkId: c.id }), payload: { chunkId: c.id } });
  assert.equal((await verify()).json(), { ok: true });
  const file = join(dir, 'chunks', c.id.slice(0, 2), c.id);
  const bytes = await readFile(file);
  bytes[100] = bytes[100]! ^ 0xff;
  await writeFile(file, bytes);
  const served = await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'r'), [CLIENT_VERIFIES_HEADER]: '1' } });
  assert.is(served.statusCode, 200);
  assert.ok(served.rawPayload.equals(bytes), 'a verifying reader gets the bytes as stored (and checks them itself)');
  assert.equal((await verify()).json(), { ok: false });
  assert.equal(await filesUnder(dir), [], 'the corrupt copy is gone');
  assert.is((await verify()).statusCode, 404);
});

s('metrics count puts, gets and bytes', async ({ cs }) => {
  const c = chunk(700);
  await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: c.data });
  await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: cap(c.id, 'r') } });
  const text = (await cs.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(text, /redcloud_chunkserver_puts_total\{result="created",node="cs-test",role="chunkserver"\} 1/);
  assert.match(text, /redcloud_chunkserver_gets_total\{result="ok",node="cs-test",role="chunkserver"\} 1/);
  assert.match(text, /redcloud_chunkserver_bytes_in_total\{node="cs-test",role="chunkserver"\} 700/);
  assert.match(text, /redcloud_chunkserver_chunks_stored\{node="cs-test",role="chunkserver"\} 1/);
});

s('an upload cut off mid-body leaves no file behind', async ({ cs, dir }) => {
  const { port } = await cs.start({ background: false });
  {
    const c = chunk(80_000); // under the suite's CAPACITY_BYTES, or the PUT is refused (507) before any write
    const { connect } = await import('node:net');
    const sock = connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`PUT /chunks/${c.id} HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: ${c.data.length}\r\n${CAP_HEADER}: ${cap(c.id, 'w')}\r\n\r\n`);
    sock.write(c.data.subarray(0, 40_000));
    const metricsText = async () => (await cs.app.inject({ method: 'GET', url: '/metrics' })).body;
    // Cut it off only once the server is writing it: then "no file behind" means the temp file was removed.
    const tempFiles = async () => (await filesUnder(dir)).filter((f) => f.startsWith('tmp/'));
    for (let i = 0; i < 2000 && (await tempFiles()).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await tempFiles()).length, 1, 'the partial upload is being written to a temp file');
    sock.destroy();
    for (let i = 0; i < 400 && !/redcloud_chunkserver_puts_total\{result="(?!created)/.test(await metricsText()); i++) await new Promise((r) => setTimeout(r, 5));
    assert.match(await metricsText(), /redcloud_chunkserver_puts_total\{result="(?!created)/);
    assert.equal(await filesUnder(dir), []);
    assert.is(cs.store.has(c.id), false);
  }
});

s('a no-dedup write capability learns nothing about whether the chunk is stored: HEAD 403 and PUT 201 either way', async ({ cs }) => {
  const stored = chunk(2000);
  const absent = chunk(2000);
  const ndCap = (id: string) => issueCapability(signer, id, 'w', NOW, 60_000, { noDedup: true });
  assert.is((await cs.app.inject({ method: 'PUT', url: `/chunks/${stored.id}`, headers: { ...octet, [CAP_HEADER]: cap(stored.id, 'w') }, payload: stored.data })).statusCode, 201);
  const answers = [];
  for (const c of [stored, absent]) {
    const head = await cs.app.inject({ method: 'HEAD', url: `/chunks/${c.id}`, headers: { [CAP_HEADER]: ndCap(c.id) } });
    const put = await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: ndCap(c.id) }, payload: c.data });
    const body = put.json();
    assert.ok(openReceipt(signer, body.receipt, c.id), 'the bytes earn a receipt');
    answers.push({ head: head.statusCode, headLength: head.headers['content-length'], put: put.statusCode, created: body.created, size: body.size });
  }
  assert.equal(answers[0], answers[1], 'same answers for a stored and an absent chunk');
  assert.is(answers[0]!.head, 403);
  assert.is(answers[0]!.put, 201);
  const wrong = await cs.app.inject({ method: 'PUT', url: `/chunks/${stored.id}`, headers: { ...octet, [CAP_HEADER]: ndCap(stored.id) }, payload: absent.data });
  assert.is(wrong.statusCode, 422, 'bytes that are not the chunk earn nothing');
  assert.is(cs.store.usage().chunkCount, 2);
});

s.run();
