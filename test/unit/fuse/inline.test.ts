/**
 * The mount's small files inline (fuse/staged-file.ts, fuse/file-reader.ts) over the fake client
 * with INLINE_MAX = 1 KiB and 64 KiB chunks: a created small file is one inline commit (no chunk
 * uploaded); a file read from an inline plan needs no chunk fetch; growing past the limit commits
 * chunks, truncating back commits inline again, the bytes right each time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { O_RDONLY, O_RDWR, call, pattern, rig } from './helpers.js';

const LIMIT = 1024;

test('create, write 600 bytes, close: one inline commit, nothing uploaded; a read-only open reads it with no chunk fetch', async () => {
  const r = await rig();
  r.client.inlineMaxBytes = LIMIT;
  try {
    const data = pattern(600, 3);
    const fd = await r.h.create('/small', 0o100644, undefined, r.signal);
    await r.h.write('/small', fd, data, 0, r.signal);
    await r.h.flush('/small', fd, r.signal);
    await r.h.release('/small', fd, r.signal);
    assert.is(r.client.calls.commitInline, 1);
    assert.is(r.client.calls.commitChunks, undefined);
    assert.ok(r.client.content('/small').equals(data));
    const rd = await r.h.open('/small', O_RDONLY, r.signal);
    assert.ok((await r.h.read('/small', rd, 4096, 0, r.signal)).equals(data));
    assert.ok((await r.h.read('/small', rd, 10, 595, r.signal)).equals(data.subarray(595)));
    await r.h.release('/small', rd, r.signal);
    assert.is(r.client.calls.fetchChunk, undefined);
  } finally {
    await r.cleanup();
  }
});

test('an inline file grown past INLINE_MAX goes to chunks; truncated back below it, inline again', async () => {
  const r = await rig();
  r.client.inlineMaxBytes = LIMIT;
  try {
    const head = pattern(500, 5);
    await r.client.commitInline('/f', head);
    let fd = await r.h.open('/f', O_RDWR, r.signal);
    const tail = pattern(2000, 6);
    await r.h.write('/f', fd, tail, 500, r.signal);
    await r.h.release('/f', fd, r.signal);
    assert.is((r.client.calls.commitChunks ?? 0) + (r.client.calls.commitExtents ?? 0), 1, 'one commit in chunks');
    assert.is(r.client.entries.get('/f')!.inline, undefined);
    assert.ok(r.client.content('/f').equals(Buffer.concat([head, tail])));
    fd = await r.h.open('/f', O_RDWR, r.signal);
    await r.h.ftruncate('/f', fd, 700, r.signal);
    await r.h.release('/f', fd, r.signal);
    assert.is(r.client.calls.commitInline, 2);
    assert.ok(r.client.content('/f').equals(Buffer.concat([head, tail]).subarray(0, 700)));
    assert.ok(r.client.entries.get('/f')!.inline !== undefined);
    assert.equal(r.client.entries.get('/f')!.chunks, []);
  } finally {
    await r.cleanup();
  }
});

test('a controller that refuses the inline commit gets the file in chunks', async () => {
  const r = await rig();
  r.client.inlineMaxBytes = LIMIT;
  r.client.controllerInlineMax = 100;
  try {
    const data = pattern(600, 8);
    const fd = await r.h.create('/refused', 0o100644, undefined, r.signal);
    await r.h.write('/refused', fd, data, 0, r.signal);
    await r.h.release('/refused', fd, r.signal);
    assert.is(r.client.calls.commitInline, 1, 'tried inline once');
    assert.is((r.client.calls.commitChunks ?? 0) + (r.client.calls.commitExtents ?? 0), 1, 'one commit in chunks');
    assert.ok(r.client.content('/refused').equals(data));
    assert.is(r.client.inlineMaxBytes, 100);
  } finally {
    await r.cleanup();
  }
});

void call;
test.run();
