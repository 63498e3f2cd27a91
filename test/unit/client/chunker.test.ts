/** chunkStream: exact chunk boundaries whatever the source's piece sizes. */
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkStream } from '../../../src/client/chunker.js';


async function sizes(total: number, piece: number, chunk: number): Promise<number[]> {
  const data = Buffer.alloc(total, 7);
  const pieces: Buffer[] = [];
  for (let i = 0; i < total; i += piece) pieces.push(data.subarray(i, i + piece));
  const out: number[] = [];
  for await (const c of chunkStream(Readable.from(pieces), chunk)) out.push(c.length);
  return out;
}

test('0, 1, exactly one chunk, one chunk + 1', async () => {
  assert.equal(await sizes(0, 10, 16), []);
  assert.equal(await sizes(1, 10, 16), [1]);
  assert.equal(await sizes(16, 5, 16), [16]);
  assert.equal(await sizes(17, 5, 16), [16, 1]);
  assert.equal(await sizes(50, 64, 16), [16, 16, 16, 2]);
});

test('content is preserved in order', async () => {
  const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  const out: Buffer[] = [];
  for await (const c of chunkStream(Readable.from([data.subarray(0, 33), data.subarray(33)]), 30)) out.push(c);
  assert.equal(Buffer.concat(out), data);
});

test.run();
