/** cellsToCompact (fuse/compaction.ts): nothing within the bound; beyond it the most fragmented cells, down to half the bound. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cellsToCompact, inlineChoice, packInline } from '../../../fuse/compaction.js';
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


// ---- inline chunks: inlineChoice and packInline ----
type C = { id: string; size: number; inline?: boolean; fresh?: boolean };
const span = (off: number, len: number, chunk: C, chunkOff = 0): Span<C> => ({ off, len, chunk, chunkOff });
const old = (id: string, size: number): C => ({ id, size, inline: true });
const fresh = (id: string, size: number): C => ({ id, size, fresh: true });
const real = (id: string, size: number): C => ({ id, size });
const choose = (spans: Span<C>[], limits = { chunkMaxBytes: 10, recordMaxBytes: 30 }) =>
  inlineChoice(spans, (c) => c.inline === true, (c) => c.fresh === true, limits);

test('inlineChoice: small fresh chunks go inline while the record stays within its bytes', () => {
  const a = old('a', 10);
  const b = fresh('b', 8);
  const big = fresh('big', 11);
  const r = choose([span(0, 100, real('r', 100)), span(100, 10, a), span(110, 8, b), span(118, 11, big)]);
  assert.equal(r.inline.map((c) => c.id), ['b'], 'only chunks of at most chunkMaxBytes; never a real one');
  assert.is(r.fold, false);
  // an old inline chunk counts whole however little of it is still used, and once however often
  assert.equal(choose([span(0, 1, a), span(5, 1, a, 5), span(10, 8, b)]).inline.map((c) => c.id), ['b']);
  assert.equal(choose([span(0, 5, real('r', 5))]), { inline: [], fold: false }, 'nothing small: nothing to do');
});

test('inlineChoice: past recordMaxBytes nothing is inlined and the inline chunks fold; limits 0 inline nothing', () => {
  const spans = [span(0, 10, old('a', 10)), span(10, 10, old('b', 10)), span(20, 10, fresh('c', 10)), span(30, 1, fresh('d', 1))];
  assert.equal(choose(spans), { inline: [], fold: true }, '31 bytes > 30');
  assert.equal(choose(spans.slice(0, 3)).inline.map((c) => c.id), ['c'], 'exactly 30 bytes fit');
  assert.equal(choose([span(0, 4, fresh('x', 4))], { chunkMaxBytes: 0, recordMaxBytes: 0 }), { inline: [], fold: false });
  // an old inline chunk the record can no longer keep (INLINE_MAX lowered) folds even with nothing new
  assert.equal(choose([span(0, 4, old('x', 4))], { chunkMaxBytes: 0, recordMaxBytes: 0 }), { inline: [], fold: true });
});

test('packInline: selected spans end to end in file order, packs of at most packMaxBytes, others untouched', () => {
  const a = old('a', 10);
  const spans = [span(0, 4, a, 6), span(4, 50, real('r', 50)), span(54, 7, fresh('f', 7)), span(61, 6, a, 0)];
  const sel = (c: C): boolean => c.inline === true || c.fresh === true;
  const one = packInline(spans, sel, 100);
  assert.equal(one.packBytes, [17]);
  assert.equal(one.packed.map((p) => [p.span.off, p.pack, p.packOff]), [[0, 0, 0], [54, 0, 4], [61, 0, 11]]);
  const small = packInline(spans, sel, 10);
  assert.equal(small.packBytes, [4, 7, 6], 'a span never splits: a new pack when it does not fit');
  assert.equal(small.packed.map((p) => [p.pack, p.packOff]), [[0, 0], [1, 0], [2, 0]]);
  assert.equal(packInline(spans, () => false, 10), { packed: [], packBytes: [] });
});

test.run();
