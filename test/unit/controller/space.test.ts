/**
 * clusterSpace (src/controller/space.ts): chunkservers sharing a disk count it once, logical free
 * space at the replication factor, old chunkservers without a disk report, failed and full ones;
 * and properties over seeded random clusters: the answer is the largest feasible X (checked by an
 * independent feasibility test), never more than the distinct disks' free bytes / copies, and
 * putting two disks' chunkservers on one disk never adds space.
 * Replay a failure with SPACE_SEED=<seed> (printed); more runs with SPACE_RUNS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { clusterSpace, type SpaceServer } from '../../../src/controller/space.js';

const SEED = process.env.SPACE_SEED ? Number(process.env.SPACE_SEED) : 20261201;
const RUNS = process.env.SPACE_RUNS ? Number(process.env.SPACE_RUNS) : 300;

const disk = (id: string, availBytes: number, totalBytes = 10 * availBytes) => ({ id, availBytes, totalBytes });
const cs = (id: string, freeBytes: number, extra: Partial<SpaceServer> = {}): SpaceServer => ({
  id, healthy: true, full: false, freeBytes, capacityBytes: freeBytes + (extra.usedBytes ?? 0), ...extra,
});

test('five chunkservers on one disk: the disk once, divided by the replication factor', () => {
  const servers = [1, 2, 3, 4, 5].map((i) => cs(`cs-${i}`, 1000, { disk: disk('aaaaaaaaaaaaaaaa', 1000), usedBytes: 30 }));
  const s = clusterSpace(servers, 3);
  assert.equal({ ...s }, {
    copies: 3, chunkservers: 5, disks: 1, rawFreeBytes: 1000, rawUsedBytes: 150, availBytes: 333, usedBytes: 50, totalBytes: 383,
  });
});

test('five distinct disks hold 5/3 of one disk at replication factor 3', () => {
  const servers = [1, 2, 3, 4, 5].map((i) => cs(`cs-${i}`, 900, { disk: disk(`d${i}d${i}d${i}d${i}`, 900) }));
  const s = clusterSpace(servers, 3);
  assert.equal([s.disks, s.rawFreeBytes, s.availBytes], [5, 4500, 1500]);
});

test('chunkservers without a disk report (older versions) count as a disk each', () => {
  const s = clusterSpace([cs('a', 600), cs('b', 600), cs('c', 600)], 2);
  assert.equal([s.disks, s.rawFreeBytes, s.availBytes], [3, 1800, 900]);
  const usedFallback = clusterSpace([{ ...cs('a', 600), capacityBytes: 1000 }], 1);
  assert.is(usedFallback.rawUsedBytes, 400, 'capacity minus free');
});

test('one big server cannot hold two copies: bounded by the others', () => {
  const s = clusterSpace([cs('big', 1000), cs('s1', 10), cs('s2', 10)], 2);
  assert.is(s.availBytes, 20);
});

test('a shared disk and a disk of its own', () => {
  const shared = disk('5555555555555555', 100);
  const s = clusterSpace([cs('a', 100, { disk: shared }), cs('b', 100, { disk: shared }), cs('c', 100, { disk: disk('cccccccccccccccc', 100) })], 2);
  assert.is(s.availBytes, 100);
  assert.is(s.rawFreeBytes, 200);
});

test('a quota below the disk: the chunkserver\'s own free figure binds', () => {
  const shared = disk('5555555555555555', 10_000);
  const s = clusterSpace([cs('a', 50, { disk: shared }), cs('b', 50, { disk: shared }), cs('c', 50, { disk: shared })], 2);
  assert.is(s.availBytes, 75, '150 bytes of quota, two copies');
  assert.is(s.rawFreeBytes, 150);
});

test('failed chunkservers do not count, full ones have no room; fewer healthy than the factor lowers the copies', () => {
  const s = clusterSpace([cs('a', 100), { ...cs('b', 100), healthy: false }, { ...cs('c', 100), full: true }], 3);
  assert.is(s.copies, 2);
  assert.is(s.chunkservers, 2);
  assert.is(s.availBytes, 0, 'the full one takes no copy, so no chunk can get two');
  assert.equal(clusterSpace([], 3), { copies: 1, chunkservers: 0, disks: 0, rawFreeBytes: 0, rawUsedBytes: 0, availBytes: 0, usedBytes: 0, totalBytes: 0 });
  assert.is(clusterSpace([cs('a', 100), cs('b', 100), cs('c', 100)], 'all').copies, 3);
  assert.is(clusterSpace([cs('a', 100), cs('b', 100), cs('c', 100)], 'all').availBytes, 100);
});

test('disk free below what the chunkservers report (another chunkserver wrote since): the smallest reading counts', () => {
  const s = clusterSpace([cs('a', 900, { disk: disk('abababababababab', 900) }), cs('b', 600, { disk: disk('abababababababab', 600) })], 1);
  assert.is(s.availBytes, 600);
});

// ---- properties ---------------------------------------------------------------------------

/** Independent check: can k·x bytes be placed, at most x per server, within each server's free bytes and each disk's? */
function feasible(servers: readonly SpaceServer[], k: number, x: number): boolean {
  const byDisk = new Map<string, { cap: number; sum: number }>();
  for (const s of servers.filter((v) => v.healthy)) {
    const key = s.disk ? s.disk.id : `own:${s.id}`;
    const room = Math.min(x, s.full ? 0 : s.freeBytes);
    const d = byDisk.get(key) ?? { cap: s.disk ? s.disk.availBytes : s.freeBytes, sum: 0 };
    d.cap = Math.min(d.cap, s.disk ? s.disk.availBytes : s.freeBytes);
    d.sum += room;
    byDisk.set(key, d);
  }
  let total = 0;
  for (const d of byDisk.values()) total += Math.min(d.cap, d.sum);
  return total >= k * x;
}

const DISK_IDS = ['d000000000000000', 'd111111111111111', 'd222222222222222', 'd333333333333333'];
const arbCluster = fc.array(fc.record({
  free: fc.integer({ min: 0, max: 1_000_000 }),
  used: fc.integer({ min: 0, max: 1_000_000 }),
  disk: fc.option(fc.integer({ min: 0, max: DISK_IDS.length - 1 }), { nil: undefined }),
  healthy: fc.boolean(),
  full: fc.boolean(),
}), { minLength: 0, maxLength: 8 }).chain((rows) => fc.record({
  rows: fc.constant(rows),
  diskFree: fc.array(fc.integer({ min: 0, max: 2_000_000 }), { minLength: DISK_IDS.length, maxLength: DISK_IDS.length }),
  factor: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant('all' as const)),
}));

function build(c: { rows: { free: number; used: number; disk?: number; healthy: boolean; full: boolean }[]; diskFree: number[] }): SpaceServer[] {
  return c.rows.map((r, i) => ({
    id: `cs-${i}`, healthy: r.healthy || i === 0, full: r.full && i % 3 === 0, freeBytes: r.free, capacityBytes: r.free + r.used, usedBytes: r.used,
    ...(r.disk !== undefined ? { disk: { id: DISK_IDS[r.disk]!, availBytes: c.diskFree[r.disk]!, totalBytes: 4_000_000 } } : {}),
  }));
}

const params = { seed: SEED, numRuns: RUNS };
const withSeed = (run: () => void): void => {
  try {
    run();
  } catch (err) {
    process.stdout.write(`  replay with SPACE_SEED=${SEED}\n`);
    throw err;
  }
};

test('property: the largest feasible amount, never above the distinct disks\' free bytes / copies', () => withSeed(() => {
  fc.assert(fc.property(arbCluster, (c) => {
    const servers = build(c);
    const s = clusterSpace(servers, c.factor);
    if (s.chunkservers === 0) return s.availBytes === 0;
    assert.ok(feasible(servers, s.copies, s.availBytes), `${s.availBytes} is not feasible`);
    assert.not.ok(feasible(servers, s.copies, s.availBytes + 1), `${s.availBytes + 1} is feasible too`);
    assert.ok(s.availBytes <= Math.floor(s.rawFreeBytes / s.copies), `${s.availBytes} > ${s.rawFreeBytes} / ${s.copies}`);
    assert.is(s.totalBytes, s.usedBytes + s.availBytes);
    return true;
  }), params);
}));

test('property: a chunkserver (of its own disk so far) found to share another\'s disk never adds space', () => withSeed(() => {
  fc.assert(fc.property(arbCluster, fc.nat(), fc.nat(), (c, pick, onto) => {
    const servers = build(c);
    const withDisk = servers.filter((v) => v.disk);
    const alone = servers.filter((v) => !v.disk);
    if (alone.length === 0 || withDisk.length === 0) return true;
    const target = withDisk[onto % withDisk.length]!;
    const moved = alone[pick % alone.length]!;
    const after = servers.map((v) => (v.id === moved.id ? { ...v, disk: { ...target.disk! } } : v));
    const before = clusterSpace(servers, c.factor);
    const now = clusterSpace(after, c.factor);
    assert.ok(now.availBytes <= before.availBytes, `${moved.id} onto ${target.disk!.id}: ${before.availBytes} → ${now.availBytes}`);
    assert.ok(now.rawFreeBytes <= before.rawFreeBytes);
    return true;
  }), params);
}));

test.run();
