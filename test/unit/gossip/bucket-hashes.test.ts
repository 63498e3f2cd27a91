import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BucketHashes, bucketHashes } from '../../../src/controller/gossip/bucket-hashes.js';
import type { Fingerprinted } from '../../../src/controller/gossip/protocol.js';

const fp = (key: string, n: number): Fingerprinted => ({ key, type: 'link', vv: { c1: n }, hlc: { wallMs: n, logical: 0, node: 'c1' } } as Fingerprinted);

test('terms remembered by object: replacing a version by a copy of itself, or through copies, gives what hashing from scratch gives', () => {
  const b = new BucketHashes();
  const v1 = fp('l\0u\0x', 1);
  b.toggle(v1);
  b.toggle(fp('l\0u\0y', 1));
  const v2 = fp('l\0u\0x', 2);
  b.replace(v1, v2);
  b.replace({ ...v2 }, fp('l\0u\0x', 3)); // a copy (a record read back from SQL) is hashed afresh
  assert.equal(b.hashes(), bucketHashes([fp('l\0u\0x', 3), fp('l\0u\0y', 1)]));
  b.toggle(v1); // added again, then removed: the remembered term cancels itself
  b.toggle(v1);
  assert.equal(b.hashes(), bucketHashes([fp('l\0u\0x', 3), fp('l\0u\0y', 1)]));
});

test('replace: a new version takes its bucket from the version it replaces; versions of other keys are hashed as themselves', () => {
  const b = new BucketHashes();
  const x1 = fp('i\0u\0x', 1);
  const y1 = fp('i\0u\0y', 1);
  b.toggle(x1);
  b.toggle(y1);
  const x2 = fp('i\0u\0x', 2);
  const bucket = b.replace(x1, x2);
  assert.is(b.replace(x2, fp('i\0u\0x', 3)), bucket, 'the same key stays in its bucket');
  b.replace(y1, fp('i\0u\0z', 1)); // not a store's use, but a different key is not put in the old one's bucket
  assert.equal(b.hashes(), bucketHashes([fp('i\0u\0x', 3), fp('i\0u\0z', 1)]));
});

test.run();
