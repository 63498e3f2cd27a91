/**
 * The block-hash tree (chunk-format.ts): ids per format, the streaming hasher against the
 * one-shot functions for every way of cutting the bytes, block spans, block checks, and that a
 * flipped byte in any block changes the id and is found in exactly that block.
 */
import { createHash, randomBytes } from 'node:crypto';
import { blake3 } from '@napi-rs/blake-hash';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BLOCK_BYTES, ChunkHasher, blockCount, blockHashesOf, blockSpan, chunkIdOf, firstBadBlock, formatFromHeader, formatMatching, treeIdOf,
} from '../../../src/common/chunk-format.js';
import { seededRandom } from '../../helpers/prng.js';

const SEED = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);

test('v1 ids are the SHA-256 of the whole bytes, as before blocks', () => {
  const data = randomBytes(100_000);
  assert.is(chunkIdOf('sha256', data), createHash('sha256').update(data).digest('hex'));
});

test('a b3-64k id is BLAKE3 over the domain, the size and the BLAKE3 of each 64 KiB block', () => {
  const data = randomBytes(2 * BLOCK_BYTES + 5);
  const blocks = [0, 1, 2].map((i) => blake3(data.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES)));
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(data.length));
  const want = blake3(Buffer.concat([Buffer.from('redcloud/chunk/b3-64k\n'), size, ...blocks])).toString('hex');
  assert.is(chunkIdOf('b3-64k', data), want);
  assert.equal(blockHashesOf('b3-64k', data), Buffer.concat(blocks));
  assert.is(treeIdOf('b3-64k', data.length, Buffer.concat(blocks)), want);
});

test('formats give different ids for the same bytes, and every id is 64 lower-case hex', () => {
  for (const n of [0, 1, BLOCK_BYTES, 4 * 1024 * 1024]) {
    const data = randomBytes(n);
    const ids = (['sha256', 'b3-64k', 's256-64k'] as const).map((f) => chunkIdOf(f, data));
    assert.is(new Set(ids).size, 3, `${n} bytes`);
    for (const id of ids) assert.match(id, /^[0-9a-f]{64}$/);
  }
});

test('the size is part of the id: a chunk and the same chunk with trailing zeros differ', () => {
  const a = Buffer.alloc(1000, 0);
  assert.is.not(chunkIdOf('b3-64k', a), chunkIdOf('b3-64k', Buffer.alloc(1001, 0)));
  // a chunk whose bytes are another chunk's block list does not share its id
  const big = randomBytes(3 * BLOCK_BYTES);
  assert.is.not(chunkIdOf('b3-64k', blockHashesOf('b3-64k', big)), chunkIdOf('b3-64k', big));
});

test(`the streaming hasher equals the one-shot ids whatever the piece sizes (seed ${SEED})`, () => {
  const rnd = seededRandom(SEED);
  for (let round = 0; round < 40; round++) {
    const size = Math.floor(rnd() * 5 * BLOCK_BYTES);
    const data = randomBytes(size);
    for (const format of ['sha256', 'b3-64k', 's256-64k'] as const) {
      const h = new ChunkHasher(format);
      let at = 0;
      while (at < size) {
        const n = Math.min(size - at, 1 + Math.floor(rnd() * (rnd() < 0.3 ? 3 * BLOCK_BYTES : 5000)));
        h.update(data.subarray(at, at + n));
        at += n;
      }
      assert.is(h.bytes, size);
      assert.is(h.digestHex(), chunkIdOf(format, data), `seed ${SEED} round ${round} ${format} size ${size}`);
      if (format !== 'sha256') assert.equal(h.blocks(), blockHashesOf(format, data));
    }
  }
});

test('blockSpan: the whole blocks covering a range, the last one short at the end of the chunk', () => {
  const size = 3 * BLOCK_BYTES + 100;
  assert.equal(blockSpan(size, 0, 1), { first: 0, last: 0, start: 0, end: BLOCK_BYTES });
  assert.equal(blockSpan(size, BLOCK_BYTES - 1, BLOCK_BYTES + 1), { first: 0, last: 1, start: 0, end: 2 * BLOCK_BYTES });
  assert.equal(blockSpan(size, 3 * BLOCK_BYTES + 5, size), { first: 3, last: 3, start: 3 * BLOCK_BYTES, end: size });
  assert.equal(blockSpan(size, 0, size), { first: 0, last: 3, start: 0, end: size });
  for (const [a, b] of [[0, 0], [-1, 5], [5, size + 1], [9, 3]]) assert.throws(() => blockSpan(size, a!, b!));
  assert.is(blockCount(0), 0);
  assert.is(blockCount(size), 4);
});

test('a flipped byte in any block changes the id and is caught in exactly that block', () => {
  const data = randomBytes(4 * BLOCK_BYTES + 777);
  const id = chunkIdOf('b3-64k', data);
  const list = blockHashesOf('b3-64k', data);
  for (const at of [0, BLOCK_BYTES - 1, BLOCK_BYTES, 2 * BLOCK_BYTES + 12345, data.length - 1]) {
    const bad = Buffer.from(data);
    bad[at] ^= 0x01;
    assert.is.not(chunkIdOf('b3-64k', bad), id);
    assert.is(formatMatching(id, bad), undefined);
    const block = Math.floor(at / BLOCK_BYTES);
    const span = blockSpan(data.length, block * BLOCK_BYTES, Math.min(data.length, (block + 1) * BLOCK_BYTES));
    assert.is(firstBadBlock('b3-64k', list, span.first, bad.subarray(span.start, span.end)), block);
    const all = blockSpan(data.length, 0, data.length);
    assert.is(firstBadBlock('b3-64k', list, all.first, bad), block);
    assert.is(firstBadBlock('b3-64k', list, all.first, data), -1);
  }
});

test('formatMatching finds the format an id is in, from any hint; formatFromHeader defaults to v1', () => {
  const data = randomBytes(70_000);
  for (const f of ['sha256', 'b3-64k', 's256-64k'] as const) {
    const id = chunkIdOf(f, data);
    for (const hint of [undefined, 'sha256', 'b3-64k', 's256-64k'] as const) assert.is(formatMatching(id, data, hint), f);
  }
  assert.is(formatFromHeader(undefined), 'sha256');
  assert.is(formatFromHeader(null), 'sha256');
  assert.is(formatFromHeader('b3-64k'), 'b3-64k');
  assert.is(formatFromHeader('md5'), undefined);
});

test.run();
