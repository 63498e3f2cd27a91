/** Tag bounds (src/controller/tag-limits.ts): per file, per user, only growing changes checked. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RedCloudError } from '../../../src/common/errors.js';
import { checkTagChange } from '../../../src/controller/tag-limits.js';

const limits = { perFileMax: 3, perUserMax: 5 };
const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof RedCloudError ? `${err.code}:${String(err.info?.limit)}` : 'other';
  }
};

test('a file up to its bound, not beyond; re-adding present tags or swapping does not count', () => {
  assert.is(codeOf(() => checkTagChange(limits, [], ['a', 'b', 'c'], [], () => 0)), undefined);
  assert.is(codeOf(() => checkTagChange(limits, ['a', 'b', 'c'], ['d'], [], () => 3)), 'TOO_LARGE:3');
  assert.is(codeOf(() => checkTagChange(limits, ['a', 'b', 'c'], ['a', 'b'], [], () => 3)), undefined);
  assert.is(codeOf(() => checkTagChange(limits, ['a', 'b', 'c'], ['d'], ['a'], () => 3)), undefined);
});

test('the user bound counts pairs over all files and is only asked when the file grows', () => {
  assert.is(codeOf(() => checkTagChange(limits, ['x'], ['y'], [], () => 5)), 'TOO_LARGE:5');
  assert.is(codeOf(() => checkTagChange(limits, ['x'], ['y'], [], () => 4)), undefined);
  let asked = false;
  checkTagChange(limits, ['x', 'y'], [], ['x'], () => { asked = true; return 99; });
  assert.is(asked, false, 'removing never consults (or trips) the user bound');
});

test('property: an accepted change leaves the file within perFileMax or no larger than before', () => {
  const tag = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
  fc.assert(fc.property(fc.uniqueArray(tag), fc.array(tag), fc.array(tag), fc.integer({ min: 0, max: 10 }), (cur, add, remove, pairs) => {
    const after = new Set(cur);
    for (const t of remove) after.delete(t);
    for (const t of add) after.add(t);
    const ok = codeOf(() => checkTagChange(limits, cur, add, remove, () => pairs)) === undefined;
    if (ok) assert.ok(after.size <= cur.length || (after.size <= limits.perFileMax && pairs + after.size - cur.length <= limits.perUserMax));
    else assert.ok(after.size > cur.length);
  }));
});

test.run();
