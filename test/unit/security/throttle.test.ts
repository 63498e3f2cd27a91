// Login throttling logic with a fake clock: thresholds per user and per address, growing and
// capped windows, success clearing the user, forgetting idle keys, and the table bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import { createLoginThrottle } from '../../../src/controller/throttle.js';

function setup(opts = {}) {
  const clock = { ms: 1_000_000 };
  const t = createLoginThrottle(() => clock.ms, { userMaxFailures: 5, addressMaxFailures: 20, baseWindowMs: 1000, maxWindowMs: 8000, forgetAfterMs: 60_000, ...opts });
  return { clock, t };
}

function retryAfter(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'THROTTLED');
    assert.is((err as RedCloudError).status, 429);
    return (err as RedCloudError).info!.retryAfterMs as number;
  }
}

const alice = { user: 'alice', address: '127.0.0.1' };

test('four failures are free; the fifth locks the user for the base window', () => {
  const { t, clock } = setup();
  for (let i = 0; i < 4; i++) {
    t.recordFailure(alice);
    assert.is(retryAfter(() => t.check(alice)), undefined);
  }
  t.recordFailure(alice);
  assert.is(retryAfter(() => t.check(alice)), 1000);
  clock.ms += 400;
  assert.is(retryAfter(() => t.check(alice)), 600);
  clock.ms += 600;
  assert.is(retryAfter(() => t.check(alice)), undefined);
});

test('each further failure doubles the window, up to the cap', () => {
  const { t } = setup();
  const windows: number[] = [];
  for (let i = 0; i < 9; i++) {
    t.recordFailure(alice);
    windows.push(retryAfter(() => t.check(alice)) ?? 0);
  }
  assert.equal(windows, [0, 0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
});

test('the lock is per user: another user from another address is not affected', () => {
  const { t } = setup();
  for (let i = 0; i < 5; i++) t.recordFailure(alice);
  assert.is(retryAfter(() => t.check({ user: 'bob', address: '127.0.0.2' })), undefined);
  assert.is(retryAfter(() => t.check({ user: 'alice', address: '127.0.0.2' })), 1000);
});

test('an address guessing many user names is locked after its own threshold', () => {
  const { t } = setup();
  for (let i = 0; i < 19; i++) t.recordFailure({ user: `u${i}`, address: '10.0.0.9' });
  assert.is(retryAfter(() => t.check({ user: 'fresh', address: '10.0.0.9' })), undefined);
  t.recordFailure({ user: 'u19', address: '10.0.0.9' });
  assert.is(retryAfter(() => t.check({ user: 'fresh', address: '10.0.0.9' })), 1000);
  assert.is(retryAfter(() => t.check({ user: 'fresh', address: '10.0.0.10' })), undefined);
});

test('a success clears the user count (not the address count)', () => {
  const { t } = setup();
  for (let i = 0; i < 4; i++) t.recordFailure(alice);
  t.recordSuccess(alice);
  for (let i = 0; i < 4; i++) t.recordFailure(alice);
  assert.is(retryAfter(() => t.check(alice)), undefined);
  assert.is(t.size(), 2);
});

test('failures older than forgetAfterMs are forgotten', () => {
  const { t, clock } = setup();
  for (let i = 0; i < 4; i++) t.recordFailure(alice);
  clock.ms += 60_000;
  t.recordFailure(alice);
  assert.is(retryAfter(() => t.check(alice)), undefined);
});

test('the table is bounded: the stalest keys go first', () => {
  const { t } = setup({ maxKeys: 10 });
  for (let i = 0; i < 50; i++) t.recordFailure({ user: `u${i}`, address: `a${i}` });
  assert.is(t.size(), 10);
});

test.run();
