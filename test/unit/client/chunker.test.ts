/** chunkStream and fileChunks: exact chunk boundaries whatever the source's piece sizes; bytes in order. */
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkStream, fileChunks } from '../../../src/client/chunker.js';


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

test('fileChunks: 0, 1, exactly one chunk, one chunk + 1, content in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chunker-'));
  try {
    for (const [total, expected] of [[0, []], [1, [1]], [16, [16]], [17, [16, 1]], [50, [16, 16, 16, 2]]] as const) {
      const data = Buffer.from(Array.from({ length: total }, (_, i) => i % 251));
      const file = join(dir, `f${total}`);
      writeFileSync(file, data);
      const out: Buffer[] = [];
      for await (const c of fileChunks(file, 16)) out.push(c);
      assert.equal(out.map((c) => c.length), [...expected], `sizes of ${total} bytes`);
      assert.ok(Buffer.concat(out).equals(data), `bytes of ${total}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
