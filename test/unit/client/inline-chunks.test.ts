/**
 * The client's inline chunks (issue 14) against a fake controller and chunkserver: an extent
 * commit with a small fresh chunk marked inline is one commit carrying its bytes (no placement,
 * no PUT); a controller that predates the field refuses it and the client stores the chunk on the
 * chunkserver and commits again, clears the chunk's `inline` and offers no inline chunks after.
 * And a plan's inline chunk is read (fetchChunk, fetchRange) from its bytes, verified against its id.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from '../../../src/client/client.js';
import type { FreshChunk } from '../../../src/client/types.js';
import { chunkIdOf } from '../../../src/common/chunk-format.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { startChunkserver, startController, stopAll, type FakeChunkserver, type FakeController } from './fake-cluster.js';

let a: FakeChunkserver;
let ctl: FakeController;
test.before(async () => {
  a = await startChunkserver('cs-a');
  ctl = await startController([a]);
});
test.after(async () => {
  await stopAll(ctl, a);
});
test.before.each(() => {
  a.chunks.clear();
  a.counts = { head: 0, put: 0, get: 0 };
  ctl.commits.length = 0;
  ctl.placements.length = 0;
  ctl.knowsInlineChunks = undefined;
});

const client = () => createClient({ controllers: [ctl.url], token: 'tok-alice', chunkSizeBytes: 1024 * 1024, inlineMaxBytes: 8192, concurrency: 2, requestTimeoutMs: 5000 });
const old = { id: 'a'.repeat(64), size: 100_000 };
/** A 100,000-byte file whose bytes [10, 10 + patch.length) are the fresh chunk. */
function spansWith(ref: { id: string; size: number }) {
  return [
    { off: 0, len: 10, chunk: old, chunkOff: 0 },
    { off: 10, len: ref.size, chunk: ref, chunkOff: 0 },
    { off: 10 + ref.size, len: 100_000 - 10 - ref.size, chunk: old, chunkOff: 10 + ref.size },
  ];
}

test('an inline fresh chunk is one commit carrying its bytes: no placement, no PUT', async () => {
  const c = client();
  assert.equal(c.inlineChunkLimits, { chunkMaxBytes: 8192, recordMaxBytes: 8192 });
  const data = Buffer.alloc(4096, 5);
  const ref = { id: chunkIdOf('b3-64k', data), size: data.length };
  const fresh: FreshChunk[] = [{ ref, data, inline: true }];
  await c.commitExtents('/f', spansWith(ref), fresh, 100_000);
  assert.is(ctl.placements.length, 0);
  assert.is(a.counts.put, 0);
  assert.is(ctl.commits.length, 1);
  assert.equal(ctl.commits[0]!.inlineChunks, { [ref.id]: data.toString('base64') });
  assert.equal(ctl.commits[0]!.receipts, {});
  assert.is(fresh[0]!.inline, true);
  // over the chunk limit: stored as usual even if asked
  const bigData = Buffer.alloc(9000, 6);
  const bigRef = { id: chunkIdOf('b3-64k', bigData), size: bigData.length };
  const bigFresh: FreshChunk[] = [{ ref: bigRef, data: bigData, inline: true }];
  await c.commitExtents('/f', spansWith(bigRef), bigFresh, 100_000);
  assert.is(bigFresh[0]!.inline, false);
  assert.is(a.counts.put, 1);
  assert.is(ctl.commits.at(-1)!.inlineChunks, undefined);
});

test('a controller without inline chunks refuses the field: stored on the chunkserver, committed again, none offered after', async () => {
  ctl.knowsInlineChunks = false;
  const c = client();
  const data = Buffer.alloc(4096, 7);
  const ref = { id: chunkIdOf('b3-64k', data), size: data.length };
  const fresh: FreshChunk[] = [{ ref, data, inline: true }];
  await c.commitExtents('/f', spansWith(ref), fresh, 100_000);
  assert.is(fresh[0]!.inline, false, 'cleared: the chunk is on chunkservers');
  assert.is(a.counts.put, 1);
  assert.is(ctl.commits.length, 1);
  assert.equal(Object.keys(ctl.commits[0]!.receipts), [ref.id]);
  assert.is(ctl.commits[0]!.inlineChunks, undefined);
  assert.equal(c.inlineChunkLimits, { chunkMaxBytes: 0, recordMaxBytes: 0 });
});

test('fetchChunk and fetchRange read an inline chunk from its bytes, verified against its id', async () => {
  const c = client();
  const data = Buffer.from('inline chunk bytes, verified');
  const chunk = { id: chunkIdOf('b3-64k', data), size: data.length, offset: 0, locations: [], cap: '', inline: data.toString('base64') };
  assert.equal(await c.fetchChunk(chunk), data);
  assert.equal(await c.fetchRange(chunk, 7, 12), data.subarray(7, 12));
  assert.is(a.counts.get, 0);
  const forged = { ...chunk, inline: Buffer.from('inline chunk bytes, FORGED!!').toString('base64') };
  try {
    await c.fetchChunk(forged);
    assert.unreachable('forged bytes accepted');
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'INTEGRITY');
  }
});

test.run();
