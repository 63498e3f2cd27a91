/**
 * GET /v1/fs/statfs and /v1/status's space and garbage, in process: heartbeats from three
 * chunkservers naming one disk count it once at the replication factor, an old-style heartbeat
 * (no disk, no usedBytes) still validates and counts as a disk of its own, a malformed disk report
 * is refused, and an unreferenced chunk shows as garbage with its next collection time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeController } from './helpers.js';

const disk = { id: 'abcdefabcdef0123', totalBytes: 100_000, availBytes: 30_000 };
const beat = (id: string, extra: Record<string, unknown> = {}) => ({
  id, url: `http://127.0.2.${id.slice(-1)}:9000`, capacityBytes: 40_000, freeBytes: 29_000, chunkCount: 0, full: false, inventory: [], ...extra,
});
const chunk = (n: number): string => n.toString(16).padStart(64, '0');

test('three chunkservers on one disk: statfs is the disk once over the replication factor', async () => {
  const t = await makeController({ REPLICATION_FACTOR: '3' });
  try {
    const token = await t.login();
    for (const id of ['cs1', 'cs2', 'cs3']) assert.is((await t.internal('/internal/heartbeat', beat(id, { disk, usedBytes: 300 }))).status, 200);
    const statfs = (await t.call('GET', '/v1/fs/statfs', undefined, token)).json;
    assert.is(statfs.availBytes, 10_000, '30 000 bytes of one disk, 3 copies');
    assert.is(statfs.totalBytes, 10_000 + 300);
    const status = (await t.call('GET', '/v1/status', undefined, token)).json;
    assert.equal(status.space, {
      copies: 3, chunkservers: 3, disks: 1, rawFreeBytes: 30_000, rawUsedBytes: 900, availBytes: 10_000, usedBytes: 300, totalBytes: 10_300,
    });
    assert.equal(status.chunkservers[0].disk, disk);
  } finally {
    await t.close();
  }
});

test('an old heartbeat without the space fields validates and counts as its own disk; a bad disk report is refused', async () => {
  const t = await makeController({ REPLICATION_FACTOR: '2' });
  try {
    const token = await t.login();
    assert.is((await t.internal('/internal/heartbeat', beat('cs1'))).status, 200);
    assert.is((await t.internal('/internal/heartbeat', beat('cs2'))).status, 200);
    assert.is((await t.internal('/internal/heartbeat', beat('cs3', { disk: { id: 'x', totalBytes: 1, availBytes: 1 } }))).status, 400);
    assert.is((await t.internal('/internal/heartbeat', beat('cs3', { disk: { ...disk, availBytes: -1 } }))).status, 400);
    const status = (await t.call('GET', '/v1/status', undefined, token)).json;
    assert.equal([status.space.disks, status.space.availBytes, status.space.rawUsedBytes], [2, 29_000, 22_000]);
  } finally {
    await t.close();
  }
});

test('an unreferenced chunk is garbage: chunks, replicas, estimated bytes, GC_GRACE and the next collection', async () => {
  const t = await makeController({ REPLICATION_FACTOR: '2', GC_GRACE: '1h' });
  try {
    const token = await t.login();
    await t.internal('/internal/heartbeat', beat('cs1', { inventory: [chunk(1), chunk(2)], chunkCount: 2, usedBytes: 2000 }));
    await t.internal('/internal/heartbeat', beat('cs2', { inventory: [chunk(1)], chunkCount: 1, usedBytes: 1000 }));
    const status = (await t.call('GET', '/v1/status', undefined, token)).json;
    assert.is(status.garbage.chunks, 2);
    assert.is(status.garbage.replicas, 3);
    assert.is(status.garbage.bytesEstimate, 3000);
    assert.is(status.garbage.graceMs, 3_600_000);
    assert.ok(status.garbage.nextCollectionMs >= t.clock.ms + 3_600_000, JSON.stringify(status.garbage));
  } finally {
    await t.close();
  }
});

test.run();
