// Proof of possession for deduplicated chunks: a write capability lets its holder HEAD a chunk and
// get a receipt without sending the bytes only for chunks the user's own files already reference;
// anyone else (knowing the id is not enough) gets a capability marked nd=1, the chunkserver refuses
// its HEAD (403, before looking: existence is not told), and the user has to PUT the bytes, which are verified against the id.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issueCapability, type CapabilityClaims } from '../../../src/common/tokens.js';
import { chunkId, makeController, type TestController } from '../controller/helpers.js';
import { chunk, makeServer, removeDir, signer as csSigner, tempDir, NOW } from '../chunkserver/helpers.js';

let t: TestController;
test.before.each(async () => { t = await makeController(); });
test.after.each(async () => { await t.close(); });

const claimsOf = (cap: string): CapabilityClaims => JSON.parse(Buffer.from(cap.split('.')[0]!, 'base64url').toString('utf8')) as CapabilityClaims;

test('placement: nd=1 unless the user\'s own files reference the chunk', async () => {
  const alice = await t.login('alice');
  const bob = await t.login('bob');
  await t.internal('/internal/heartbeat', { id: 'cs1', url: 'http://127.0.2.9:9000', capacityBytes: 1000, freeBytes: 500, chunkCount: 0, full: false, inventory: [] });
  const x = chunkId(42);
  const fresh = chunkId(43);
  const commit = await t.call('POST', '/v1/fs/commit', { path: '/a/x.bin', size: 10, chunks: [{ id: x, size: 10 }], receipts: { [x]: [t.receipt(x, 'cs1', 10)] } }, alice);
  assert.is(commit.status, 200);
  const place = async (token: string) => {
    const res = await t.call('POST', '/v1/fs/placement', { chunks: [{ id: x, size: 10 }, { id: fresh, size: 10 }] }, token);
    assert.is(res.status, 200);
    return res.json.chunks.map((c: { cap: string }) => claimsOf(c.cap).nd);
  };
  assert.equal(await place(alice), [undefined, 1], 'alice may dedup her own chunk, not an unknown one');
  assert.equal(await place(bob), [1, 1], 'bob may not claim alice\'s chunk by its id');
});

test('chunkserver: HEAD with an nd=1 write capability gives no receipt; PUT of the real bytes does', async () => {
  const dir = await tempDir();
  const cs = await makeServer(dir);
  try {
    const { id, data } = chunk(1000);
    const put = await cs.app.inject({ method: 'PUT', url: `/chunks/${id}`, headers: { 'x-redcloud-cap': issueCapability(csSigner, id, 'w', NOW, 60_000), 'content-type': 'application/octet-stream' }, payload: data });
    assert.ok(put.statusCode === 201 || put.statusCode === 200);
    const head = (cap: string) => cs.app.inject({ method: 'HEAD', url: `/chunks/${id}`, headers: { 'x-redcloud-cap': cap } });
    const dedup = await head(issueCapability(csSigner, id, 'w', NOW, 60_000));
    assert.is(dedup.statusCode, 200);
    assert.ok(dedup.headers['x-redcloud-receipt'], 'own chunk: HEAD gives a receipt');
    const strict = await head(issueCapability(csSigner, id, 'w', NOW, 60_000, { noDedup: true }));
    assert.is(strict.statusCode, 403, 'nd=1: HEAD refused, whether or not the chunk is here');
    assert.is(strict.headers['x-redcloud-receipt'], undefined, 'nd=1: no receipt without the bytes');
    const garbage = await cs.app.inject({ method: 'PUT', url: `/chunks/${id}`, headers: { 'x-redcloud-cap': issueCapability(csSigner, id, 'w', NOW, 60_000, { noDedup: true }), 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(1000) });
    assert.is(garbage.statusCode, 422, 'bytes that do not hash to the id get no receipt');
    const real = await cs.app.inject({ method: 'PUT', url: `/chunks/${id}`, headers: { 'x-redcloud-cap': issueCapability(csSigner, id, 'w', NOW, 60_000, { noDedup: true }), 'content-type': 'application/octet-stream' }, payload: data });
    assert.is(real.statusCode, 201, 'nd=1: the same answer as for a chunk that was not here');
    assert.ok(real.json().receipt, 'the real bytes: a receipt');
  } finally {
    await cs.stop();
    await removeDir(dir);
  }
});

test.run();
