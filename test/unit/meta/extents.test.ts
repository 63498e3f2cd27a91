/**
 * Extents (src/meta/extents.ts) against a flat byte-array model: random histories of writes
 * (a new chunk, or a slice of one), truncates, overlays of several writes at once (a commit of
 * several dirty ranges) and compactions, 20,000+ operations in all, the extents read back byte for
 * byte after every step; and the record form (toRecord / spansOf / extentsProblem), the range
 * helpers, and the refusals of bad peer input.
 * Replay a failure with EXTENTS_SEED=<seed> (printed by fast-check); more runs with EXTENTS_RUNS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  addRange, clip, clipRanges, extentsProblem, fragments, fromChunks, gaps, overlay, pieces, spansOf, splitRanges, toRecord, wholeChunks,
  type Ranges, type Span,
} from '../../../src/meta/extents.js';
import type { ChunkRef } from '../../../src/meta/types.js';

const SEED = process.env.EXTENTS_SEED ? Number(process.env.EXTENTS_SEED) : 20261201;
const RUNS = process.env.EXTENTS_RUNS ? Number(process.env.EXTENTS_RUNS) : 200;
const OPS = 100; // per run: RUNS × OPS = 20,000 operations
const MAX = 300;
const CELL = 64;

/** A chunk of the model: its bytes, named by a counter (a stand-in for the content hash). */
interface C extends ChunkRef {
  bytes: Uint8Array;
}
let counter = 0;
const chunkOf = (bytes: Uint8Array): C => ({ id: (counter++).toString(16).padStart(64, '0'), size: bytes.length, bytes });

/** The file the spans say, `size` bytes (holes are zeros). */
function materialize(spans: readonly Span<C>[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (const p of pieces(spans, 0, size)) if (p.chunk) out.set(p.chunk.bytes.subarray(p.chunkOff, p.chunkOff + p.len), p.off);
  return out;
}

function assertWellFormed(spans: readonly Span<C>[], size: number): void {
  let at = 0;
  for (const s of spans) {
    assert.ok(s.len > 0 && s.off >= at && s.chunkOff >= 0 && s.chunkOff + s.len <= s.chunk.size, `bad span ${JSON.stringify({ ...s, chunk: s.chunk.size })}`);
    at = s.off + s.len;
  }
  assert.ok(at <= size, `spans end at ${at} past ${size}`);
}

const op = fc.oneof(
  // pwrite of fresh bytes (a new chunk), possibly a slice of a bigger chunk
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), off: fc.nat(MAX), len: fc.integer({ min: 1, max: 80 }), pad: fc.nat(8), seed: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('multi' as const), offs: fc.array(fc.tuple(fc.nat(MAX), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 4 }), seed: fc.nat(255) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), size: fc.nat(MAX + 80) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const) }) },
);

function fill(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seed * 31 + i * 7 + 1) & 0xff || 1;
  return b;
}

test(`overlay and clip match a flat byte array over ${RUNS * OPS} random operations`, () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: OPS, maxLength: OPS }), (ops) => {
      let spans: Span<C>[] = [];
      let size = 0;
      let model = new Uint8Array(0);
      for (const o of ops) {
        if (o.kind === 'write') {
          const data = fill(o.len, o.seed);
          const chunk = chunkOf(new Uint8Array([...fill(o.pad, 9), ...data, ...fill(o.pad, 3)]));
          spans = overlay(spans, [{ off: o.off, len: o.len, chunk, chunkOff: o.pad }]);
          size = Math.max(size, o.off + o.len);
          const m = new Uint8Array(size);
          m.set(model);
          m.set(data, o.off);
          model = m;
        } else if (o.kind === 'multi') {
          // several dirty ranges committed at once: disjoint sorted ranges (later writes win in the model too)
          let ranges: Ranges = [];
          for (const [off, len] of o.offs) ranges = addRange(ranges, off, off + len);
          const top = ranges.map((r, i) => ({ off: r.off, len: r.len, chunk: chunkOf(fill(r.len, o.seed + i)), chunkOff: 0 }));
          spans = overlay(spans, top);
          for (const t of top) {
            size = Math.max(size, t.off + t.len);
            const m = new Uint8Array(size);
            m.set(model);
            m.set(t.chunk.bytes, t.off);
            model = m;
          }
        } else if (o.kind === 'truncate') {
          spans = clip(spans, o.size);
          const m = new Uint8Array(o.size);
          m.set(model.subarray(0, Math.min(o.size, model.length)));
          model = m;
          size = o.size;
        } else {
          // compaction: the file rewritten as whole cells, then read through the record form
          const whole: Span<C>[] = [];
          for (let off = 0; off < size; off += CELL) {
            const len = Math.min(CELL, size - off);
            whole.push({ off, len, chunk: chunkOf(materialize(spans, size).slice(off, off + len)), chunkOff: 0 });
          }
          spans = whole;
          assert.equal(fragments(spans, CELL), 0);
          assert.ok(wholeChunks(spans, size), 'a compacted file is a plain chunk list');
        }
        assertWellFormed(spans, size);
        assert.equal(materialize(spans, size), model);
        // the record form says the same bytes and passes validation
        const rec = toRecord(spans, size);
        assert.is(extentsProblem(rec.extents ?? [], rec.extents ? rec.chunks : [], rec.extents ? size : 0), undefined);
        const byId = new Map(spans.map((s) => [s.chunk.id, s.chunk]));
        const back = spansOf(rec.chunks.map((c) => byId.get(c.id)!), rec.extents);
        assert.equal(materialize(back, size), model);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('pieces of any range tile it exactly, holes included', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(MAX), fc.integer({ min: 1, max: 50 })), { maxLength: 12 }), fc.nat(MAX), fc.nat(100), (ws, from, n) => {
      let spans: Span<C>[] = [];
      for (const [off, len] of ws) spans = overlay(spans, [{ off, len, chunk: chunkOf(fill(len, off)), chunkOff: 0 }]);
      const ps = pieces(spans, from, from + n);
      let at = from;
      for (const p of ps) {
        assert.is(p.off, at);
        assert.ok(p.len > 0);
        at += p.len;
      }
      assert.is(at, from + n);
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test('an old chunk list is the extents at the sums of the sizes before each chunk', () => {
  const a = chunkOf(fill(4, 1));
  const b = chunkOf(fill(3, 2));
  const spans = fromChunks([a, b]);
  assert.equal(spans.map((s) => [s.off, s.len, s.chunkOff]), [[0, 4, 0], [4, 3, 0]]);
  assert.equal(spansOf([a, b], undefined), spans);
  assert.equal(toRecord(spans, 7), { chunks: [{ id: a.id, size: 4 }, { id: b.id, size: 3 }] });
  // a hole or a slice needs extents
  assert.ok(toRecord(spans, 9).extents);
  assert.ok(toRecord(clip(spans, 6), 6).extents);
});

test('range sets: add merges touching ranges, clip, split at cells, gaps', () => {
  let r: Ranges = [];
  r = addRange(r, 10, 20);
  r = addRange(r, 30, 40);
  r = addRange(r, 20, 25);
  assert.equal(r, [{ off: 10, len: 15 }, { off: 30, len: 10 }]);
  r = addRange(r, 5, 35);
  assert.equal(r, [{ off: 5, len: 35 }]);
  assert.equal(clipRanges([{ off: 0, len: 10 }, { off: 20, len: 5 }], 22), [{ off: 0, len: 10 }, { off: 20, len: 2 }]);
  assert.equal(splitRanges([{ off: 60, len: 80 }], 64), [{ off: 60, len: 4 }, { off: 64, len: 64 }, { off: 128, len: 12 }]);
  assert.equal(gaps([{ off: 10, len: 5 }, { off: 20, len: 5 }], 0, 30), [{ off: 0, len: 10 }, { off: 15, len: 5 }, { off: 25, len: 5 }]);
  assert.equal(gaps([], 3, 7), [{ off: 3, len: 4 }]);
});

test('extentsProblem refuses bad peer input', () => {
  const chunks = [{ size: 10 }, { size: 4 }];
  const ok = [{ off: 0, len: 10, chunk: 0, chunkOff: 0 }, { off: 12, len: 2, chunk: 1, chunkOff: 2 }];
  assert.is(extentsProblem(ok, chunks, 14), undefined);
  assert.ok(extentsProblem(ok, chunks, 13)?.includes('end by the size'));
  assert.ok(extentsProblem('x', chunks, 14));
  assert.ok(extentsProblem([{ ...ok[0], len: 0 }, ok[1]], chunks, 14)?.includes('len'));
  assert.ok(extentsProblem([ok[1], ok[0]], chunks, 14)?.includes('start at or after'));
  assert.ok(extentsProblem([ok[0], { ...ok[1], chunkOff: 3 }], chunks, 14)?.includes('inside its chunk'));
  assert.ok(extentsProblem([ok[0], { ...ok[1], chunk: 2 }], chunks, 14)?.includes('index'));
  assert.ok(extentsProblem([ok[0]], chunks, 14)?.includes('every chunk'));
  assert.ok(extentsProblem([ok[0], { ...ok[1], extra: 1 }], chunks, 14)?.includes('exactly'));
  assert.ok(extentsProblem([ok[0], { ...ok[1], off: -1 }], chunks, 14));
  assert.ok(extentsProblem([ok[0], { ...ok[1], off: 1.5 }], chunks, 14));
  assert.ok(extentsProblem(new Array(100_001).fill(ok[0]), chunks, 14)?.includes('at most'));
});

test.run();
