/** cellsToCompact (fuse/compaction.ts): nothing within the bound; beyond it the most fragmented cells, down to half the bound. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cellsToCompact } from '../../../fuse/compaction.js';
import type { Span } from '../../../src/meta/extents.js';

const CELL = 100;
const whole = (i: number): Span<{ size: number }> => ({ off: i * CELL, len: CELL, chunk: { size: CELL }, chunkOff: 0 });
/** cell i cut into n pieces of one chunk each */
const cut = (i: number, n: number): Span<{ size: number }>[] =>
  Array.from({ length: n }, (_, k) => ({ off: i * CELL + k * (CELL / n), len: CELL / n, chunk: { size: CELL }, chunkOff: k * (CELL / n) }));

test('within the bound, or whole chunks only: nothing to compact', () => {
  assert.equal(cellsToCompact([whole(0), whole(1), whole(2)], CELL, 4), []);
  assert.equal(cellsToCompact([...cut(0, 2), ...cut(1, 2)], CELL, 4), []);
});

test('beyond the bound: the most fragmented cells first, until at most half the bound is left', () => {
  // 10 + 4 + 2 + 2 = 18 fragments, bound 8 (half 4): cells 0 (10) and 1 (4) go, 4 are left
  const spans = [...cut(0, 10), ...cut(1, 4), whole(2), ...cut(3, 2), ...cut(4, 2)];
  assert.equal(cellsToCompact(spans, CELL, 8), [0, 1]);
  // ties by cell index
  assert.equal(cellsToCompact([...cut(0, 4), ...cut(1, 4), ...cut(2, 4)], CELL, 8), [0, 1]);
});

test('a span that is a whole chunk but not on a cell boundary counts as a fragment', () => {
  const offGrid = { off: 50, len: CELL, chunk: { size: CELL }, chunkOff: 0 };
  assert.equal(cellsToCompact([offGrid], CELL, 0), [0]);
  assert.equal(cellsToCompact([whole(0)], CELL, 0), []);
});

test.run();
