// The repair service inside the controller: placements hold their chunks from GC (preHandler
// hook in server.ts), only after authentication; a cycle runs on an in-process controller.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeController, type TestController } from '../controller/helpers.js';

let t: TestController;
test.before.each(async () => { t = await makeController({ CAPABILITY_TTL: '10m', PLACEMENT_WAIT: '0' }); });
test.after.each(async () => { await t.close(); });

const id = (n: number): string => n.toString(16).padStart(64, '0');

test('a placement holds its chunks from garbage collection; an unauthenticated one does not', async () => {
  await t.call('POST', '/v1/fs/placement', { chunks: [{ id: id(1), size: 10 }] });
  assert.equal(t.c.repair.gcState(), { waiting: 0, held: 0 });
  const token = await t.login();
  await t.call('POST', '/v1/fs/placement', { chunks: [{ id: id(1), size: 10 }, { id: id(2), size: 10 }] }, token);
  assert.equal(t.c.repair.gcState(), { waiting: 0, held: 2 });
  // a stored but unreferenced held chunk is not even waiting until the hold (10 min) ends
  t.c.store.addLocations('cs-x', [id(1)]);
  const r = await t.c.repair.runCycle();
  assert.is(r.garbageDeleted, 0);
  assert.equal(t.c.repair.gcState(), { waiting: 1, held: 2 });
});

test('a cycle with no chunkservers and no files does nothing', async () => {
  const r = await t.c.repair.runCycle();
  assert.equal({ ...r, durationMs: 0 }, {
    replicated: 0, replicateFailed: 0, throttled: 0, trimmed: 0, garbageDeleted: 0, underReplicated: 0, overReplicated: 0, noSource: 0, deferred: 0, durationMs: 0,
  });
});

test('repair totals appear in /metrics', async () => {
  await t.c.repair.runCycle();
  await t.c.repair.runCycle();
  const res = await t.c.app.inject({ method: 'GET', url: '/metrics' });
  assert.is(res.statusCode, 200);
  assert.match(res.body, /^redcloud_repair_cycles_total(\{[^}]*\})? 2$/m);
  assert.match(res.body, /^redcloud_repair_garbage_deleted_total(\{[^}]*\})? 0$/m);
});

test.run();
