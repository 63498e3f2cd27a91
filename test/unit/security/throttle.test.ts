// Login throttling logic with a fake clock (src/controller/throttle.ts): attempts counted when they
// arrive (before any password check), thresholds per user and per address, growing and capped
// windows, concurrent attempts bounded, a success clearing the user, counts and locks absorbed
// from other controllers, forgetting idle keys, the table bound, and the registration rate limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RedCloudError } from '../../../src/common/errors.js';
import { createLoginThrottle, createRateLimit, type LoginAttempt, type LoginThrottle } from '../../../src/controller/throttle.js';

function setup(opts = {}) {
  const clock = { ms: 1_000_000 };
  const t = createLoginThrottle(() => clock.ms, { userMaxFailures: 5, addressMaxFailures: 20, baseWindowMs: 1000, maxWindowMs: 8000, forgetAfterMs: 60_000, ...opts });
  return { clock, t };
}

function throttled(fn: () => unknown): RedCloudError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'THROTTLED');
    assert.is((err as RedCloudError).status, 429);
    return err as RedCloudError;
  }
}

/** One checked attempt with the wrong password. */
const fail = (t: LoginThrottle, a: LoginAttempt): void => t.begin(a).done(false);

const alice = { user: 'alice', address: '127.0.0.1' };

test('an attempt is counted when it starts: the fifth locks the user for the base window, even while it is still being checked', () => {
  const { t, clock } = setup();
  for (let i = 0; i < 4; i++) {
    fail(t, alice);
    assert.is(t.lockedForMs(alice), 0);
  }
  const fifth = t.begin(alice);
  assert.equal(fifth.locked, ['u:alice'], 'the fifth attempt reports the lock it started (logged once)');
  assert.is(t.lockedForMs(alice), 1000, 'locked before the fifth password is checked');
  const refused = throttled(() => t.begin(alice))!;
  assert.is(refused.info!.retryAfterMs, 1000);
  assert.equal((refused as unknown as { lockedKeys: string[] }).lockedKeys, [], 'a refusal while locked starts no lock (nothing to log)');
  assert.equal(Object.keys(refused.info!), ['retryAfterMs'], 'the client is told only when to retry');
  fifth.done(false);
  clock.ms += 400;
  assert.is(t.lockedForMs(alice), 600);
  clock.ms += 600;
  assert.is(t.lockedForMs(alice), 0);
});

test('each further attempt doubles the window, up to the cap', () => {
  const { t, clock } = setup();
  const windows: number[] = [];
  for (let i = 0; i < 9; i++) {
    fail(t, alice);
    windows.push(t.lockedForMs(alice));
    clock.ms += windows[i]!; // wait the lock out, then try again
  }
  assert.equal(windows, [0, 0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
});

test('64 concurrent attempts: at most userMaxConcurrent are checked, the rest refused, and the user is locked', () => {
  const { t } = setup({ userMaxConcurrent: 2 });
  const admitted = [];
  let refused = 0;
  for (let i = 0; i < 64; i++) {
    try {
      admitted.push(t.begin({ user: 'alice', address: `10.0.0.${i}` }));
    } catch (err) {
      assert.is((err as RedCloudError).code, 'THROTTLED');
      refused++;
    }
  }
  assert.is(admitted.length, 2);
  assert.is(refused, 62);
  assert.ok(t.lockedForMs(alice) > 0, 'the attempts refused for concurrency still count: locked');
  admitted[0]!.done(false);
  admitted[1]!.done(true); // an admitted right password (the owner came first) clears the user
  assert.is(t.lockedForMs(alice), 0);
});

test('the concurrency bound is per key and frees up when an attempt finishes', () => {
  const { t } = setup({ userMaxConcurrent: 1, userMaxFailures: 100 });
  const first = t.begin(alice);
  assert.ok(throttled(() => t.begin(alice)), 'a second concurrent attempt of alice is refused');
  const bob = t.begin({ user: 'bob', address: '127.0.0.1' });
  first.done(false);
  first.done(false); // idempotent
  t.begin(alice).done(false);
  bob.done(false);
});

test('the lock is per user: another user from another address is not affected', () => {
  const { t } = setup();
  for (let i = 0; i < 5; i++) fail(t, alice);
  assert.is(t.lockedForMs({ user: 'bob', address: '127.0.0.2' }), 0);
  assert.is(t.lockedForMs({ user: 'alice', address: '127.0.0.2' }), 1000);
});

test('an address guessing many user names is locked after its own threshold', () => {
  const { t } = setup();
  for (let i = 0; i < 19; i++) fail(t, { user: `u${i}`, address: '10.0.0.9' });
  assert.is(t.lockedForMs({ user: 'fresh', address: '10.0.0.9' }), 0);
  fail(t, { user: 'u19', address: '10.0.0.9' });
  assert.is(t.lockedForMs({ user: 'fresh', address: '10.0.0.9' }), 1000);
  assert.is(t.lockedForMs({ user: 'fresh', address: '10.0.0.10' }), 0);
});

test('a success clears the user count and is not held against the address', () => {
  const { t } = setup();
  for (let i = 0; i < 4; i++) fail(t, alice);
  t.begin(alice).done(true);
  for (let i = 0; i < 4; i++) fail(t, alice);
  assert.is(t.lockedForMs(alice), 0);
  for (let i = 0; i < 30; i++) t.begin({ user: `ok${i}`, address: '10.1.1.1' }).done(true);
  assert.is(t.lockedForMs({ user: 'x', address: '10.1.1.1' }), 0, '30 successful logins from one address lock nothing');
});

test('attempts counted elsewhere add up here; a lock reported elsewhere holds here, capped at maxWindowMs', () => {
  const here = setup();
  const there = setup();
  for (let i = 0; i < 3; i++) fail(there.t, alice);
  const deltas = there.t.drain(100);
  assert.equal(deltas.map((d) => [d.key, d.add]).sort(), [['a:127.0.0.1', 3], ['u:alice', 3]]);
  assert.equal(there.t.drain(100), [], 'drained once');
  for (const d of deltas) here.t.absorb(d);
  fail(here.t, alice);
  assert.is(here.t.lockedForMs(alice), 0, '4 in all');
  fail(here.t, alice);
  assert.is(here.t.lockedForMs(alice), 1000, '3 there + 2 here = 5: locked');
  const other = setup();
  other.t.absorb({ key: 'u:alice', add: 0, lockedForMs: 3_600_000 });
  assert.is(other.t.lockedForMs(alice), 8000, 'a peer cannot impose more than the cap');
  assert.equal(here.t.drain(100, true).find((d) => d.key === 'u:alice')?.lockedForMs, 1000, 'locked keys are resent with withLocks');
  assert.equal(here.t.drain(100, false), [], 'but not without');
});

test('successes are not sent; a user\'s success resets the user\'s count on the peers', () => {
  const here = setup();
  const there = setup();
  for (let i = 0; i < 30; i++) there.t.begin({ user: `ok${i}`, address: '10.1.1.1' }).done(true);
  assert.ok(there.t.drain(100).every((d) => d.add === 0 && d.reset === true && d.key.startsWith('u:')), 'only resets of users');
  for (let i = 0; i < 4; i++) fail(there.t, alice);
  for (const d of there.t.drain(100)) here.t.absorb(d);
  fail(here.t, alice);
  assert.ok(here.t.lockedForMs(alice) > 0, '4 there + 1 here');
  const elsewhere = setup();
  elsewhere.t.absorb({ key: 'u:alice', add: 4, lockedForMs: 0 });
  const third = setup();
  third.t.begin(alice).done(true);
  for (const d of third.t.drain(100)) elsewhere.t.absorb(d);
  fail(elsewhere.t, alice);
  assert.is(elsewhere.t.lockedForMs(alice), 0, 'the reset forgot the 4 earlier attempts');
});

test('property: however attempts interleave, no more than userMaxFailures passwords of a user are checked per lock window', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxLength: 200 }), (script) => {
    const { t } = setup({ userMaxConcurrent: 3, addressMaxFailures: 10_000 });
    const open: { done(ok: boolean): void }[] = [];
    let checked = 0;
    for (const [op, finish] of script) {
      if (finish && open.length > 0) open.shift()!.done(false);
      try {
        open.push(t.begin({ user: 'alice', address: `10.0.0.${op}` }));
        checked++;
      } catch { /* refused */ }
    }
    return checked <= 5; // the clock never moves: one lock window
  }));
});

test('failures older than forgetAfterMs are forgotten', () => {
  const { t, clock } = setup();
  for (let i = 0; i < 4; i++) fail(t, alice);
  clock.ms += 60_000;
  fail(t, alice);
  assert.is(t.lockedForMs(alice), 0);
});

test('the table is bounded: the stalest keys go first', () => {
  const { t } = setup({ maxKeys: 10 });
  for (let i = 0; i < 50; i++) fail(t, { user: `u${i}`, address: `a${i}` });
  assert.is(t.size(), 10);
});

test('registrations: at most max per address per window', () => {
  const clock = { ms: 0 };
  const r = createRateLimit(() => clock.ms, 3, 60_000);
  for (let i = 0; i < 3; i++) r.take('1.2.3.4');
  const err = throttled(() => r.take('1.2.3.4'))!;
  assert.is(err.info!.retryAfterMs, 60_000);
  r.take('1.2.3.5');
  clock.ms += 60_000;
  r.take('1.2.3.4');
});

test.run();
