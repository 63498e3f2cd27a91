/**
 * The chunk routes of block-verified chunks through fastify inject: a PUT naming its format keeps
 * the block list, GET /chunks/:id/blocks serves it (a read capability is needed), a Range GET
 * serves exactly the bytes asked to a verifying reader (206) and is refused to others, a GET
 * names the stored format (the replicator's hint), a v1 chunk answers format sha256 with no list,
 * and an unknown format is refused; parseRange's forms.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CAP_HEADER, CLIENT_VERIFIES_HEADER } from '../../../src/common/api.js';
import { CHUNK_FORMAT_HEADER, BLOCK_BYTES, blockHashesOf, chunkIdOf } from '../../../src/common/chunk-format.js';
import { CLUSTER_AUTH_HEADER, signClusterCall } from '../../../src/common/cluster-auth.js';
import type { Chunkserver } from '../../../src/chunkserver/server.js';
import { parseRange } from '../../../src/chunkserver/routes-chunks.js';
import { cap, chunk as v1Chunk, makeServer, NOW, removeDir, signer, tempDir } from './helpers.js';

const s = suite<{ dir: string; cs: Chunkserver }>('chunk routes (blocks)', { dir: '', cs: undefined as never });
s.before.each(async (ctx) => {
  ctx.dir = await tempDir();
  ctx.cs = await makeServer(ctx.dir);
});
s.after.each(async (ctx) => {
  await ctx.cs.stop();
  await removeDir(ctx.dir);
});

const octet = { 'content-type': 'application/octet-stream' };

async function putTree(cs: Chunkserver, size: number) {
  const data = randomBytes(size);
  const id = chunkIdOf('b3-64k', data);
  const put = await cs.app.inject({ method: 'PUT', url: `/chunks/${id}`, headers: { ...octet, [CAP_HEADER]: cap(id, 'w'), [CHUNK_FORMAT_HEADER]: 'b3-64k' }, payload: data });
  assert.is(put.statusCode, 201, put.body);
  return { id, data };
}

s('a tree chunk: its block list, Range reads for verifying readers, the format on every GET', async ({ cs }) => {
  const { id, data } = await putTree(cs, 3 * BLOCK_BYTES + 10);
  const list = await cs.app.inject({ method: 'GET', url: `/chunks/${id}/blocks`, headers: { [CAP_HEADER]: cap(id, 'r') } });
  assert.is(list.statusCode, 200);
  assert.is(list.headers[CHUNK_FORMAT_HEADER], 'b3-64k');
  assert.ok(list.rawPayload.equals(blockHashesOf('b3-64k', data)));
  assert.is((await cs.app.inject({ method: 'GET', url: `/chunks/${id}/blocks` })).statusCode, 403, 'no capability, no list');
  assert.is((await cs.app.inject({ method: 'GET', url: `/chunks/${id}/blocks`, headers: { [CAP_HEADER]: cap(id, 'w') } })).statusCode, 403, 'a write capability does not read');

  const range = await cs.app.inject({
    method: 'GET', url: `/chunks/${id}`, headers: { [CAP_HEADER]: cap(id, 'r'), [CLIENT_VERIFIES_HEADER]: '1', range: `bytes=${BLOCK_BYTES}-${2 * BLOCK_BYTES - 1}` },
  });
  assert.is(range.statusCode, 206);
  assert.is(range.headers['content-range'], `bytes ${BLOCK_BYTES}-${2 * BLOCK_BYTES - 1}/${data.length}`);
  assert.ok(range.rawPayload.equals(data.subarray(BLOCK_BYTES, 2 * BLOCK_BYTES)));
  const tail = await cs.app.inject({ method: 'GET', url: `/chunks/${id}`, headers: { [CAP_HEADER]: cap(id, 'r'), [CLIENT_VERIFIES_HEADER]: '1', range: 'bytes=-10' } });
  assert.ok(tail.rawPayload.equals(data.subarray(data.length - 10)));

  const unverified = await cs.app.inject({ method: 'GET', url: `/chunks/${id}`, headers: { [CAP_HEADER]: cap(id, 'r'), range: 'bytes=0-9' } });
  assert.is(unverified.statusCode, 400, 'a range only for readers that check its blocks');
  const whole = await cs.app.inject({ method: 'GET', url: `/chunks/${id}`, headers: { [CAP_HEADER]: cap(id, 'r') } });
  assert.is(whole.statusCode, 200);
  assert.is(whole.headers[CHUNK_FORMAT_HEADER], 'b3-64k');
  assert.ok(whole.rawPayload.equals(data), 'served whole, verified by the chunkserver in its format');
  const copy = `/chunks/${id}`;
  const byPeer = await cs.app.inject({ method: 'GET', url: copy, headers: { [CLUSTER_AUTH_HEADER]: signClusterCall(signer, 'chunkserver', 'n1', { method: 'GET', path: copy }, NOW) } });
  assert.is(byPeer.headers[CHUNK_FORMAT_HEADER], 'b3-64k', 'a replicating peer learns the format');
  for (const bad of ['bytes=5-2', `bytes=${data.length}-`, 'bytes=0-1,4-5', 'items=0-1']) {
    const r = await cs.app.inject({ method: 'GET', url: `/chunks/${id}`, headers: { [CAP_HEADER]: cap(id, 'r'), [CLIENT_VERIFIES_HEADER]: '1', range: bad } });
    assert.is(r.statusCode, 400, bad);
  }
});

s('a v1 chunk: format sha256 and no block list; a PUT naming an unknown format or the wrong one is refused', async ({ cs }) => {
  const c = v1Chunk(5000);
  assert.is((await cs.app.inject({ method: 'PUT', url: `/chunks/${c.id}`, headers: { ...octet, [CAP_HEADER]: cap(c.id, 'w') }, payload: c.data })).statusCode, 201);
  const list = await cs.app.inject({ method: 'GET', url: `/chunks/${c.id}/blocks`, headers: { [CAP_HEADER]: cap(c.id, 'r') } });
  assert.is(list.headers[CHUNK_FORMAT_HEADER], 'sha256');
  assert.is(list.rawPayload.length, 0);
  const d = randomBytes(100);
  const id = chunkIdOf('b3-64k', d);
  const unknown = await cs.app.inject({ method: 'PUT', url: `/chunks/${id}`, headers: { ...octet, [CAP_HEADER]: cap(id, 'w'), [CHUNK_FORMAT_HEADER]: 'md5' }, payload: d });
  assert.is(unknown.statusCode, 400);
  const wrong = await cs.app.inject({ method: 'PUT', url: `/chunks/${id}`, headers: { ...octet, [CAP_HEADER]: cap(id, 'w'), [CHUNK_FORMAT_HEADER]: 's256-64k' }, payload: d });
  assert.is(wrong.statusCode, 422);
  assert.is((await cs.app.inject({ method: 'GET', url: `/chunks/${id}/blocks`, headers: { [CAP_HEADER]: cap(id, 'r') } })).statusCode, 404);
});

s('parseRange: one range in its three forms, clamped to the chunk', () => {
  assert.is(parseRange(undefined, 100), undefined);
  assert.equal(parseRange('bytes=10-19', 100), { start: 10, end: 20 });
  assert.equal(parseRange('bytes=90-', 100), { start: 90, end: 100 });
  assert.equal(parseRange('bytes=-30', 100), { start: 70, end: 100 });
  assert.equal(parseRange('bytes=95-500', 100), { start: 95, end: 100 });
  for (const bad of ['bytes=-', 'bytes=100-', 'bytes=a-b', 'bytes=1-2,3-4']) assert.throws(() => parseRange(bad, 100), bad);
});

s.run();
