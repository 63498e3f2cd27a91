/** The share of a read's deadline one replica attempt gets (attempt-share.ts). */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { attemptTimeoutMs } from '../../../src/client/attempt-share.js';

const test = suite('attempt share');
const o = { floorMs: 500, capMs: 30_000 };

test('an even share of what remains over the attempts left; the last gets the rest', () => {
  assert.is(attemptTimeoutMs(9000, 3, o), 3000);
  assert.is(attemptTimeoutMs(6000, 2, o), 3000);
  assert.is(attemptTimeoutMs(3000, 1, o), 3000);
});

test('a floor, but never past the deadline; a cap; nothing once the deadline passed', () => {
  assert.is(attemptTimeoutMs(900, 3, o), 500, 'floor');
  assert.is(attemptTimeoutMs(300, 3, o), 300, 'never more than remains');
  assert.is(attemptTimeoutMs(100_000, 1, o), 30_000, 'cap');
  assert.is(attemptTimeoutMs(0, 2, o), 0);
  assert.is(attemptTimeoutMs(-5, 2, o), 0);
  assert.is(attemptTimeoutMs(Number.NaN, 2, o), 0);
  assert.is(attemptTimeoutMs(1000, 0, o), 1000, 'zero attempts left counts as one');
});

test('attempts that each time out use at most the deadline, and the first at most its share', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 120_000 }), fc.integer({ min: 1, max: 8 }), (deadlineMs, replicas) => {
    let used = 0;
    for (let i = 0; i < replicas; i++) {
      const t = attemptTimeoutMs(deadlineMs - used, replicas - i, o);
      if (i === 0) assert.ok(t <= Math.max(o.floorMs, deadlineMs / replicas), 'the first costs at most its share');
      used += t;
    }
    assert.ok(used <= deadlineMs, `used ${used} of ${deadlineMs}`);
  }), { seed: 20261201, numRuns: 500 });
});

test.run();
