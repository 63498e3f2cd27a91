/** Uploads against fake controller and chunkservers: chunking, receipts, HEAD skip, quorum, no commit on failure. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from '../../../src/client/client.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { chunkIdOf, DEFAULT_CHUNK_FORMAT } from '../../../src/common/chunk-format.js';

/** the id the client gives new chunks */
const idOf = (data: Buffer): string => chunkIdOf(DEFAULT_CHUNK_FORMAT, data);
import { startChunkserver, startController, stopAll, type FakeChunkserver, type FakeController } from './fake-cluster.js';


const CHUNK = 1024;
let dir = '';
let a: FakeChunkserver;
let b: FakeChunkserver;
let ctl: FakeController;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redcloud-client-up-'));
  a = await startChunkserver('cs-a');
  b = await startChunkserver('cs-b');
  ctl = await startController([a, b]);
});
test.after(async () => {
  await stopAll(ctl, a, b);
  await rm(dir, { recursive: true, force: true });
});
test.before.each(() => {
  for (const s of [a, b]) { s.mode = 'ok'; s.chunks.clear(); s.counts = { head: 0, put: 0, get: 0 }; s.maxInflightPut = 0; s.putDelayMs = 0; }
  ctl.commits.length = 0; ctl.placements.length = 0; ctl.inlineMax = undefined; ctl.knowsReplaces = undefined; ctl.knowsAtime = undefined; ctl.writeQuorum = 1; ctl.present = undefined;
});

const client = (concurrency = 4) => createClient({ controllers: [ctl.url], token: 'tok-alice', chunkSizeBytes: CHUNK, inlineMaxBytes: 0, concurrency, requestTimeoutMs: 5000 });
/** n pseudo-random bytes (no two chunks alike) */
const bytes = (n: number, seed = 1): Buffer => {
  let x = seed * 2654435761 >>> 0;
  return Buffer.from(Array.from({ length: n }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x >>> 24;
  }));
};

for (const size of [0, 1, CHUNK, CHUNK + 1]) {
  test(`uploadFile of ${size} bytes: chunks, receipts from every replica, commit`, async () => {
    const data = bytes(size);
    const file = join(dir, `f${size}`);
    await writeFile(file, data);
    const progress: number[] = [];
    const entry = await client().uploadFile(file, `f${size}`, { tags: ['t1'], onProgress: (p) => progress.push(p.doneBytes) });
    assert.is(entry.path, `/f${size}`);
    assert.is(ctl.commits.length, 1);
    const c = ctl.commits[0]!;
    assert.is(c.size, size);
    assert.equal(c.tags, ['t1']);
    const expected = [];
    for (let i = 0; i < size; i += CHUNK) expected.push({ id: idOf(data.subarray(i, i + CHUNK)), size: Math.min(CHUNK, size - i) });
    assert.equal(c.chunks, expected);
    for (const ch of expected) {
      assert.equal(c.receipts[ch.id], [`r:cs-a:${ch.id}`, `r:cs-b:${ch.id}`]);
      assert.equal(a.chunks.get(ch.id), data.subarray(expected.indexOf(ch) * CHUNK, expected.indexOf(ch) * CHUNK + ch.size));
    }
    assert.is(ctl.placements.length, expected.length === 0 ? 0 : 1);
    assert.is(progress.at(-1) ?? 0, size);
  });
}

test('HEAD with a receipt skips the PUT to that target', async () => {
  const data = bytes(CHUNK * 2, 5);
  const first = idOf(data.subarray(0, CHUNK));
  a.chunks.set(first, data.subarray(0, CHUNK));
  await client().uploadStream(Readable.from([data]), '/s');
  const c = ctl.commits[0]!;
  assert.equal(c.receipts[first], [`r:cs-a:${first}:head`, `r:cs-b:${first}`]);
  assert.is(a.counts.put, 1);
  assert.is(b.counts.put, 2);
});

test('with a present hint, only the targets said to hold a chunk get a HEAD; the others a PUT straight away', async () => {
  const data = bytes(CHUNK * 2, 9);
  const first = idOf(data.subarray(0, CHUNK));
  a.chunks.set(first, data.subarray(0, CHUNK));
  ctl.present = (id) => (id === first ? ['cs-a'] : []);
  await client().uploadStream(Readable.from([data]), '/hinted');
  assert.is(a.counts.head, 1, 'one HEAD, to cs-a for the first chunk');
  assert.is(b.counts.head, 0);
  assert.is(a.counts.put, 1, 'cs-a only receives the second chunk');
  assert.is(b.counts.put, 2);
  assert.equal(ctl.commits[0]!.receipts[first], [`r:cs-a:${first}:head`, `r:cs-b:${first}`]);
});

test('quorum reached with one replica down (writeQuorum 1)', async () => {
  b.mode = 'down';
  await client().uploadStream(Readable.from([bytes(CHUNK * 3)]), '/q1');
  assert.is(ctl.commits.length, 1);
  for (const ch of ctl.commits[0]!.chunks) assert.equal(ctl.commits[0]!.receipts[ch.id], [`r:cs-a:${ch.id}`]);
});

test('quorum failure: nothing is committed, UNAVAILABLE', async () => {
  ctl.writeQuorum = 2;
  b.mode = 'down';
  try {
    await client().uploadStream(Readable.from([bytes(CHUNK * 3)]), '/q2');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'UNAVAILABLE');
    assert.match((err as Error).message, /stored on 1 of 2 chunkservers, 2 needed/);
  }
  assert.is(ctl.commits.length, 0);
});

test('all replicas full: the NO_SPACE code travels to the caller', async () => {
  const full = await startChunkserver('cs-full');
  full.mode = 'full';
  const ctl2 = await startController([full]);
  try {
    const c = createClient({ controllers: [ctl2.url], chunkSizeBytes: CHUNK, inlineMaxBytes: 0, concurrency: 2, requestTimeoutMs: 5000 });
    await c.uploadStream(Readable.from([bytes(10)]), '/full');
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'NO_SPACE');
  } finally {
    assert.is(ctl2.commits.length, 0);
    await stopAll(ctl2, full);
  }
});

test('abort midway: nothing is committed, ABORTED', async () => {
  a.putDelayMs = 30;
  b.putDelayMs = 30;
  const ac = new AbortController();
  const p = client(2).uploadStream(Readable.from([bytes(CHUNK * 8)]), '/abort', { signal: ac.signal, onProgress: () => ac.abort() });
  try {
    await p;
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'ABORTED');
  }
  assert.is(ctl.commits.length, 0);
});

test('bounded transfers: never more PUTs in flight than concurrency, placement batched', async () => {
  a.putDelayMs = 5;
  b.putDelayMs = 5;
  await client(3).uploadStream(Readable.from([bytes(CHUNK * 10, 9)]), '/many');
  assert.ok(a.maxInflightPut + b.maxInflightPut <= 3 * 2, `inflight ${a.maxInflightPut}+${b.maxInflightPut}`);
  assert.ok(ctl.placements.every((p) => p.chunks.length <= 3));
  assert.is(ctl.placements.reduce((n, p) => n + p.chunks.length, 0), 10);
  assert.is(ctl.commits[0]!.chunks.length, 10);
});

test('commitChunks uploads only new data chunks', async () => {
  const keep = { id: idOf(bytes(CHUNK, 3)), size: CHUNK };
  const fresh = bytes(10, 4);
  await client().commitChunks('/part', [{ index: 0, ref: keep }, { index: 1, data: fresh }], CHUNK + 10);
  const c = ctl.commits[0]!;
  assert.equal(c.chunks, [keep, { id: idOf(fresh), size: 10 }]);
  assert.equal(Object.keys(c.receipts), [idOf(fresh)]);
  assert.is(a.counts.put, 1);
});

test('reused chunk buffers: every stored chunk holds the bytes of its id, also with repeated chunks and slow PUTs', async () => {
  // 24 chunks, every third one a repeat of chunk 0: buffers go back to the pool after a store or a skip
  const parts = Array.from({ length: 24 }, (_, i) => (i % 3 === 2 ? bytes(CHUNK, 1) : bytes(CHUNK, i + 2)));
  const data = Buffer.concat([...parts, bytes(100, 99)]);
  const file = join(dir, 'pooled');
  await writeFile(file, data);
  for (const s of [a, b]) s.putDelayMs = 5;
  await client(2).uploadFile(file, 'pooled');
  const c = ctl.commits[0]!;
  assert.is(c.chunks.length, 25);
  for (const [i, ref] of c.chunks.entries()) {
    assert.is(ref.id, idOf(data.subarray(i * CHUNK, (i + 1) * CHUNK)), `chunk ${i} id`);
    for (const s of [a, b]) assert.is(idOf(s.chunks.get(ref.id)!), ref.id, `${s.id} holds the bytes of chunk ${i}`);
  }
});

test('uploadFile and uploadStream say their content replaces the file (its old version to the trash); commitChunks and replaces: false do not', async () => {
  const file = join(dir, 'replacing');
  await writeFile(file, bytes(CHUNK + 5, 11));
  await client().uploadFile(file, '/r1');
  await client().uploadStream(Readable.from([bytes(10, 12)]), '/r2');
  await client().uploadFile(file, '/r3', { replaces: false });
  await client().commitChunks('/r4', [{ index: 0, data: bytes(10, 13) }], 10);
  assert.equal(ctl.commits.map((c) => [c.path, c.replaces]), [['/r1', true], ['/r2', true], ['/r3', undefined], ['/r4', undefined]]);
});

test('a controller older than replaces: the upload commits without it, and later ones leave it out', async () => {
  ctl.knowsReplaces = false;
  const c = client();
  await c.uploadStream(Readable.from([bytes(CHUNK + 1, 14)]), '/old1');
  await c.uploadStream(Readable.from([bytes(10, 15)]), '/old2');
  assert.equal(ctl.commits.map((x) => [x.path, x.replaces]), [['/old1', undefined], ['/old2', undefined]]);
});

test('a commit sends atime and mtime to the nanosecond; a controller older than atime: committed without it, later ones leave it out', async () => {
  const c = client();
  const times = { atime: { sec: 5, nsec: 6 }, mtime: { sec: 7, nsec: 8 } };
  await c.commitInline('/t1', bytes(10, 20), times);
  ctl.knowsAtime = false;
  await c.commitInline('/t2', bytes(10, 21), times);
  await c.commitInline('/t3', bytes(10, 22), times);
  assert.equal(ctl.commits.map((x) => [x.path, x.atime, x.mtime]), [['/t1', times.atime, times.mtime], ['/t2', undefined, times.mtime], ['/t3', undefined, times.mtime]]);
});

test('a controller without inline files but with replaces: the inline refusal does not turn replaces off', async () => {
  ctl.inlineMax = 'none';
  const c = createClient({ controllers: [ctl.url], token: 'tok-alice', chunkSizeBytes: CHUNK, concurrency: 2, requestTimeoutMs: 5000 });
  await c.uploadStream(Readable.from([bytes(10, 16)]), '/small1');
  await c.uploadStream(Readable.from([bytes(10, 17)]), '/small2');
  assert.equal(ctl.commits.map((x) => [x.path, x.replaces, x.inline]), [['/small1', true, undefined], ['/small2', true, undefined]]);
});

test('missing local file is NOT_FOUND', async () => {
  try {
    await client().uploadFile(join(dir, 'nope'), '/nope');
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'NOT_FOUND');
  }
});

test.run();
