// Heartbeats, placement, read plans, failure detection, bad-replica reports, status and metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { issueCapability, verifyCapability } from '../../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, verifyClusterCall } from '../../../src/common/cluster-auth.js';
import { PLACEMENT_WAIT_HEADER } from '../../../src/common/api.js';
import { chunkId, makeController, type TestController } from './helpers.js';

let t: TestController;
let token: string;
test.before.each(async () => {
  t = await makeController({ HEARTBEAT_TIMEOUT: '30s' });
  token = await t.login();
});
test.after.each(async () => { await t.close(); });

const hb = (id: string, extra: Record<string, unknown> = {}) =>
  t.internal('/internal/heartbeat', { id, url: `http://127.0.2.${id.slice(-1)}:9000`, capacityBytes: 1000, freeBytes: 500, chunkCount: 0, full: false, ...extra });

test('internal routes need the cluster signature', async () => {
  const res = await t.call('POST', '/internal/heartbeat', { id: 'cs1', url: 'http://x:1', capacityBytes: 1, freeBytes: 1, chunkCount: 0, full: false });
  assert.is(res.status, 401);
});

test('heartbeat asks for an inventory until it gets one; placement uses healthy servers', async () => {
  assert.equal((await hb('cs1')).json, { controllers: ['http://127.0.2.1:0'], needInventory: true });
  assert.is((await hb('cs1', { inventory: [] })).json.needInventory, false);
  await hb('cs2', { inventory: [] });
  await hb('cs3', { inventory: [], full: true });
  const id = chunkId(1);
  const res = await t.call('POST', '/v1/fs/placement', { chunks: [{ id, size: 10 }] }, token);
  assert.is(res.status, 200);
  assert.is(res.json.writeQuorum, 1);
  assert.is(res.json.chunkSizeBytes, 4 * 1024 * 1024);
  const targets = res.json.chunks[0].targets.map((x: { id: string }) => x.id).sort();
  assert.equal(targets, ['cs1', 'cs2']);
  assert.is(verifyCapability(t.c.signer, res.json.chunks[0].cap, id, 'w', t.clock.ms).op, 'w');
  assert.equal(res.json.chunks[0].present, [], 'a new chunk is on no target: PUT straight away');
  // once the user's file references it on cs1, placement says so (HEAD cs1 for a receipt)
  await t.call('POST', '/v1/fs/commit', { path: '/p', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] } }, token);
  const again = await t.call('POST', '/v1/fs/placement', { chunks: [{ id, size: 10 }] }, token);
  assert.equal(again.json.chunks[0].present, ['cs1']);
  const bob = await t.login('bob');
  const other = await t.call('POST', '/v1/fs/placement', { chunks: [{ id, size: 10 }] }, bob);
  assert.equal(other.json.chunks[0].present, [], "another user's chunk is never announced as present");
});

test('placement with no chunkserver is 503 once the wait the client allows (x-redcloud-wait-ms) is over', async () => {
  const res = await t.c.app.inject({
    method: 'POST', url: '/v1/fs/placement', payload: { chunks: [{ id: chunkId(1), size: 10 }] },
    headers: { authorization: `Bearer ${token}`, [PLACEMENT_WAIT_HEADER]: '0' },
  });
  assert.is(res.statusCode, 503);
  assert.is(JSON.parse(res.body).code, 'UNAVAILABLE');
});

test('placement short of WRITE_QUORUM waits for the next heartbeat (PLACEMENT_WAIT), then answers', async () => {
  const pending = t.call('POST', '/v1/fs/placement', { chunks: [{ id: chunkId(1), size: 10 }] }, token);
  await new Promise((r) => setTimeout(r, 50));
  await hb('cs1');
  const res = await pending;
  assert.is(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.chunks[0].targets.map((x: { id: string }) => x.id), ['cs1']);
});

test('placement gives up with 503 after PLACEMENT_WAIT', async () => {
  const short = await makeController({ PLACEMENT_WAIT: '100ms', CONTROLLER_NODE_ID: 'ctl-w' });
  try {
    const res = await short.call('POST', '/v1/fs/placement', { chunks: [{ id: chunkId(1), size: 10 }] }, await short.login());
    assert.is(res.status, 503);
    assert.match(res.json.message, /Only 0 chunkserver\(s\) can take chunk/);
  } finally {
    await short.close();
  }
});

test('a controller that never had a heartbeat plans reads with the holders the record carries, and places writes by a peer view', async () => {
  const id = chunkId(7);
  await hb('cs1', { inventory: [] });
  await hb('cs2', { inventory: [] });
  await t.call('POST', '/v1/fs/commit', { path: '/f', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs2', 10), t.receipt(id, 'cs1', 10)] } }, token);
  assert.equal(t.c.namespace.file('alice', '/f').holders, { [id]: ['cs1', 'cs2'] }, 'the record carries where the commit wrote the chunk');
  const b = await makeController({ HEARTBEAT_TIMEOUT: '30s', CONTROLLER_NODE_ID: 'ctl-b' });
  try {
    b.clock.ms = t.clock.ms;
    b.c.gossip.handlers.push({ from: { id: 'ctl-a', url: 'http://127.0.2.1:0' }, updates: t.c.store.updatesSince({}, 1000) });
    const before = await b.c.app.inject({
      method: 'POST', url: '/v1/fs/placement', payload: { chunks: [{ id: chunkId(8), size: 10 }] },
      headers: { authorization: `Bearer ${token}`, [PLACEMENT_WAIT_HEADER]: '0' },
    });
    assert.is(before.statusCode, 503, 'no chunkserver known yet');
    assert.equal(b.c.registry.merge(t.c.registry.view(), 5), ['cs1', 'cs2']);
    const plan = await b.call('GET', '/v1/fs/read?path=%2Ff', undefined, token);
    assert.is(plan.status, 200, JSON.stringify(plan.json));
    assert.equal(plan.json.chunks[0].locations.map((l: { id: string; unconfirmed?: boolean }) => [l.id, l.unconfirmed === true]).sort(), [['cs1', true], ['cs2', true]]);
    const placed = await b.call('POST', '/v1/fs/placement', { chunks: [{ id: chunkId(8), size: 10 }] }, token);
    assert.is(placed.status, 200);
  } finally {
    await b.close();
  }
});

test('read plan: offsets, healthy locations first, read capabilities; failure and report-bad', async () => {
  const [a, b] = [chunkId(1), chunkId(2)];
  await hb('cs1', { inventory: [a, b] });
  await hb('cs2', { inventory: [a] });
  await t.call('POST', '/v1/fs/commit', { path: '/f', size: 15, chunks: [{ id: a, size: 10 }, { id: b, size: 5 }], receipts: { [a]: [t.receipt(a, 'cs1', 10)], [b]: [t.receipt(b, 'cs1', 5)] } }, token);
  t.clock.ms += 20_000;
  await hb('cs2', { added: [b] });
  t.clock.ms += 15_000;
  assert.equal(t.c.registry.check(), ['cs1']);
  const plan = await t.call('GET', '/v1/fs/read?path=/f', undefined, token);
  assert.is(plan.status, 200);
  assert.is(plan.json.entry.size, 15);
  assert.equal(plan.json.chunks.map((c: { offset: number }) => c.offset), [0, 10]);
  assert.equal(plan.json.chunks[0].locations.map((l: { id: string }) => l.id), ['cs2', 'cs1']);
  assert.equal(plan.json.chunks[1].locations, [{ id: 'cs2', url: 'http://127.0.2.2:9000' }, { id: 'cs1', url: 'http://127.0.2.1:9000' }]);
  assert.is(verifyCapability(t.c.signer, plan.json.chunks[1].cap, b, 'r', t.clock.ms).c, b);
  const status = await t.call('GET', '/v1/status', undefined, token);
  assert.equal(status.json.chunkservers.map((s: { id: string; healthy: boolean }) => [s.id, s.healthy]), [['cs1', false], ['cs2', true]]);
  assert.equal(status.json.chunks, { total: 2, underReplicated: 0, replicationFactor: 'all' });
  const bad = await t.internal('/internal/report-bad', { chunkId: b, serverId: 'cs2', reason: 'hash mismatch' });
  assert.is(bad.status, 204);
  assert.equal(t.c.store.locationsOf(b), ['cs1']);
  assert.is((await t.call('GET', '/v1/fs/read?path=/', undefined, token)).json.code, 'IS_DIR');
});

test('metrics expose chunk and chunkserver gauges', async () => {
  await hb('cs1', { inventory: [] });
  const res = await t.c.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(res.body, /redcloud_chunks_total\{[^}]*\} 0/);
  assert.match(res.body, /redcloud_chunkservers\{state="healthy"[^}]*\} 1/);
  assert.is((await t.c.app.inject({ method: 'GET', url: '/health' })).json().status, 'ok');
});

test('a client report of a bad replica needs a read capability and makes the chunkserver re-verify', async () => {
  const id = chunkId(9);
  const verifyCalls: { chunkId: string; caller: string }[] = [];
  const fake = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      const caller = verifyClusterCall(t.c.signer, req.headers[CLUSTER_AUTH_HEADER], { method: req.method!, path: req.url! }, t.clock.ms).n;
      if (req.url === '/internal/verify') verifyCalls.push({ chunkId: (JSON.parse(body) as { chunkId: string }).chunkId, caller });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: false }));
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    await t.internal('/internal/heartbeat', { id: 'cs9', url, capacityBytes: 1000, freeBytes: 500, chunkCount: 1, full: false, inventory: [id] });
    const forged = await t.call('POST', '/v1/fs/report-bad', { chunkId: id, serverId: 'cs9', cap: 'x.y' }, token);
    assert.is(forged.status, 403);
    const otherChunk = issueCapability(t.c.signer, chunkId(8), 'r', t.clock.ms, 60_000);
    assert.is((await t.call('POST', '/v1/fs/report-bad', { chunkId: id, serverId: 'cs9', cap: otherChunk }, token)).status, 403);
    const cap = issueCapability(t.c.signer, id, 'r', t.clock.ms, 60_000);
    assert.is((await t.call('POST', '/v1/fs/report-bad', { chunkId: id, serverId: 'nope', cap }, token)).status, 404);
    assert.is((await t.call('POST', '/v1/fs/report-bad', { chunkId: id, serverId: 'cs9', cap }, token)).status, 202);
    const deadline = Date.now() + 5000;
    while (verifyCalls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(verifyCalls.map((c) => c.chunkId), [id]);
  } finally {
    await new Promise((resolve) => fake.close(resolve));
  }
});

test('a chunk no location places on a healthy server is looked for on the healthy chunkservers (HEAD) before the plan is answered', async () => {
  const id = chunkId(9);
  const heads: string[] = [];
  const fake = createServer((req, res) => {
    verifyClusterCall(t.c.signer, req.headers[CLUSTER_AUTH_HEADER], { method: req.method!, path: req.url! }, t.clock.ms);
    if (req.method === 'HEAD') heads.push(req.url ?? '');
    res.statusCode = req.method === 'HEAD' && req.url === `/chunks/${id}` ? 200 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    await t.internal('/internal/heartbeat', { id: 'cs5', url, capacityBytes: 1000, freeBytes: 500, chunkCount: 1, full: false, inventory: [] });
    // written on a chunkserver this controller has never heard of: neither locations nor holders name a server it knows
    await t.call('POST', '/v1/fs/commit', { path: '/lost', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs-gone', 10)] } }, token);
    const plan = await t.call('GET', '/v1/fs/read?path=%2Flost', undefined, token);
    assert.is(plan.status, 200);
    assert.equal(plan.json.chunks[0].locations, [{ id: 'cs5', url }]);
    assert.equal(heads, [`/chunks/${id}`]);
    assert.equal(t.c.store.locationsOf(id).sort(), ['cs-gone', 'cs5'], 'found where it is: now a confirmed location');
    const again = await t.call('GET', '/v1/fs/read?path=%2Flost', undefined, token);
    assert.equal(again.json.chunks[0].locations, [{ id: 'cs5', url }]);
    assert.is(heads.length, 1, 'no second probe once the location is known');
  } finally {
    fake.close();
  }
});

test.run();
