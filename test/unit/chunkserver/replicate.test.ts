/**
 * Replication between two in-process chunkservers listening on 127.0.0.1 port 0: the target pulls
 * from the first source that works (a dead one is skipped), verifies, answers with a receipt;
 * a copy of a chunk it already has is a no-op; bad bytes from a source are not kept; the
 * in-flight bound answers 429.
 */
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openReceipt } from '../../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, signClusterCall } from '../../../src/common/cluster-auth.js';
import { createMemoryStore } from '../../../src/chunkserver/memory-store.js';
import { createChunkserver } from '../../../src/chunkserver/server.js';
import { silentLogger } from '../../../src/common/logger.js';
import { chunk, removeDir, signer, tempDir, testConfig } from './helpers.js';

async function startPair() {
  const dirA = await tempDir();
  const dirB = await tempDir();
  const mk = (dir: string, nodeId: string) => createChunkserver({ config: testConfig(dir), nodeId, logger: silentLogger() });
  const a = mk(dirA, 'cs-a');
  const b = mk(dirB, 'cs-b');
  await a.start({ background: false });
  await b.start({ background: false });
  return {
    a, b,
    async stop() {
      await a.stop();
      await b.stop();
      await removeDir(dirA);
      await removeDir(dirB);
    },
  };
}

const replicate = (cs: { app: { inject: Function } }, body: unknown) => (cs.app.inject as (o: unknown) => Promise<{ statusCode: number; json(): any }>)({
  method: 'POST', url: '/internal/replicate', headers: { [CLUSTER_AUTH_HEADER]: signClusterCall(signer, 'controller', 'ctl', { method: 'POST', path: '/internal/replicate', body: JSON.stringify(body) }, Date.now()) }, payload: body,
});

test('pulls a chunk from the first working source and verifies it', async () => {
  const pair = await startPair();
  try {
    const c = chunk(300_000);
    await pair.a.store.put(c.id, Readable.from([c.data]));
    const res = await replicate(pair.b, {
      chunkId: c.id,
      sources: [{ id: 'dead', url: 'http://127.0.0.1:1' }, { id: 'cs-a', url: pair.a.url() }],
    });
    assert.is(res.statusCode, 200);
    const body = res.json();
    assert.equal({ id: body.id, size: body.size, created: body.created }, { id: c.id, size: 300_000, created: true });
    assert.equal(openReceipt(signer, body.receipt, c.id), { c: c.id, s: 'cs-b', n: 300_000 });
    assert.is(await pair.b.store.verify(c.id), true);
    const again = await replicate(pair.b, { chunkId: c.id, sources: [{ id: 'cs-a', url: pair.a.url() }] });
    assert.is(again.statusCode, 200);
    assert.is(again.json().created, false);
  } finally {
    await pair.stop();
  }
});

test('no source has it → 503 UNAVAILABLE and nothing stored', async () => {
  const pair = await startPair();
  try {
    const c = chunk(1000);
    const res = await replicate(pair.b, { chunkId: c.id, sources: [{ id: 'cs-a', url: pair.a.url() }] });
    assert.is(res.statusCode, 503);
    assert.is(res.json().code, 'UNAVAILABLE');
    assert.equal(pair.b.store.list(), []);
  } finally {
    await pair.stop();
  }
});

test('a source serving wrong bytes is not kept; the next source is used', async () => {
  const dirs = [await tempDir(), await tempDir(), await tempDir()];
  const liar = createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 });
  const mk = (i: number, nodeId: string, store?: ReturnType<typeof createMemoryStore>) =>
    createChunkserver({ config: testConfig(dirs[i]!), nodeId, logger: silentLogger(), store });
  const bad = mk(0, 'cs-bad', liar);
  const good = mk(1, 'cs-good');
  const target = mk(2, 'cs-target');
  try {
    for (const cs of [bad, good, target]) await cs.start({ background: false });
    const c = chunk(5000);
    await liar.put(c.id, Readable.from([c.data]));
    liar.corrupt(c.id);
    await good.store.put(c.id, Readable.from([c.data]));
    const res = await replicate(target, { chunkId: c.id, sources: [{ id: 'cs-bad', url: bad.url() }, { id: 'cs-good', url: good.url() }] });
    assert.is(res.statusCode, 200);
    assert.is(await target.store.verify(c.id), true);
  } finally {
    for (const cs of [bad, good, target]) await cs.stop();
    for (const d of dirs) await removeDir(d);
  }
});

test('beyond REPLICATION_INFLIGHT_MAX → THROTTLED', async () => {
  const dir = await tempDir();
  const store = createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 });
  const cs = createChunkserver({ config: testConfig(dir, { REPLICATION_INFLIGHT_MAX: '1' }), nodeId: 'cs-t', logger: silentLogger(), store });
  await cs.ready();
  try {
    const c1 = chunk(10);
    const c2 = chunk(10);
    // a source that accepts the connection and never answers keeps the first copy in flight
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const hang = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const port = (hang.address() as { port: number }).port;
    const first = cs.replicator.replicate(c1.id, [{ id: 'hang', url: `http://127.0.0.1:${port}` }]).catch((e: unknown) => e);
    const res = await replicate(cs, { chunkId: c2.id, sources: [{ id: 'hang', url: `http://127.0.0.1:${port}` }] });
    assert.is(res.statusCode, 429);
    assert.is(res.json().code, 'THROTTLED');
    await cs.stop();
    const e = (await first) as { code?: string };
    assert.is(e.code, 'ABORTED');
    for (const s of sockets) s.destroy();
    await new Promise((r) => hang.close(r));
  } finally {
    await removeDir(dir);
  }
});

test.run();
