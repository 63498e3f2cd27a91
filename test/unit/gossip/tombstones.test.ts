/** The tombstone collection rule: TTL passed and every known peer's digest covers the key's writes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { collectableTombstones, coversWrites } from '../../../src/controller/gossip/tombstones.js';

const TTL = 1000;
const old = { key: 'e\0alice\0/old', deletedAtMs: 0, writes: { c1: 5, c2: 3 } };
const young = { key: 'e\0alice\0/young', deletedAtMs: 1500, writes: { c1: 6 } };

test('coversWrites compares every origin, a missing origin counts as 0', () => {
  assert.is(coversWrites({ c1: 5, c2: 3 }, { c1: 5, c2: 3 }), true);
  assert.is(coversWrites({ c1: 9, c2: 2 }, { c1: 5, c2: 3 }), false);
  assert.is(coversWrites({ c1: 9 }, { c2: 1 }), false);
  assert.is(coversWrites({}, {}), true);
});

test('collected only after the TTL, when every peer has the writes', () => {
  const peers = [{ id: 'c2', digest: { c1: 10, c2: 3 } }, { id: 'c3', digest: { c1: 6, c2: 4 } }];
  assert.equal(collectableTombstones([old, young], peers, 2000, TTL), [old.key]);
  assert.equal(collectableTombstones([old, young], peers, 2500, TTL), [old.key, young.key]);
  assert.equal(collectableTombstones([old, young], peers, 999, TTL), []);
});

test('one peer lacking a write of the key keeps the tombstone', () => {
  const peers = [{ id: 'c2', digest: { c1: 10, c2: 3 } }, { id: 'c3', digest: { c1: 4, c2: 9 } }];
  assert.equal(collectableTombstones([old, young], peers, 10_000, TTL), []);
  const lacksC2 = [{ id: 'c2', digest: { c1: 10, c2: 2 } }];
  assert.equal(collectableTombstones([old, young], lacksC2, 10_000, TTL), [young.key]);
});

test('a peer whose digest is unknown blocks every collection; no peers means TTL alone', () => {
  assert.equal(collectableTombstones([old], [{ id: 'c2', digest: { c1: 99, c2: 99 } }, { id: 'c9' }], 10_000, TTL), []);
  assert.equal(collectableTombstones([old, young], [], 2000, TTL), [old.key]);
});

test.run();
