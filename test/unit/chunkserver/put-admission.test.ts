/** PUT admission (src/chunkserver/put-admission.ts): a bound per client address, releases idempotent, the in-flight count. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RedCloudError } from '../../../src/common/errors.js';
import { createPutAdmission } from '../../../src/chunkserver/put-admission.js';

test('a client past its bound is THROTTLED; others are not; a release makes room', () => {
  const a = createPutAdmission(2);
  const r1 = a.enter('10.0.0.1');
  a.enter('10.0.0.1');
  const err = (() => { try { a.enter('10.0.0.1'); } catch (e) { return e; } })();
  assert.ok(err instanceof RedCloudError && err.code === 'THROTTLED', 'third from the same client refused');
  a.enter('10.0.0.2');
  assert.is(a.inFlight(), 3);
  r1();
  r1();
  assert.is(a.inFlight(), 2, 'a second release does nothing');
  a.enter('10.0.0.1');
  assert.is(a.inFlight(), 3);
});

test('property: in flight never exceeds the bound per client and returns to 0 when all are released', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3 })), { maxLength: 200 }), (max, steps) => {
    const a = createPutAdmission(max);
    const held: Map<number, (() => void)[]> = new Map();
    for (const [enter, client] of steps) {
      const mine = held.get(client) ?? [];
      held.set(client, mine);
      if (enter) {
        try {
          mine.push(a.enter(`c${client}`));
        } catch {
          assert.is(mine.length, max, 'refused only at the bound');
        }
      } else mine.pop()?.();
      assert.ok(mine.length <= max);
    }
    for (const list of held.values()) for (const release of list) release();
    assert.is(a.inFlight(), 0);
  }));
});

test.run();
