/**
 * Heartbeats against fake controllers on 127.0.0.1 port 0: full inventory first, deltas after,
 * cluster-signed, controllers learned from answers and DNS, needInventory honoured, and a
 * controller that never answers does not delay the others.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HeartbeatRequest } from '../../../src/common/api.js';
import { silentLogger } from '../../../src/common/logger.js';
import { CLUSTER_AUTH_HEADER, verifyClusterCall } from '../../../src/common/cluster-auth.js';
import { createHeartbeat } from '../../../src/chunkserver/heartbeat.js';
import { createMemoryStore } from '../../../src/chunkserver/memory-store.js';
import { chunk, signer } from './helpers.js';

interface FakeController {
  app: FastifyInstance;
  url: string;
  beats: HeartbeatRequest[];
  answer: { controllers: string[]; needInventory: boolean };
}

async function fakeController(): Promise<FakeController> {
  const app = Fastify();
  const fc: FakeController = { app, url: '', beats: [], answer: { controllers: [], needInventory: false } };
  app.post('/internal/heartbeat', async (req) => {
    if (verifyClusterCall(signer, req.headers[CLUSTER_AUTH_HEADER], { method: req.method, path: req.url }, Date.now()).r !== 'chunkserver') throw new Error('not a chunkserver');
    fc.beats.push(req.body as HeartbeatRequest);
    return fc.answer;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  fc.url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return fc;
}

function options(peers: string[], extra: Partial<Parameters<typeof createHeartbeat>[0]['options']> = {}) {
  return {
    heartbeatIntervalMs: 3_600_000, fullInventoryIntervalMs: 3_600_000, controllerPeers: peers,
    controllerDns: '', controllerDnsPort: 8000, requestTimeoutMs: 2000, ...extra,
  };
}

test('full inventory first, then deltas; answers teach new controllers; needInventory honoured', async () => {
  const c1 = await fakeController();
  const c2 = await fakeController();
  const store = createMemoryStore({ quotaBytes: 1_000_000, minFreeBytes: 0 });
  const a = chunk(100);
  const b = chunk(200);
  await store.put(a.id, Readable.from([a.data]));
  const hb = createHeartbeat({
    options: options([c1.url.replace('http://', '')]), store, signer, nodeId: 'cs-1', url: () => 'http://127.0.1.5:9000',
    logger: silentLogger(), now: Date.now, shutdown: new AbortController().signal,
  });
  try {
    c1.answer.controllers = [c1.url, c2.url];
    await hb.tick();
    assert.equal(c1.beats[0], {
      id: 'cs-1', url: 'http://127.0.1.5:9000', capacityBytes: 1_000_000, freeBytes: 999_900, chunkCount: 1, full: false, usedBytes: 100, inventory: [a.id],
    });
    assert.equal(hb.controllers(), [c1.url, c2.url]);
    await store.put(b.id, Readable.from([b.data]));
    await hb.tick();
    assert.equal(c1.beats[1]!.added, [b.id]);
    assert.equal(c1.beats[1]!.removed, []);
    assert.is(c1.beats[1]!.inventory, undefined);
    assert.equal(c2.beats[0]!.inventory, [a.id, b.id]);
    c2.answer.needInventory = true;
    await store.delete(a.id);
    await hb.tick();
    assert.equal(c2.beats[1]!.removed, [a.id]);
    c2.answer.needInventory = false;
    await hb.tick();
    assert.equal(c2.beats[2]!.inventory, [b.id]);
    assert.equal(c1.beats[3]!.added, []);
  } finally {
    await hb.stop();
    await c1.app.close();
    await c2.app.close();
  }
});

test('heartbeats carry the disk report; a controller whose closed schema refuses it (INVALID) gets plain heartbeats', async () => {
  const modern = await fakeController();
  const old = Fastify();
  const oldBeats: HeartbeatRequest[] = [];
  old.post('/internal/heartbeat', async (req, reply) => {
    const body = req.body as HeartbeatRequest;
    if ('disk' in body || 'usedBytes' in body) return reply.code(400).send({ code: 'INVALID', message: 'body must NOT have additional properties' });
    oldBeats.push(body);
    return { controllers: [], needInventory: false };
  });
  await old.listen({ host: '127.0.0.1', port: 0 });
  const oldUrl = `http://127.0.0.1:${(old.server.address() as { port: number }).port}`;
  const store = createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 });
  const disk = { id: '0123456789abcdef', totalBytes: 10_000, availBytes: 4_000 };
  let diskFails = false;
  const hb = createHeartbeat({
    options: options([modern.url, oldUrl]), store, signer, nodeId: 'cs-1', url: () => 'http://127.0.1.5:9000',
    logger: silentLogger(), now: Date.now, shutdown: new AbortController().signal,
    diskReport: async () => {
      if (diskFails) throw new Error('EACCES');
      return disk;
    },
  });
  try {
    await hb.tick();
    assert.equal(modern.beats[0]!.disk, disk);
    assert.is(modern.beats[0]!.usedBytes, 0);
    assert.is(oldBeats.length, 0);
    await hb.tick();
    assert.is(oldBeats.length, 1, 'the old controller gets a heartbeat without the new fields');
    assert.is(oldBeats[0]!.inventory?.length, 0);
    diskFails = true;
    await hb.tick();
    assert.is(modern.beats[2]!.disk, undefined, 'no stale disk report when it cannot be read');
    assert.is(modern.beats[2]!.usedBytes, 0);
  } finally {
    await hb.stop();
    await modern.app.close();
    await old.close();
  }
});

test('DNS A records become controllers; DNS failures are not fatal', async () => {
  const c1 = await fakeController();
  const port = Number(new URL(c1.url).port);
  const store = createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 });
  let fail = true;
  const hb = createHeartbeat({
    options: options([], { controllerDns: 'controller', controllerDnsPort: port, heartbeatIntervalMs: 10 }),
    store, signer, nodeId: 'cs-1', url: () => 'http://127.0.1.5:9000', logger: silentLogger(), now: (() => { let t = Date.now(); return () => (t += 5000); })(),
    shutdown: new AbortController().signal,
    resolve4: async () => {
      if (fail) throw Object.assign(new Error('queryA ENOTFOUND controller'), { code: 'ENOTFOUND' });
      return ['127.0.0.1'];
    },
  });
  try {
    await hb.tick();
    assert.equal(hb.controllers(), []);
    fail = false;
    await hb.tick();
    assert.equal(hb.controllers(), [c1.url]);
    assert.is(c1.beats.length, 1);
  } finally {
    await hb.stop();
    await c1.app.close();
  }
});

test('a controller that never answers does not delay the others', async () => {
  const c1 = await fakeController();
  const { createServer } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const hang = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const hangUrl = `127.0.0.1:${(hang.address() as { port: number }).port}`;
  const store = createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 });
  const shutdown = new AbortController();
  const hb = createHeartbeat({
    options: options([hangUrl, c1.url], { heartbeatIntervalMs: 20, requestTimeoutMs: 60_000 }), store, signer, nodeId: 'cs-1',
    url: () => 'http://127.0.1.5:9000', logger: silentLogger(), now: Date.now, shutdown: shutdown.signal,
  });
  try {
    hb.start();
    const deadline = Date.now() + 5000;
    while (c1.beats.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(c1.beats.length >= 3, `only ${c1.beats.length} heartbeats reached the live controller`);
  } finally {
    shutdown.abort();
    await hb.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => hang.close(r));
    await c1.app.close();
  }
});

test.run();
