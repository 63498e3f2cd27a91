/** Downloads: replica failover on corruption and outage, atomic destination, cleanup on failure. */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from '../../../src/client/client.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { startChunkserver, startController, stopAll, type FakeChunkserver, type FakeController } from './fake-cluster.js';


const CHUNK = 1024;
let dir = '';
let a: FakeChunkserver;
let b: FakeChunkserver;
let ctl: FakeController;
const data = Buffer.from(Array.from({ length: CHUNK * 5 + 17 }, (_, i) => (i * 7 + 3) & 0xff));
const client = () => createClient({ controllers: [ctl.url], chunkSizeBytes: CHUNK, concurrency: 3, requestTimeoutMs: 5000 });

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redcloud-client-down-'));
  a = await startChunkserver('cs-a');
  b = await startChunkserver('cs-b');
  ctl = await startController([a, b]);
  await client().uploadStream(Readable.from([data]), '/big');
  await client().uploadStream(Readable.from([]), '/empty');
});
test.after(async () => {
  await stopAll(ctl, a, b);
  await rm(dir, { recursive: true, force: true });
});
test.before.each(() => {
  for (const s of [a, b]) { s.mode = 'ok'; s.counts = { head: 0, put: 0, get: 0 }; }
  ctl.readOrder = ['cs-a', 'cs-b'];
});

test('healthy download: identical bytes, only the first replica read', async () => {
  const dest = join(dir, 'ok');
  const progress: number[] = [];
  const entry = await client().downloadFile('big', dest, { onProgress: (p) => progress.push(p.doneBytes) });
  assert.is(entry.size, data.length);
  assert.equal(await readFile(dest), data);
  assert.is(a.counts.get, 6);
  assert.is(b.counts.get, 0);
  assert.is(progress.at(-1), data.length);
});

test('corrupted first replica: fails over to the next, file identical', async () => {
  a.mode = 'corrupt';
  const dest = join(dir, 'corrupt');
  await client().downloadFile('/big', dest);
  assert.equal(await readFile(dest), data);
  assert.is(a.counts.get, 6);
  assert.is(b.counts.get, 6);
});

test('first replica down: fails over', async () => {
  ctl.readOrder = ['cs-b', 'cs-a'];
  b.mode = 'down';
  const dest = join(dir, 'down');
  await client().downloadFile('/big', dest);
  assert.equal(await readFile(dest), data);
});

test('every replica bad: INTEGRITY, no destination, no temp file, old destination untouched', async () => {
  a.mode = 'corrupt';
  b.mode = 'corrupt';
  const dest = join(dir, 'bad');
  try {
    await client().downloadFile('/big', dest);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'INTEGRITY');
  }
  await writeFile(join(dir, 'old'), 'previous');
  try {
    await client().downloadFile('/big', join(dir, 'old'));
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'INTEGRITY');
  }
  assert.is(await readFile(join(dir, 'old'), 'utf8'), 'previous');
  const left = (await readdir(dir)).filter((n) => n.includes('.part') || n === 'bad');
  assert.equal(left, []);
});

test('missing file: NOT_FOUND and nothing created', async () => {
  try {
    await client().downloadFile('/nope', join(dir, 'nope'));
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'NOT_FOUND');
  }
  assert.not.ok((await readdir(dir)).includes('nope'));
});

test('empty file downloads as an empty file', async () => {
  const dest = join(dir, 'empty');
  await client().downloadFile('/empty', dest);
  assert.is((await readFile(dest)).length, 0);
});

test('fetchChunk verifies and fails over; no locations is UNAVAILABLE', async () => {
  const plan = await client().readPlan('/big');
  a.mode = 'corrupt';
  const chunk = plan.chunks[5]!;
  assert.equal(await client().fetchChunk(chunk), data.subarray(CHUNK * 5));
  try {
    await client().fetchChunk({ ...chunk, locations: [] });
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'UNAVAILABLE');
  }
});

test('a replica that never answers costs only its share of the deadline; the next one is read in time', async () => {
  // accepts connections and never answers (a blackholed chunkserver, as the client sees it)
  const sockets: Socket[] = [];
  const silent = createServer((sock) => void sockets.push(sock));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const plan = await client().readPlan('/big');
    const chunk = plan.chunks[2]!;
    const stalled = { id: 'cs-silent', url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` };
    const slow = createClient({ controllers: [ctl.url], chunkSizeBytes: CHUNK, concurrency: 3, requestTimeoutMs: 60_000 });
    const deadlineMs = Date.now() + 3000;
    const got = await slow.fetchChunk({ ...chunk, locations: [stalled, ...chunk.locations] }, { signal: AbortSignal.timeout(3000), deadlineMs });
    assert.equal(got, data.subarray(CHUNK * 2, CHUNK * 3));
    assert.ok(Date.now() < deadlineMs, 'read before the deadline (REQUEST_TIMEOUT 60 s would have used it all)');
  } finally {
    for (const sock of sockets) sock.destroy();
    silent.close();
  }
});

test.run();
