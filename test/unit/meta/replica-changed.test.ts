/**
 * decideRemote's `changed` (src/meta/replica.ts): a record whose merged version vector moved is
 * changed without comparing whole records; equal vectors still compare the canonical JSON, so a
 * duplicate delivery is unchanged and a differing record with an equal vector is still changed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideRemote } from '../../../src/meta/replica.js';
import type { DeadRecord } from '../../../src/meta/types.js';

const dead = (seq: number, wallMs: number, vv?: Record<string, number>): DeadRecord => ({
  type: 'dead', key: 'i/u/1', at: { wallMs, logical: 0, node: 'a' }, vv: vv ?? { a: seq }, hlc: { wallMs, logical: 0, node: 'a' },
});

test('a newer version is changed, the same one delivered twice is not', () => {
  assert.is(decideRemote(dead(1, 1000), dead(2, 2000)).changed, true);
  assert.equal(decideRemote(dead(1, 1000), dead(2, 2000)).record.vv, { a: 2 });
  assert.is(decideRemote(dead(2, 2000), dead(2, 2000)).changed, false);
  assert.is(decideRemote(dead(2, 2000), dead(1, 1000)).changed, false);
});

test('equal version vectors still compare the records', () => {
  // not made by a correct peer, but the decision must not assume it
  assert.is(decideRemote(dead(2, 1000), dead(2, 2000)).changed, true);
  // a vector with an explicit zero compares equal, but the merged record carries the entry: changed, as before
  assert.is(decideRemote(dead(2, 2000), dead(2, 2000, { a: 2, b: 0 })).changed, true);
});

test.run();
