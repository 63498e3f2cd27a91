import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BufferPool } from '../../../src/common/buffer-pool.js';

test('a given-back buffer is taken again; a view of one gives back the whole buffer', () => {
  const pool = new BufferPool(1024, 2);
  const a = pool.take();
  assert.is(a.length, 1024);
  pool.give(a.subarray(0, 10)); // a short last chunk
  const again = pool.take();
  assert.is(again.buffer, a.buffer);
  assert.is(again.length, 1024);
  assert.equal(pool.stats, { reused: 1, allocated: 1 });
});

test('foreign buffers, double gives and buffers beyond maxFree are left to the GC', () => {
  const pool = new BufferPool(1024, 2);
  pool.give(Buffer.alloc(1024));
  assert.is(pool.freeCount, 0, 'not made by this pool');
  const [a, b, c] = [pool.take(), pool.take(), pool.take()];
  pool.give(a);
  pool.give(a);
  assert.is(pool.freeCount, 1, 'given twice, kept once');
  pool.give(b);
  pool.give(c);
  assert.is(pool.freeCount, 2, 'at most maxFree');
  assert.is.not(pool.take().buffer, pool.take().buffer);
});

test.run();
