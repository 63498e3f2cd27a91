/** logEvery: the first event of a key is logged, then at most one line per interval carrying the held-back counts. */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { logEvery } from '../../../src/common/log-every.js';

const test = suite('log-every');

test('first event logs, the ones inside the interval are held and added to the next line', () => {
  const l = logEvery(5000);
  assert.equal(l.note('c2', 1000, 3), { events: 1, total: 3 });
  assert.is(l.note('c2', 2000, 4), null);
  assert.is(l.note('c2', 5999, 1), null);
  assert.equal(l.note('c3', 6000, 2), { events: 1, total: 2 }, 'keys are independent');
  assert.equal(l.note('c2', 6000, 5), { events: 3, total: 10 });
  assert.is(l.note('c2', 6001), null);
});

test('a clock that goes back logs instead of staying silent', () => {
  const l = logEvery(5000);
  l.note('k', 10_000);
  assert.ok(l.note('k', 9_000));
});

test('property: lines per key <= 1 + span / interval, and the logged totals plus what is held equal the sum', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(50_000), fc.integer({ min: 1, max: 9 })), { maxLength: 200 }), (steps) => {
    const l = logEvery(1000);
    let now = 0;
    let lines = 0;
    let logged = 0;
    let sum = 0;
    for (const [dt, amount] of steps) {
      now += dt % 3000;
      sum += amount;
      const line = l.note('k', now, amount);
      if (line) { lines++; logged += line.total; }
    }
    assert.ok(lines <= 1 + Math.floor(now / 1000));
    // what is still held is at most the events since the last line; all of them were counted once
    const flush = l.note('k', now + 1000, 0);
    assert.is(logged + (flush ? flush.total : 0), sum);
  }));
});

test('keeps at most maxKeys keys', () => {
  const l = logEvery(1000, 2);
  l.note('a', 0); l.note('b', 0); l.note('c', 0);
  assert.ok(l.note('a', 1), 'a was evicted, so it logs again');
});

test.run();
