// Unit tests of the hybrid logical clock, version vectors, keys and tags.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareHlc, receive, tick, after } from '../../../src/meta/hlc.js';
import { compareVV, mergeVV } from '../../../src/meta/version-vector.js';
import { entryKey, parseKey, userKey } from '../../../src/meta/keys.js';
import { addTags, mergeTags, removeTags, tagNames } from '../../../src/meta/tags.js';

test('tick follows the wall clock and never goes backwards', () => {
  const a = tick({ wallMs: 0, logical: 0, node: 'n' }, 100, 'n');
  assert.equal(a, { wallMs: 100, logical: 0, node: 'n' });
  assert.equal(tick(a, 100, 'n'), { wallMs: 100, logical: 1, node: 'n' });
  assert.equal(tick(a, 50, 'n'), { wallMs: 100, logical: 1, node: 'n' });
});

test('receive is after both clocks', () => {
  const local = { wallMs: 100, logical: 3, node: 'a' };
  const remote = { wallMs: 100, logical: 7, node: 'b' };
  assert.equal(receive(local, remote, 90), { wallMs: 100, logical: 8, node: 'a' });
  assert.equal(receive(local, { wallMs: 200, logical: 2, node: 'b' }, 90), { wallMs: 200, logical: 3, node: 'a' });
  assert.equal(receive(local, remote, 300), { wallMs: 300, logical: 0, node: 'a' });
  assert.equal(receive(local, { wallMs: 50, logical: 0, node: 'b' }, 90), { wallMs: 100, logical: 4, node: 'a' });
});

test('compareHlc orders by wall, logical, node; after() bumps', () => {
  assert.is(compareHlc({ wallMs: 1, logical: 9, node: 'z' }, { wallMs: 2, logical: 0, node: 'a' }), -1);
  assert.is(compareHlc({ wallMs: 2, logical: 1, node: 'a' }, { wallMs: 2, logical: 0, node: 'z' }), 1);
  assert.is(compareHlc({ wallMs: 2, logical: 1, node: 'a' }, { wallMs: 2, logical: 1, node: 'b' }), -1);
  assert.is(compareHlc({ wallMs: 2, logical: 1, node: 'a' }, { wallMs: 2, logical: 1, node: 'a' }), 0);
  assert.equal(after({ wallMs: 1, logical: 0, node: 'a' }, { wallMs: 5, logical: 2, node: 'b' }), { wallMs: 5, logical: 3, node: 'a' });
});

test('version vectors compare and merge', () => {
  assert.is(compareVV({ a: 1 }, { a: 1 }), 'equal');
  assert.is(compareVV({ a: 1 }, { a: 2 }), 'before');
  assert.is(compareVV({ a: 2, b: 1 }, { a: 2 }), 'after');
  assert.is(compareVV({ a: 2 }, { b: 1 }), 'concurrent');
  assert.is(compareVV({}, {}), 'equal');
  assert.equal(mergeVV({ b: 3, a: 1 }, { a: 2, c: 1 }), { a: 2, b: 3, c: 1 });
});

test('keys round-trip', () => {
  assert.is(entryKey('alice', '/x/y'), 'e\0alice\0/x/y');
  assert.equal(parseKey(entryKey('alice', '/x/y')), { type: 'entry', owner: 'alice', path: '/x/y' });
  assert.equal(parseKey(userKey('bob')), { type: 'user', name: 'bob' });
  assert.throws(() => parseKey('zz'), /Malformed/);
});

test('tags: concurrent add wins over remove; observed remove sticks', () => {
  const base = addTags({}, ['x'], ['a', 1]);
  const vvBase = { a: 1 };
  // b removes x having seen a:1; a concurrently re-adds x with a new dot a:2
  const removed = removeTags(base, ['x']);
  const vvRemoved = { a: 1, b: 2 };
  const readded = addTags(base, ['x'], ['a', 2]);
  const vvReadded = { a: 2 };
  assert.equal(tagNames(mergeTags(removed, vvRemoved, readded, vvReadded)), ['x']);
  // the remove against the original add alone: the remove wins
  assert.equal(tagNames(mergeTags(removed, vvRemoved, base, vvBase)), []);
  assert.equal(tagNames(mergeTags(base, vvBase, removed, vvRemoved)), []);
});

test.run();
