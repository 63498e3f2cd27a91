/**
 * Small files inline (src/meta/inline.ts, src/client/inline.ts): the pure rules, and uploads and
 * downloads against a fake controller and chunkservers: a small file is one commit carrying its
 * bytes (no placement, no chunk PUT) and reads back with no chunkserver; a controller with a lower
 * INLINE_MAX, or one without inline files, gets the file in chunks instead (and the client stops
 * trying above that limit).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from '../../../src/client/client.js';
import { inlineRefusal, smallStream } from '../../../src/client/inline.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { base64Length, fitsInline, INLINE_MAX_DEFAULT } from '../../../src/meta/inline.js';
import { startChunkserver, startController, stopAll, type FakeChunkserver, type FakeController } from './fake-cluster.js';

const CHUNK = 1024;
let dir = '';
let a: FakeChunkserver;
let ctl: FakeController;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redcloud-client-inline-'));
  a = await startChunkserver('cs-a');
  ctl = await startController([a]);
});
test.after(async () => {
  await stopAll(ctl, a);
  await rm(dir, { recursive: true, force: true });
});
test.before.each(() => {
  a.chunks.clear();
  a.counts = { head: 0, put: 0, get: 0 };
  ctl.commits.length = 0;
  ctl.placements.length = 0;
  ctl.inlineMax = undefined;
});

const client = (inlineMaxBytes = 512) => createClient({ controllers: [ctl.url], token: 'tok-alice', chunkSizeBytes: CHUNK, inlineMaxBytes, concurrency: 2, requestTimeoutMs: 5000 });
const bytes = (n: number, seed = 7): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

async function* gen(parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}
async function all(g: AsyncGenerator<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of g) out.push(b);
  return Buffer.concat(out);
}

test('fitsInline: 1..min(INLINE_MAX, chunk size) bytes; never an empty file, never with INLINE_MAX 0', () => {
  assert.is(INLINE_MAX_DEFAULT, 64 * 1024);
  assert.is(fitsInline(0, 100, 1000), false);
  assert.is(fitsInline(1, 100, 1000), true);
  assert.is(fitsInline(100, 100, 1000), true);
  assert.is(fitsInline(101, 100, 1000), false);
  assert.is(fitsInline(100, 0, 1000), false);
  assert.is(fitsInline(600, 1000, 500), false, 'never past one chunk');
});

test('base64Length is the decoded length of every padding', () => {
  for (const n of [0, 1, 2, 3, 4, 5, 100, 65536]) assert.is(base64Length(Buffer.alloc(n, 9).toString('base64')), n);
});

test('smallStream: one fitting piece is the data; anything else comes back unchanged from its start', async () => {
  const fits = (n: number) => n <= 10;
  const one = await smallStream(gen([bytes(5)]), fits);
  assert.equal(one.data, bytes(5));
  assert.equal(await all(one.rest), bytes(5), 'the fallback still has the bytes');
  const two = await smallStream(gen([bytes(5), bytes(3, 1)]), fits);
  assert.is(two.data, undefined);
  assert.equal(await all(two.rest), Buffer.concat([bytes(5), bytes(3, 1)]));
  const big = await smallStream(gen([bytes(11), bytes(2)]), fits);
  assert.is(big.data, undefined);
  assert.equal(await all(big.rest), Buffer.concat([bytes(11), bytes(2)]));
  const none = await smallStream(gen([]), fits);
  assert.is(none.data, undefined);
  assert.equal(await all(none.rest), Buffer.alloc(0));
});

test('inlineRefusal: TOO_LARGE names the limit, a controller without the field means 0, other errors are not refusals', () => {
  assert.is(inlineRefusal(new RedCloudError('TOO_LARGE', 'x', { inlineMax: 100 }), 500), 100);
  assert.is(inlineRefusal(new RedCloudError('TOO_LARGE', 'x', { inlineMax: 1000 }), 500), 499, 'below the size refused, whatever it says');
  assert.is(inlineRefusal(new RedCloudError('TOO_LARGE', 'Request body is too large'), 500), undefined);
  assert.is(inlineRefusal(new RedCloudError('INVALID', 'Invalid request: body must NOT have additional properties'), 500), 0);
  assert.is(inlineRefusal(new RedCloudError('INVALID', 'Invalid path'), 500), undefined);
  assert.is(inlineRefusal(new RedCloudError('UNAVAILABLE', 'down'), 500), undefined);
  assert.is(inlineRefusal(new Error('x'), 500), undefined);
});

test('a small file is one commit carrying its bytes: no placement, no chunkserver; it downloads with no chunkserver', async () => {
  const data = bytes(300);
  const file = join(dir, 'small');
  await writeFile(file, data);
  const c = client();
  const entry = await c.uploadFile(file, '/small', { tags: ['t'] });
  assert.is(entry.size, 300);
  assert.is(ctl.commits.length, 1);
  assert.equal(ctl.commits[0]!.chunks, []);
  assert.equal(Buffer.from(ctl.commits[0]!.inline!, 'base64'), data);
  assert.equal(ctl.commits[0]!.tags, ['t']);
  assert.is(ctl.placements.length, 0);
  assert.is(a.counts.put + a.counts.head, 0);
  const plan = await c.readPlan('/small');
  assert.equal(plan.chunks, []);
  const out = join(dir, 'small.out');
  await c.downloadFile('/small', out);
  assert.equal(await readFile(out), data);
  assert.is(a.counts.get, 0);
  // a stream of unknown length takes the same path
  await c.uploadStream(Readable.from([data.subarray(0, 100), data.subarray(100)]), '/streamed');
  assert.is(ctl.commits.length, 2);
  assert.ok(ctl.commits[1]!.inline !== undefined);
  assert.is(ctl.placements.length, 0);
});

test('above INLINE_MAX, or an empty file, goes through chunks as before', async () => {
  const c = client();
  await c.uploadStream(Readable.from([bytes(513)]), '/over');
  assert.is(ctl.commits[0]!.inline, undefined);
  assert.is(ctl.commits[0]!.chunks.length, 1);
  assert.is(ctl.placements.length, 1);
  await c.uploadStream(Readable.from([]), '/empty');
  assert.is(ctl.commits[1]!.inline, undefined);
  assert.equal(ctl.commits[1]!.chunks, []);
});

test('a controller with a lower INLINE_MAX refuses the inline commit: the file goes in chunks, and the client stops trying above that limit', async () => {
  ctl.inlineMax = 100;
  const c = client();
  const data = bytes(300);
  await c.uploadStream(Readable.from([data]), '/refused');
  assert.is(ctl.commits.length, 1, 'the refused inline commit stored nothing');
  assert.is(ctl.commits[0]!.chunks.length, 1);
  assert.is(a.counts.put, 1);
  assert.is(c.inlineMaxBytes, 100);
  const out = join(dir, 'refused.out');
  await c.downloadFile('/refused', out);
  assert.equal(await readFile(out), data);
  const before = ctl.calls;
  await c.uploadStream(Readable.from([bytes(200)]), '/second');
  assert.is(ctl.calls - before, 2, 'placement and commit, no refused inline attempt');
  await c.uploadStream(Readable.from([bytes(50)]), '/fits');
  assert.ok(ctl.commits.at(-1)!.inline !== undefined);
});

test('a controller without inline files (older version): chunks, and no more inline attempts', async () => {
  ctl.inlineMax = 'none';
  const c = client();
  await c.uploadStream(Readable.from([bytes(30)]), '/old');
  assert.is(ctl.commits.length, 1);
  assert.is(ctl.commits[0]!.chunks.length, 1);
  assert.is(c.inlineMaxBytes, 0);
});

test.run();
