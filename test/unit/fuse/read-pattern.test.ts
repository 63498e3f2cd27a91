/** The read path's pure parts: which chunk pieces cover a read, when a reader counts as sequential, replica rotation. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlanChunk } from '../../../src/common/api.js';
import { coveringPieces } from '../../../fuse/read-pieces.js';
import { ReadPattern, WHOLE_SMALL_CHUNK_BYTES, fetchWhole, rotated } from '../../../fuse/read-pattern.js';
import { seededRandom } from '../../helpers/prng.js';

const test = suite('fuse read pattern');
const MiB = 1024 * 1024;

const chunk = (offset: number, size: number): ReadPlanChunk => ({ id: `c${offset}`, size, offset, locations: [], cap: 'x' });

test('pieces of a read inside one chunk, across two, at the end and past it', () => {
  const chunks = [chunk(0, 4 * MiB), chunk(4 * MiB, 4 * MiB), chunk(8 * MiB, 100)];
  const one = coveringPieces(chunks, 5 * MiB, 5 * MiB + 4096);
  assert.equal(one.map((p) => [p.index, p.from, p.to]), [[1, MiB, MiB + 4096]]);
  const two = coveringPieces(chunks, 4 * MiB - 10, 4 * MiB + 10);
  assert.equal(two.map((p) => [p.index, p.from, p.to]), [[0, 4 * MiB - 10, 4 * MiB], [1, 0, 10]]);
  assert.equal(coveringPieces(chunks, 8 * MiB + 50, 8 * MiB + 100).map((p) => [p.index, p.from, p.to]), [[2, 50, 100]]);
  assert.equal(coveringPieces(chunks, 9 * MiB, 9 * MiB + 1), []);
  assert.equal(coveringPieces(chunks, 10, 10), []);
});

test('a reader from offset 0 on is sequential from its second read; out-of-order arrivals keep it so', () => {
  const p = new ReadPattern();
  assert.is(p.observe(0, 128 * 1024), false);
  assert.is(p.observe(128 * 1024, MiB), true);
  assert.is(p.observe(2 * MiB, 3 * MiB), true, 'the later piece first');
  assert.is(p.observe(MiB, 2 * MiB), true, 'then the earlier one');
  assert.is(p.observe(3 * MiB, 4 * MiB), true);
});

test('random 4 KiB reads are not sequential, even when two land close together', () => {
  const p = new ReadPattern();
  assert.is(p.observe(100 * MiB, 100 * MiB + 4096), false);
  assert.is(p.observe(101 * MiB, 101 * MiB + 4096), false, 'one read near the last is not yet a run');
  assert.is(p.observe(50 * MiB, 50 * MiB + 4096), false);
  const rnd = seededRandom(7);
  const q = new ReadPattern();
  let sequential = 0;
  for (let i = 0; i < 10_000; i++) {
    const off = Math.floor(rnd() * (1024 * MiB / 4096)) * 4096;
    if (q.observe(off, off + 4096)) sequential++;
  }
  // 1 GiB file, 4 MiB window: a run of three is (4/1024)^2 ≈ 1.5e-5 per read
  assert.ok(sequential <= 2, `${sequential} of 10,000 random reads taken as sequential`);
});

test('a jump away ends the run; reading on from there starts a new one', () => {
  const p = new ReadPattern();
  p.observe(0, MiB);
  assert.is(p.observe(MiB, 2 * MiB), true);
  assert.is(p.observe(500 * MiB, 501 * MiB), false);
  assert.is(p.observe(501 * MiB, 502 * MiB), false);
  assert.is(p.observe(502 * MiB, 503 * MiB), true);
});

test('rotated: chunk k starts at replica k mod n', () => {
  assert.equal(rotated(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.equal(rotated(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.equal(rotated(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
  assert.equal(rotated(['a'], 3), ['a']);
  assert.equal(rotated([], 3), []);
});

test('a read from the first byte of a small chunk fetches it whole; elsewhere only sequential readers do', () => {
  assert.ok(fetchWhole(true, 12345, 4 * MiB), 'sequential: whole');
  assert.ok(fetchWhole(false, 0, 200 * 1024), 'first byte of a 200 KiB chunk: whole (one GET)');
  assert.ok(fetchWhole(false, 0, WHOLE_SMALL_CHUNK_BYTES), 'the bound itself');
  assert.not.ok(fetchWhole(false, 0, WHOLE_SMALL_CHUNK_BYTES + 1), 'a bigger chunk: its blocks only');
  assert.not.ok(fetchWhole(false, 0, 4 * MiB), 'a 4 MiB chunk read at 0 (a database header): its blocks only');
  assert.not.ok(fetchWhole(false, 4096, 200 * 1024), 'a random read inside a small chunk: its blocks only');
});

test.run();
