/**
 * The mount's RAM read cache (fuse/chunk-cache.ts) and FileReader.readInto: blocks of random reads
 * kept and served again, chunk buffers reused after eviction without corrupting what a reader
 * still holds, and reads straight into the kernel's buffer that match `read` and write nothing
 * once their deadline passed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { ReadPlan, ReadPlanChunk } from '../../../src/common/api.js';
import { BLOCK_BYTES } from '../../../src/common/chunk-format.js';
import { silentLogger } from '../../../src/common/logger.js';
import type { RedCloudClient } from '../../../src/client/types.js';
import { ChunkCache, REUSED_BUFFER_MIN_BYTES } from '../../../fuse/chunk-cache.js';
import { FileReader } from '../../../fuse/file-reader.js';
import { FakeClient } from '../../helpers/fake-client.js';
import { pattern } from './helpers.js';

const logger = silentLogger();
const MIB = REUSED_BUFFER_MIN_BYTES;

async function planOf(client: FakeClient, path: string, data: Buffer): Promise<ReadPlan> {
  client.putFile(path, data);
  return client.readPlan(path);
}

test('random reads: the blocks fetched are kept, a second read in them costs no fetch', async () => {
  const client = new FakeClient(MIB);
  const data = pattern(MIB, 3);
  const [c0] = (await planOf(client, '/f', data)).chunks;
  const cache = new ChunkCache({ client, logger }, { capacityBytes: 8 * MIB, readAheadChunks: 0, fetchTimeoutMs: 5000 });
  const at = 5 * BLOCK_BYTES + 100;
  assert.ok((await cache.read(c0!, at, at + 4096, { whole: false })).equals(data.subarray(at, at + 4096)));
  assert.ok((await cache.read(c0!, at + 8192, at + 12288, { whole: false })).equals(data.subarray(at + 8192, at + 12288)), 'same block');
  assert.is(client.calls.fetchRange, 1);
  assert.is(cache.stats.blockHits, 1);
  const across = 7 * BLOCK_BYTES - 10;
  assert.ok((await cache.read(c0!, across, across + 20, { whole: false })).equals(data.subarray(across, across + 20)));
  assert.is(client.calls.fetchRange, 2, 'blocks 6 and 7: not all kept, fetched');
  assert.ok((await cache.read(c0!, across + 5, across + 15, { whole: false })).equals(data.subarray(across + 5, across + 15)));
  assert.is(client.calls.fetchRange, 2, 'both blocks kept now');
  await cache.stop();
});

test('evicted chunk buffers are reused, and bytes a reader kept from one stay what they were', async () => {
  const client = new FakeClient(MIB);
  const data = pattern(6 * MIB, 4);
  const { chunks } = await planOf(client, '/f', data);
  const cache = new ChunkCache({ client, logger }, { capacityBytes: 2 * MIB, readAheadChunks: 0, fetchTimeoutMs: 5000 });
  const kept = await cache.read(chunks[0]!, 100, 200_000);
  for (const c of chunks.slice(1)) await cache.read(c, 0, 10);
  assert.ok(cache.stats.buffersReused >= 3, `reused ${cache.stats.buffersReused}`);
  assert.ok(kept.equals(data.subarray(100, 200_000)), 'a read is a copy, not a view of a reused buffer');
  const whole = await cache.get(chunks[5]!);
  for (const c of chunks.slice(0, 4)) await cache.read(c, 0, 10);
  assert.ok(whole.equals(data.subarray(5 * MIB, 6 * MIB)), 'a chunk handed out whole is never reused');
  await cache.stop();
});

test('readInto gives the bytes read gives, for any range, in chunks and in extents', async () => {
  const client = new FakeClient(MIB);
  const data = pattern(3 * MIB + 777, 5);
  const plan = await planOf(client, '/f', data);
  const cache = new ChunkCache({ client, logger }, { capacityBytes: 2 * MIB, readAheadChunks: 1, fetchTimeoutMs: 5000 });
  const extents: ReadPlan = {
    ...plan,
    // chunk 0, a hole of 4 KiB, then chunk 1 from its byte 4096 and chunk 2 whole
    extents: [
      { off: 0, len: MIB, chunk: 0, chunkOff: 0 },
      { off: MIB + 4096, len: MIB - 4096, chunk: 1, chunkOff: 4096 },
      { off: 2 * MIB, len: MIB, chunk: 2, chunkOff: 0 },
      { off: 3 * MIB, len: 777, chunk: 3, chunkOff: 0 },
    ],
  };
  for (const p of [plan, extents]) {
    const reader = new FileReader('/f', p, cache, client as unknown as RedCloudClient);
    const signal = new AbortController().signal;
    await fc.assert(fc.asyncProperty(fc.nat(3 * MIB + 1000), fc.integer({ min: 1, max: 300_000 }), async (offset, length) => {
      const dest = Buffer.alloc(length, 0xee);
      const n = await reader.readInto(dest, offset, length, signal);
      const want = await reader.read(offset, length, signal);
      assert.is(n, want.length);
      assert.ok(dest.subarray(0, n).equals(want));
    }), { numRuns: 60, seed: 42 });
  }
  await cache.stop();
});

test('readInto writes nothing into the buffer once its read timed out', async () => {
  const data = pattern(2 * MIB, 6);
  const fake = new FakeClient(MIB);
  const plan = await planOf(fake, '/f', data);
  let release: () => void = () => {};
  const held = new Promise<void>((r) => { release = r; });
  // chunk 1 arrives only when released; chunk 0 at once
  const client = {
    fetchChunk: async (chunk: ReadPlanChunk, o?: { into?: Buffer }) => {
      if (chunk.id === plan.chunks[1]!.id) await held;
      return fake.fetchChunk(chunk, o);
    },
  } as unknown as RedCloudClient;
  const cache = new ChunkCache({ client, logger }, { capacityBytes: 8 * MIB, readAheadChunks: 0, fetchTimeoutMs: 5000 });
  const reader = new FileReader('/f', plan, cache, client);
  await reader.read(0, 10, new AbortController().signal); // a sequential reader from 0: whole chunks
  const dest = Buffer.alloc(8192, 0xee);
  const ac = new AbortController();
  const reading = reader.readInto(dest, MIB - 4096, 8192, ac.signal);
  ac.abort();
  release();
  await reading.then(() => assert.unreachable('the read should fail'), (err: Error) => assert.match(err.message, /aborted|timed out/));
  await cache.idle();
  assert.ok(dest.subarray(4096).every((b) => b === 0xee), 'chunk 1 arrived after the deadline: not written');
  await cache.stop();
});

test.run();
