/**
 * Inline chunks in the mount (fuse/staged-file.ts over the fake client): a 4 KiB overwrite of a
 * large file commits its bytes inline (nothing stored), later commits keep them without resending,
 * the file reads back through a new open (the plan's inline chunks, verified), and the commit that
 * would pass the record's limit folds every inline chunk into one packed chunk that is stored;
 * a client without inline chunks stores the bytes as before.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CS, O_RDONLY, O_RDWR, pattern, rig, type Rig } from './helpers.js';

const LIMITS = { chunkMaxBytes: 8192, recordMaxBytes: 16384 };

async function overwrite(r: Rig, path: string, data: Buffer, off: number, expected: Buffer): Promise<void> {
  const fd = await r.h.open(path, O_RDWR, r.signal);
  await r.h.write(path, fd, data, off, r.signal);
  await r.h.flush(path, fd, r.signal);
  await r.h.release(path, fd, r.signal);
  data.copy(expected, off);
}

async function readAll(r: Rig, path: string, size: number): Promise<Buffer> {
  const fd = await r.h.open(path, O_RDONLY, r.signal);
  const parts: Buffer[] = [];
  for (let off = 0; off < size; off += 16384) parts.push(await r.h.read(path, fd, Math.min(16384, size - off), off, r.signal));
  await r.h.release(path, fd, r.signal);
  return Buffer.concat(parts);
}

test('4 KiB overwrites go inline until the record is full; the next folds them into one stored chunk', async () => {
  const r = await rig();
  try {
    r.client.inlineChunkLimits = LIMITS;
    const expected = pattern(3 * CS);
    r.client.putFile('/f', expected);
    const chunksBefore = r.client.chunks.size;
    for (let k = 0; k < 4; k++) await overwrite(r, '/f', pattern(4096, 10 + k), 1000 + k * 20_000, expected);
    assert.equal(r.client.inlineUploads, [4096, 4096, 4096, 4096], 'each overwrite: its bytes in the commit');
    assert.equal(r.client.extentUploads, [0, 0, 0, 0], 'nothing stored on chunkservers');
    assert.is(r.client.calls.storeChunk, undefined);
    const e = r.client.entries.get('/f')!;
    assert.is(e.inlineChunks?.size, 4, 'the record holds the 4 chunks; later commits kept the earlier ones without resending');
    assert.ok(r.client.content('/f').equals(expected));
    assert.ok((await readAll(r, '/f', 3 * CS)).equals(expected), 'read back through a new open (inline chunks of the plan)');
    assert.is(r.client.calls.fetchChunk ?? 0, 3, 'only the three real chunks were fetched');
    // 16 KiB inline + 4 KiB: past the record's limit, everything small is packed into one chunk
    await overwrite(r, '/f', pattern(4096, 99), 150_000, expected);
    assert.equal(r.client.inlineUploads.at(-1), 0);
    assert.equal(r.client.extentUploads.at(-1), 5 * 4096, 'one packed chunk of the live inline bytes and the new ones');
    assert.is(r.client.entries.get('/f')!.inlineChunks, undefined, 'the record sheds its inline bytes');
    assert.is(r.client.chunks.size, chunksBefore + 4 + 1, 'the fake keeps every chunk it saw; one new (the pack)');
    assert.ok(r.client.content('/f').equals(expected));
    assert.ok((await readAll(r, '/f', 3 * CS)).equals(expected));
    // inline again from there
    await overwrite(r, '/f', pattern(100, 5), 7, expected);
    assert.equal(r.client.inlineUploads.at(-1), 100);
    assert.ok(r.client.content('/f').equals(expected));
  } finally {
    await r.cleanup();
  }
});

test('an overwrite of part of an inline chunk keeps the rest; chunks over chunkMaxBytes are stored; no limits: they fold and new bytes are stored', async () => {
  const r = await rig();
  try {
    r.client.inlineChunkLimits = LIMITS;
    const expected = pattern(2 * CS + 123);
    r.client.putFile('/g', expected);
    await overwrite(r, '/g', pattern(6000, 1), 500, expected);
    await overwrite(r, '/g', pattern(1000, 2), 2000, expected);
    assert.equal(r.client.inlineUploads, [6000, 1000]);
    await overwrite(r, '/g', pattern(9000, 3), CS + 10, expected);
    assert.equal(r.client.inlineUploads.at(-1), 0, '9000 bytes > chunkMaxBytes');
    assert.equal(r.client.extentUploads.at(-1), 9000);
    assert.ok((await readAll(r, '/g', 2 * CS + 123)).equals(expected));
    // a client that can no longer inline (a controller refused them): the record's inline chunks fold (6000 live bytes), the new 100 are stored
    r.client.inlineChunkLimits = undefined;
    await overwrite(r, '/g', pattern(100, 4), 0, expected);
    assert.equal(r.client.extentUploads.at(-1), 6000 + 100);
    assert.is(r.client.entries.get('/g')!.inlineChunks, undefined);
    assert.ok(r.client.content('/g').equals(expected));
  } finally {
    await r.cleanup();
  }
});

test('a controller that keeps fewer inline bytes refuses the commit (413): the client lowers its limits and the retry folds', async () => {
  const r = await rig();
  try {
    r.client.inlineChunkLimits = LIMITS;
    const expected = pattern(2 * CS);
    r.client.putFile('/h', expected);
    await overwrite(r, '/h', pattern(4096, 1), 100, expected);
    await overwrite(r, '/h', pattern(4096, 2), 30_000, expected);
    r.client.controllerInlineChunksMax = 4096;
    await overwrite(r, '/h', pattern(4096, 3), 60_000, expected);
    assert.equal(r.client.inlineUploads.slice(-2), [4096, 0], 'the refused attempt sent its 4 KiB inline, the retry folded');
    assert.equal(r.client.extentUploads.at(-1), 3 * 4096);
    assert.is(r.client.entries.get('/h')!.inlineChunks, undefined);
    assert.ok(r.client.content('/h').equals(expected));
  } finally {
    await r.cleanup();
  }
});

test('a fold in a file opened with inline chunks: the folded bytes stay readable in the same open (the packs have no locations here)', async () => {
  const r = await rig();
  try {
    r.client.inlineChunkLimits = LIMITS;
    const expected = pattern(2 * CS);
    r.client.putFile('/k', expected);
    for (let k = 0; k < 4; k++) await overwrite(r, '/k', pattern(4096, 20 + k), 100 + k * 8192, expected);
    // a new open: the plan names the 4 inline chunks; one more page folds them into a pack
    const fd = await r.h.open('/k', O_RDWR, r.signal);
    const page = pattern(4096, 77);
    await r.h.write('/k', fd, page, CS + 500, r.signal);
    await r.h.flush('/k', fd, r.signal);
    page.copy(expected, CS + 500);
    assert.is(r.client.entries.get('/k')!.inlineChunks, undefined, 'folded');
    // the first cell was never loaded: reading it needs the folded bytes
    assert.ok((await r.h.read('/k', fd, CS, 0, r.signal)).equals(expected.subarray(0, CS)));
    await r.h.write('/k', fd, Buffer.alloc(10, 1), 3, r.signal);
    Buffer.alloc(10, 1).copy(expected, 3);
    await r.h.release('/k', fd, r.signal);
    assert.ok(r.client.content('/k').equals(expected));
  } finally {
    await r.cleanup();
  }
});

test.run();
