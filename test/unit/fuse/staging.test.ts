import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '../../../src/common/errors.js';
import { CS, O_RDWR, O_TRUNC, O_WRONLY, call, pattern, rejection, rig } from './helpers.js';
import { MAX_FILE_BYTES } from '../../../fuse/staged-file.js';
import { NEW_INO_RE } from '../../../src/common/api.js';

test('overwriting 4 KiB in the middle of a 3-chunk file stores just those 4 KiB and fetches nothing', async () => {
  const r = await rig();
  try {
    const original = pattern(3 * CS);
    r.client.putFile('/f', original);
    const fd = await r.h.open('/f', O_RDWR, r.signal);
    const patch = Buffer.alloc(4096, 0xab);
    const off = CS + 1000;
    assert.is(await r.h.write('/f', fd, patch, off, r.signal), 4096);
    await r.h.flush('/f', fd, r.signal);
    await r.h.release('/f', fd, r.signal);
    assert.equal(r.client.extentUploads, [4096], 'the 4 KiB as a new chunk, committed as extents');
    assert.is(r.client.calls.commitChunks, undefined);
    assert.is(r.client.calls.fetchChunk, undefined, 'a write inside a chunk does not load it');
    const expected = Buffer.from(original);
    patch.copy(expected, off);
    assert.ok(r.client.content('/f').equals(expected));
    assert.equal(r.h.debug.files.size, 0, 'staged file dropped after release');
    assert.equal(await readdir(join(r.dir, 'staging')).catch(() => []), [], 'no staging file left');
  } finally {
    await r.cleanup();
  }
});

test('a write covering a whole chunk does not fetch it', async () => {
  const r = await rig();
  try {
    r.client.putFile('/f', pattern(2 * CS + 10));
    const fd = await r.h.open('/f', O_WRONLY, r.signal);
    await r.h.write('/f', fd, pattern(CS, 3), CS, r.signal);
    await r.h.release('/f', fd, r.signal);
    assert.is(r.client.calls.fetchChunk, undefined);
    assert.equal(r.client.extentUploads, [CS]);
  } finally {
    await r.cleanup();
  }
});

test('create, write, flush twice: one commit with the bytes; size visible before flush', async () => {
  const r = await rig();
  try {
    await r.client.mkdir('/d');
    const fd = await r.h.create('/d/new', 0o100640, undefined, r.signal);
    const data = pattern(CS + 5, 9);
    await r.h.write('/d/new', fd, data.subarray(0, 100), 0, r.signal);
    await r.h.write('/d/new', fd, data.subarray(100), 100, r.signal);
    const st = await r.h.getattr('/d/new', r.signal);
    assert.is(st.size, CS + 5);
    assert.is(st.mode, 0o100640);
    await r.h.flush('/d/new', fd, r.signal);
    await r.h.flush('/d/new', fd, r.signal);
    await r.h.release('/d/new', fd, r.signal);
    assert.is(r.client.calls.commitChunks, 1);
    assert.equal(r.client.uploads, [[0, 1]]);
    assert.ok(r.client.content('/d/new').equals(data));
    assert.is(r.client.entries.get('/d/new')!.mode, 0o640);
  } finally {
    await r.cleanup();
  }
});

test('an empty created file is made on the controller at create (its inode number from the start), nothing to commit on release', async () => {
  const r = await rig();
  try {
    const fd = await r.h.create('/empty', 0o644, undefined, r.signal);
    const ino = (await r.h.getattr('/empty', r.signal)).ino;
    assert.is(ino, r.client.entries.get('/empty')!.ino, 'st_ino is the inode\'s before any commit');
    await r.h.release('/empty', fd, r.signal);
    assert.is(r.client.entries.get('/empty')!.size, 0);
    assert.is(r.client.calls.mknod, 1);
    assert.is(r.client.calls.commitChunks, undefined);
    assert.is((await r.h.getattr('/empty', r.signal)).ino, ino);
  } finally {
    await r.cleanup();
  }
});

test('creates in a burst: the first asks the controller (mknod), the next are made by their one commit with the inode id chosen here; st_ino stays from create on', async () => {
  const r = await rig();
  try {
    const inos: number[] = [];
    for (let i = 0; i < 5; i++) {
      const fd = await r.h.create(`/b${i}`, 0o644, undefined, r.signal);
      await r.h.write(`/b${i}`, fd, Buffer.from(`x${i}`), 0, r.signal);
      const shown = (await r.h.getattr(`/b${i}`, r.signal)).ino;
      // what the kernel asks on a write (security.capability): answered here for a file just created
      await r.h.getxattr(`/b${i}`, 'security.capability', r.signal).then(() => assert.unreachable('no such attribute'), (err: Error) => assert.match(err.message, /No attribute/));
      await r.h.release(`/b${i}`, fd, r.signal);
      assert.is(r.client.entries.get(`/b${i}`)!.ino, shown, `b${i}: the number stat showed before the commit is the inode's`);
      assert.is((await r.h.getattr(`/b${i}`, r.signal)).ino, shown);
      assert.ok(r.client.content(`/b${i}`).equals(Buffer.from(`x${i}`)));
      inos.push(shown);
    }
    assert.is(r.client.calls.mknod, 1, 'only the first create asked the controller first');
    assert.is(r.client.calls.getXattr, undefined, 'no xattr asked of the controller');
    assert.is(new Set(inos).size, 5);
    const sent = (r.client.requests.commitExtents as { newIno?: string }[]).map((q) => q.newIno);
    assert.is(sent[0], undefined, 'the first file existed already: committed by its number');
    assert.ok(sent.slice(1).every((id) => id !== undefined && NEW_INO_RE.test(id)), `chosen ids ${sent.join(' ')}`);
  } finally {
    await r.cleanup();
  }
});

test('a controller without mknod: an empty created file is committed on release', async () => {
  const r = await rig({ legacy: true });
  try {
    const fd = await r.h.create('/empty', 0o644, undefined, r.signal);
    await r.h.release('/empty', fd, r.signal);
    assert.is(r.client.entries.get('/empty')!.size, 0);
    assert.equal(r.client.extentUploads, [0]);
    const fd2 = await r.h.create('/empty2', 0o644, undefined, r.signal);
    await r.h.release('/empty2', fd2, r.signal);
    assert.is(r.client.calls.mknod, 1, 'asked once');
  } finally {
    await r.cleanup();
  }
});

test('truncate down to the middle of a chunk, then extend: content and uploads', async () => {
  const r = await rig();
  try {
    const original = pattern(3 * CS);
    r.client.putFile('/t', original);
    await r.h.truncate('/t', CS + 100, r.signal);
    assert.is(r.client.entries.get('/t')!.size, CS + 100);
    assert.equal(r.client.extentUploads, [0], 'a cut extent, no new chunk');
    assert.ok(r.client.content('/t').equals(original.subarray(0, CS + 100)));
    await r.h.truncate('/t', 2 * CS + 1, r.signal);
    const expected = Buffer.concat([original.subarray(0, CS + 100), Buffer.alloc(CS - 99)]);
    assert.ok(r.client.content('/t').equals(expected));
    assert.equal(r.client.extentUploads[1], 0, 'the growth is a hole');
  } finally {
    await r.cleanup();
  }
});

test('open with O_TRUNC drops the content without fetching it', async () => {
  const r = await rig();
  try {
    r.client.putFile('/t', pattern(3 * CS));
    const fd = await r.h.open('/t', O_WRONLY | O_TRUNC, r.signal);
    await r.h.write('/t', fd, Buffer.from('hi'), 0, r.signal);
    await r.h.release('/t', fd, r.signal);
    assert.is(r.client.calls.fetchChunk, undefined);
    assert.is(r.client.calls.readPlan, undefined);
    assert.is(r.client.content('/t').toString(), 'hi');
  } finally {
    await r.cleanup();
  }
});

test('ftruncate on an open handle, write past the end leaves a zero hole', async () => {
  const r = await rig();
  try {
    r.client.putFile('/h', Buffer.from('abcdef'));
    const fd = await r.h.open('/h', O_RDWR, r.signal);
    await r.h.ftruncate('/h', fd, 3, r.signal);
    await r.h.write('/h', fd, Buffer.from('Z'), 5, r.signal);
    assert.equal([...(await r.h.read('/h', fd, 100, 0, r.signal))], [97, 98, 99, 0, 0, 90]);
    await r.h.release('/h', fd, r.signal);
    assert.equal([...r.client.content('/h')], [97, 98, 99, 0, 0, 90]);
  } finally {
    await r.cleanup();
  }
});

test('a failed upload on flush is reported and kept staged; the next flush retries and succeeds', async () => {
  const r = await rig();
  try {
    const fd = await r.h.create('/r', 0o644, undefined, r.signal);
    await r.h.write('/r', fd, Buffer.from('payload'), 0, r.signal);
    // (UNAVAILABLE is retried within the deadline; a full cluster is not)
    r.client.failNext.set('commitExtents', errors.noSpace('no chunkserver has room'));
    assert.is((await rejection(r.h.flush('/r', fd, r.signal))).code, 'NO_SPACE');
    assert.is(r.client.content('/r').length, 0, 'only the empty file from the create');
    await r.h.flush('/r', fd, r.signal);
    assert.is(r.client.content('/r').toString(), 'payload');
    await r.h.release('/r', fd, r.signal);
  } finally {
    await r.cleanup();
  }
});

test('a failed upload on release keeps the data staged for the next open', async () => {
  const r = await rig();
  try {
    const fd = await r.h.create('/r2', 0o644, undefined, r.signal);
    await r.h.write('/r2', fd, Buffer.from('later'), 0, r.signal);
    r.client.failNext.set('commitExtents', errors.noSpace('full'));
    assert.is((await rejection(r.h.release('/r2', fd, r.signal))).code, 'NO_SPACE');
    assert.is(r.h.debug.files.size, 1);
    assert.is((await r.h.getattr('/r2', r.signal)).size, 5);
    const fd2 = await r.h.open('/r2', O_RDWR, r.signal);
    await r.h.flush('/r2', fd2, r.signal);
    await r.h.release('/r2', fd2, r.signal);
    assert.is(r.client.content('/r2').toString(), 'later');
    assert.is(r.h.debug.files.size, 0);
  } finally {
    await r.cleanup();
  }
});

test('growing a file past MAX_FILE_BYTES is EFBIG (truncate and write), and the file keeps its size', async () => {
  const r = await rig();
  try {
    const [, fd] = await call(r.ops.create, '/big', 0o100644) as [number, number];
    assert.equal(await call(r.ops.ftruncate, '/big', fd, 999_999_999_999_999), [-27]);
    assert.equal(await call(r.ops.write, '/big', fd, Buffer.from('x'), 1, MAX_FILE_BYTES), [-27]);
    assert.equal(await call(r.ops.ftruncate, '/big', fd, CS * 100), [0], 'growing below the bound is fine');
    assert.equal(await call(r.ops.ftruncate, '/big', fd, 3), [0]);
    assert.equal(await call(r.ops.release, '/big', fd), [0]);
    assert.is(r.client.entries.get('/big')!.size, 3);
  } finally {
    await r.cleanup();
  }
});


test('scattered overwrites + fsync commit extents until too fragmented, then one compaction rewrites whole chunks; reopened reads match a model', async () => {
  const r = await rig();
  try {
    const model = pattern(8 * CS + 123);
    r.client.putFile('/frag', Buffer.from(model));
    let fd = await r.h.open('/frag', O_RDWR, r.signal);
    let x = 7;
    for (let k = 0; k < 150; k++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const off = x % (model.length - 100);
      const patch = Buffer.alloc(1 + (x >>> 8) % 90, k);
      await r.h.write('/frag', fd, patch, off, r.signal);
      patch.copy(model, off);
      await r.h.fsync('/frag', fd, r.signal);
      if (k % 25 === 24) {
        await r.h.release('/frag', fd, r.signal);
        assert.ok(r.client.content('/frag').equals(model), `content after ${k + 1} overwrites`);
        fd = await r.h.open('/frag', O_RDWR, r.signal);
        assert.ok((await r.h.read('/frag', fd, model.length + 10, 0, r.signal)).equals(model), `read back after ${k + 1}`);
      }
    }
    await r.h.release('/frag', fd, r.signal);
    assert.ok(r.client.content('/frag').equals(model));
    assert.ok((r.client.calls.commitExtents ?? 0) > 30, 'most commits are extents');
    assert.ok((r.client.calls.commitChunks ?? 0) >= 1, 'compaction rewrote whole chunks at least once');
    const ext = r.client.entries.get('/frag')!.extents;
    assert.ok(!ext || ext.length <= 8 + 2 * 129, `bounded extents (${ext?.length})`);
  } finally {
    await r.cleanup();
  }
});

test.run();
