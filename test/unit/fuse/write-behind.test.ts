import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errors } from '../../../src/common/errors.js';
import { parseMountArgs } from '../../../fuse/args.js';
import type { StagedFile } from '../../../fuse/staged-file.js';
import { waitFor } from '../../helpers/wait.js';
import { CS, pattern, rig, type Rig } from './helpers.js';

/** Writes `data` at `at` in pieces of `piece` bytes, in order, like cp or dd. */
async function writeSequentially(r: Rig, path: string, fd: number, data: Buffer, piece: number, at = 0): Promise<void> {
  for (let off = 0; off < data.length; off += piece) {
    const part = data.subarray(off, Math.min(data.length, off + piece));
    assert.is(await r.h.write(path, fd, part, at + off, r.signal), part.length);
  }
}

async function stagedFile(r: Rig, path: string): Promise<StagedFile> {
  const s = await r.h.debug.files.at(path);
  assert.ok(s, `${path} is staged`);
  return s!;
}

test('a sequential writer stores each whole chunk it moved past before close; the commit sends only the rest', async () => {
  const r = await rig();
  try {
    const data = pattern(4 * CS + 123, 5);
    const fd = await r.h.create('/big', 0o100644, undefined, r.signal);
    await writeSequentially(r, '/big', fd, data, 16 * 1024);
    const s = await stagedFile(r, '/big');
    await waitFor('four chunks stored in the background', () => s.stats.storedAhead === 4, { timeoutMs: 5000, pollMs: 5 });
    assert.is(r.client.calls.commitChunks, undefined, 'nothing committed before flush');
    await r.h.release('/big', fd, r.signal);
    assert.is(r.client.calls.storeChunk, 4);
    assert.equal(r.client.uploads, [[0, 1, 2, 3, 4]], 'every chunk sent once: four ahead, the partial last one at commit');
    assert.ok(r.client.content('/big').equals(data));
  } finally {
    await r.cleanup();
  }
});

test('a chunk written again after its background store is uploaded anew: the stale copy never counts', async () => {
  const r = await rig();
  try {
    const data = pattern(3 * CS, 6);
    const fd = await r.h.create('/f', 0o100644, undefined, r.signal);
    await writeSequentially(r, '/f', fd, data, CS);
    const s = await stagedFile(r, '/f');
    await waitFor('chunks 0 and 1 stored ahead', () => s.stats.storedAhead === 2, { timeoutMs: 5000, pollMs: 5 });
    const patch = Buffer.alloc(100, 0xee);
    await r.h.write('/f', fd, patch, 10, r.signal); // chunk 0 changes after it was stored
    await r.h.release('/f', fd, r.signal);
    const expected = Buffer.from(data);
    patch.copy(expected, 10);
    assert.ok(r.client.content('/f').equals(expected), 'the committed file has the patch');
  } finally {
    await r.cleanup();
  }
});

test('a truncate below a chunk stored ahead, then regrowing it with other bytes, commits the new bytes', async () => {
  const r = await rig();
  try {
    const fd = await r.h.create('/t', 0o100644, undefined, r.signal);
    await writeSequentially(r, '/t', fd, pattern(3 * CS, 7), CS);
    const s = await stagedFile(r, '/t');
    await waitFor('chunks stored ahead', () => s.stats.storedAhead === 2, { timeoutMs: 5000, pollMs: 5 });
    await r.h.ftruncate('/t', fd, CS / 2, r.signal);
    const tail = pattern(2 * CS + CS / 2, 8);
    await r.h.write('/t', fd, tail, CS / 2, r.signal);
    await r.h.release('/t', fd, r.signal);
    const expected = Buffer.concat([pattern(3 * CS, 7).subarray(0, CS / 2), tail]);
    assert.ok(r.client.content('/t').equals(expected));
  } finally {
    await r.cleanup();
  }
});

test('a failed background store is retried by the commit, which succeeds', async () => {
  const r = await rig();
  try {
    r.client.failNext.set('storeChunk', errors.unavailable('chunkservers down'));
    const data = pattern(2 * CS + 1, 9);
    const fd = await r.h.create('/g', 0o100644, undefined, r.signal);
    await writeSequentially(r, '/g', fd, data, CS);
    await r.h.release('/g', fd, r.signal);
    assert.ok(r.client.content('/g').equals(data));
    assert.equal(r.client.uploads, [[0, 1, 2]]);
  } finally {
    await r.cleanup();
  }
});

test('--write-behind 0: nothing is stored before the commit, which sends every chunk', async () => {
  const r = await rig({ writeBehindChunks: 0 });
  try {
    const data = pattern(3 * CS + 7, 10);
    const fd = await r.h.create('/n', 0o100644, undefined, r.signal);
    await writeSequentially(r, '/n', fd, data, CS / 4);
    await r.h.release('/n', fd, r.signal);
    assert.is(r.client.calls.storeChunk, undefined);
    assert.equal(r.client.uploads, [[0, 1, 2, 3]]);
    assert.ok(r.client.content('/n').equals(data));
  } finally {
    await r.cleanup();
  }
});

test('the --write-behind flag: default 2, 0 allowed, out of range is a clear error', () => {
  assert.is(parseMountArgs(['/mnt/x']).writeBehindChunks, 2);
  assert.is(parseMountArgs(['/mnt/x', '--write-behind', '0']).writeBehindChunks, 0);
  assert.throws(() => parseMountArgs(['/mnt/x', '--write-behind', '65']), /--write-behind: "65" is not an integer in \[0, 64\]/);
});

test.run();
