/**
 * nextCollectionMs and GcTracker.earliestFirstSeenMs (src/controller/repair/gc.ts): when garbage
 * is next deleted, on the periodic cycle at or after the end of the earliest grace period.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GcTracker, nextCollectionMs } from '../../../src/controller/repair/gc.js';

const base = { graceMs: 60_000, nextCycleMs: 100_000, intervalMs: 10_000 };

test('no garbage: nothing scheduled', () => {
  assert.is(nextCollectionMs({ ...base, earliestFirstSeenMs: undefined, garbageChunks: 0 }), undefined);
});

test('a chunk waiting: the first cycle at or after its grace ends', () => {
  assert.is(nextCollectionMs({ ...base, earliestFirstSeenMs: 45_000, garbageChunks: 1 }), 110_000, 'due 105 000, cycles at 100 000, 110 000');
  assert.is(nextCollectionMs({ ...base, earliestFirstSeenMs: 50_000, garbageChunks: 1 }), 110_000, 'due exactly on a cycle');
  assert.is(nextCollectionMs({ ...base, earliestFirstSeenMs: 1_000, garbageChunks: 1 }), 100_000, 'overdue: the next cycle');
});

test('garbage not yet observed: its grace starts at the next cycle', () => {
  assert.is(nextCollectionMs({ ...base, earliestFirstSeenMs: undefined, garbageChunks: 3 }), 160_000);
});

test('the tracker reports the longest-waiting chunk', () => {
  const gc = new GcTracker(60_000);
  assert.is(gc.earliestFirstSeenMs(), undefined);
  gc.observe([{ chunkId: 'a', locations: ['s'] }], 1_000);
  gc.observe([{ chunkId: 'a', locations: ['s'] }, { chunkId: 'b', locations: ['s'] }], 2_000);
  assert.is(gc.earliestFirstSeenMs(), 1_000);
  gc.observe([{ chunkId: 'b', locations: ['s'] }], 3_000);
  assert.is(gc.earliestFirstSeenMs(), 2_000, 'a was referenced again');
});

test.run();
