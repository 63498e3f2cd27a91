// Full-disk reporting (src/chunkserver/capacity.ts): full as soon as the largest chunk held no
// longer fits beside MIN_FREE_BYTES and the quota, not only at zero bytes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { capacityOf } from '../../../src/chunkserver/capacity.js';

const base = { quotaBytes: 0, minFreeBytes: 1000, usedBytes: 0, reservedBytes: 0, diskFreeBytes: 10_000 };

test('empty store: full only at zero', () => {
  assert.equal(capacityOf(base), { capacityBytes: 10_000, freeBytes: 9000, full: false });
  assert.equal(capacityOf({ ...base, diskFreeBytes: 1000 }), { capacityBytes: 1000, freeBytes: 0, full: true });
});

test('full when free space (after MIN_FREE_BYTES) is below one largest chunk', () => {
  assert.is(capacityOf({ ...base, usedBytes: 4000, diskFreeBytes: 5000, largestChunkBytes: 4000 }).full, false); // 4000 free
  assert.is(capacityOf({ ...base, usedBytes: 4000, diskFreeBytes: 4999, largestChunkBytes: 4000 }).full, true); // 3999 free
});

test('quota: full when the quota leaves less than one largest chunk', () => {
  const q = { ...base, quotaBytes: 3000, usedBytes: 2000, largestChunkBytes: 1000 };
  assert.equal(capacityOf(q), { capacityBytes: 3000, freeBytes: 1000, full: false });
  assert.equal(capacityOf({ ...q, reservedBytes: 1 }), { capacityBytes: 3000, freeBytes: 999, full: true });
});

test.run();
