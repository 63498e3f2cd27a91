/**
 * `redcloud status`'s space, garbage and cache lines (oclif-cli/lib/space-format.ts), the cache
 * directory walk (oclif-cli/lib/local-caches.ts) over a temp dir, and mount records (fuse/mounts.ts).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dirUsage, localCaches } from '../../../oclif-cli/lib/local-caches.js';
import { cacheLines, formatDuration, garbageLines, spaceLines } from '../../../oclif-cli/lib/space-format.js';
import { parseMountRecord } from '../../../fuse/mounts.js';

const GiB = 1024 ** 3;
const space = { copies: 3, chunkservers: 5, disks: 1, rawFreeBytes: 300 * GiB, rawUsedBytes: 6 * GiB, availBytes: 100 * GiB, usedBytes: 2 * GiB, totalBytes: 102 * GiB };

test('durations', () => {
  assert.equal([formatDuration(0), formatDuration(90_000), formatDuration(3_600_000), formatDuration(90_061_000)], ['0s', '1m30s', '1h', '1d1h']);
});

test('space: logical (df) and raw figures, disks counted once', () => {
  assert.equal(spaceLines(space, 3), [
    'Space: replication factor 3; 5 healthy chunkservers on 1 distinct disk',
    '  logical (what df shows on a mount): 2.0 GiB used, 100.0 GiB free, 102.0 GiB total',
    '  raw: 6.0 GiB of chunk copies stored, 300.0 GiB free on the disks (each disk counted once)',
  ]);
  assert.match(spaceLines({ ...space, copies: 2, chunkservers: 2 }, 3)[0]!, 'replication factor 3 (2 now: too few healthy chunkservers)');
  assert.match(spaceLines(space, 'all')[0]!, 'replication factor all (3 now)');
});

test('garbage: none; waiting with the next collection; overdue; postponed', () => {
  const now = Date.UTC(2026, 11, 1, 15, 0, 0);
  assert.equal(garbageLines({ chunks: 0, replicas: 0, bytesEstimate: 0, graceMs: 3_600_000 }, now),
    ['Garbage: none (unreferenced chunks are deleted 1h after their last file lets go of them)']);
  assert.equal(garbageLines({ chunks: 2, replicas: 6, bytesEstimate: 12 * 1024 ** 2, graceMs: 3_600_000, nextCollectionMs: now + 750_000 }, now), [
    'Garbage: 2 unreferenced chunks (6 copies, ~12.0 MiB raw) not yet collected',
    '  deleted 1h (GC_GRACE) after they became unreferenced; next collection at 2026-12-01T15:12:30Z (in 12m30s)',
  ]);
  const late = garbageLines({ chunks: 1, replicas: 1, bytesEstimate: 10, graceMs: 1000, nextCollectionMs: now - 1, postponed: 'controller ctl-2 is not reachable' }, now);
  assert.equal(late.slice(1), ['  deleted 1s (GC_GRACE) after they became unreferenced; next collection at the next repair cycle', '  collection postponed: controller ctl-2 is not reachable']);
});

test('caches: running mounts and leftovers, with sizes', () => {
  assert.equal(cacheLines([], '/home/u/.cache/redcloud'), ['Mount caches on this machine: none (under /home/u/.cache/redcloud)']);
  assert.equal(cacheLines([
    { dir: '/home/u/.cache/redcloud/_home_u_mnt', bytes: 392 * 1024 ** 2, mountpoint: '/home/u/mnt', pid: 42, diskCacheLimitBytes: GiB },
    { dir: '/home/u/.cache/redcloud/_tmp_x', bytes: 1024, partial: true },
  ], '/home/u/.cache/redcloud'), [
    'Mount caches on this machine: 392.0 MiB or more in 2 directories',
    '  /home/u/.cache/redcloud/_home_u_mnt  392.0 MiB  mount /home/u/mnt (pid 42, disk cache limit 1.0 GiB)',
    '  /home/u/.cache/redcloud/_tmp_x  1.0 KiB+  no mount running (left over; safe to delete)',
  ]);
});

test('the walk sums what the files take on disk, bounded; mounts name their cache dirs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'rc-caches-'));
  try {
    await mkdir(join(root, '_mnt', 'chunks', 'ab'), { recursive: true });
    await writeFile(join(root, '_mnt', 'chunks', 'ab', 'x'), Buffer.alloc(100_000, 1));
    await mkdir(join(root, '_old'));
    await writeFile(join(root, 'not-a-dir'), 'x');
    const full = await dirUsage(join(root, '_mnt'));
    assert.ok(full.bytes >= 100_000 && !full.partial, JSON.stringify(full));
    assert.ok((await dirUsage(join(root, '_mnt'), 1)).partial);
    const caches = await localCaches(root, [{ pid: 7, mountpoint: '/m', cacheDir: join(root, '_mnt'), diskCacheSizeBytes: 5 }]);
    assert.equal(caches.map((c) => [c.dir.slice(root.length), c.mountpoint, c.diskCacheLimitBytes]), [['/_mnt', '/m', 5], ['/_old', undefined, undefined]]);
    assert.is(caches[0]!.bytes, full.bytes);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('mount records: the cache dir is optional (older mounts), garbage is refused', () => {
  assert.equal(parseMountRecord('{"pid":5,"mountpoint":"/m"}'), { pid: 5, mountpoint: '/m' });
  assert.equal(parseMountRecord('{"pid":5,"mountpoint":"/m","cacheDir":"/c","diskCacheSizeBytes":9}'), { pid: 5, mountpoint: '/m', cacheDir: '/c', diskCacheSizeBytes: 9 });
  assert.is(parseMountRecord('{"pid":-1,"mountpoint":"/m"}'), undefined);
  assert.is(parseMountRecord('nope'), undefined);
});

test.run();
