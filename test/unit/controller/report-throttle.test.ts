/** Bad-replica report throttling (src/controller/report-throttle.ts): per caller per window, one verify per replica per interval. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import { createReportThrottle } from '../../../src/controller/report-throttle.js';

const opts = { perCallerMax: 3, callerWindowMs: 60_000, replicaIntervalMs: 600_000, maxKeys: 4 };
const outcome = (fn: () => string): string => {
  try {
    return fn();
  } catch (err) {
    return err instanceof RedCloudError ? `${err.code}` : 'other';
  }
};

test('one verify per replica per interval, the rest coalesced; a caller past its budget is THROTTLED until the window ends', () => {
  let t = 0;
  const th = createReportThrottle(() => t, opts);
  const seen = Array.from({ length: 5 }, () => outcome(() => th.admit('alice', 'c1', 's1')));
  assert.equal(seen, ['verify', 'coalesced', 'coalesced', 'THROTTLED', 'THROTTLED']);
  assert.is(th.admit('bob', 'c1', 's1'), 'coalesced', 'bob has his own budget; the replica was just verified');
  assert.is(th.admit('bob', 'c1', 's2'), 'verify', 'another replica is another verification');
  t = 60_000;
  assert.is(th.admit('alice', 'c1', 's1'), 'coalesced', 'a new window, the same replica interval');
  t = 600_000;
  assert.is(th.admit('alice', 'c1', 's1'), 'verify', 'after the interval it may be verified again');
});

test('the THROTTLED error carries a retry-after within the window', () => {
  let t = 1000;
  const th = createReportThrottle(() => t, opts);
  for (let i = 0; i < 3; i++) th.admit('u', `c${i}`, 's');
  t = 31_000;
  try {
    th.admit('u', 'c9', 's');
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'THROTTLED');
    assert.is((err as RedCloudError).info?.retryAfterMs, 30_000);
  }
});

test('tables are bounded: an evicted replica may be verified again (never a wrong refusal)', () => {
  const th = createReportThrottle(() => 0, { ...opts, perCallerMax: 100 });
  for (let i = 0; i < 10; i++) assert.is(th.admit('u', `c${i}`, 's'), 'verify');
  assert.is(th.admit('u', 'c0', 's'), 'verify', 'c0 was dropped from the bounded table');
  assert.is(th.admit('u', 'c9', 's'), 'coalesced');
});

test.run();
