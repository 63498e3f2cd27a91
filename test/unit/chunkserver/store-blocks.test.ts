/**
 * Block-verified chunks in both ChunkStore implementations: a tree-format put keeps its block
 * list, ranges are served exactly, verify checks bytes and list, a wrong format claim is refused;
 * and the disk store's files: the list beside the chunk, kept across a restart, removed with the
 * chunk, and a data dir written before blocks (bare v1 chunk files) opening as it is.
 */
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BLOCK_BYTES, blockHashesOf, chunkIdOf } from '../../../src/common/chunk-format.js';
import { silentLogger } from '../../../src/common/logger.js';
import { createDiskStore } from '../../../src/chunkserver/disk-store.js';
import { createMemoryStore } from '../../../src/chunkserver/memory-store.js';
import type { ChunkStore } from '../../../src/chunkserver/store.js';
import { readerBytes } from '../../helpers/chunk-reader.js';
import { randomBytes } from 'node:crypto';
import { chunk as v1Chunk, filesUnder, removeDir, tempDir } from './helpers.js';
import { rejectsWithCode as rejects } from '../../helpers/rejects.js';

function treeChunk(size: number) {
  const data = randomBytes(size);
  return { id: chunkIdOf('b3-64k', data), data };
}

const diskStore = (dir: string) => createDiskStore({ dataDir: dir, quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
const impls: [string, (dir: string) => ChunkStore][] = [
  ['disk', diskStore],
  ['memory', () => createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 })],
];

for (const [name, factory] of impls) {
  const s = suite<{ dir: string; store: ChunkStore }>(`ChunkStore blocks (${name})`, { dir: '', store: undefined as never });
  s.before.each(async (ctx) => {
    ctx.dir = await tempDir();
    ctx.store = factory(ctx.dir);
    await ctx.store.open();
  });
  s.after.each(async (ctx) => removeDir(ctx.dir));

  s('a tree chunk: stored with its block list, ranges exact, verified', async ({ store }) => {
    const c = treeChunk(3 * BLOCK_BYTES + 999);
    assert.equal(await store.put(c.id, Readable.from([c.data.subarray(0, 1000), c.data.subarray(1000)]), { format: 'b3-64k' }), { id: c.id, sizeBytes: c.data.length, created: true });
    const b = await store.blocks(c.id);
    assert.is(b.format, 'b3-64k');
    assert.ok(b.hashes.equals(blockHashesOf('b3-64k', c.data)));
    for (const [start, end] of [[0, 1], [BLOCK_BYTES, 2 * BLOCK_BYTES], [5, c.data.length], [c.data.length - 1, c.data.length]] as const) {
      const r = await store.get(c.id, { start, end });
      assert.is(r.sizeBytes, end - start);
      assert.ok((await readerBytes(r)).equals(c.data.subarray(start, end)), `[${start}, ${end})`);
    }
    await rejects(store.get(c.id, { start: 0, end: c.data.length + 1 }), 'INVALID');
    assert.is(await store.verify(c.id), true);
    assert.equal((await store.put(c.id, Readable.from([c.data]), { format: 'b3-64k' })).created, false);
  });

  s('a tree id claimed as v1 (or the other way) is refused: INTEGRITY, nothing kept', async ({ store }) => {
    const c = treeChunk(10_000);
    await rejects(store.put(c.id, Readable.from([c.data])), 'INTEGRITY');
    const old = v1Chunk(10_000);
    await rejects(store.put(old.id, Readable.from([old.data]), { format: 'b3-64k' }), 'INTEGRITY');
    assert.equal(store.list(), []);
  });

  s('a v1 chunk has no block list: format sha256, verified whole', async ({ store }) => {
    const old = v1Chunk(BLOCK_BYTES + 1);
    await store.put(old.id, Readable.from([old.data]));
    assert.equal(await store.blocks(old.id), { format: 'sha256', hashes: Buffer.alloc(0) });
    assert.is(await store.verify(old.id), true);
    await rejects(store.blocks(treeChunk(5).id), 'NOT_FOUND');
  });

  s.run();
}

const disk = suite('DiskStore block files');

disk('a range of a chunk file shorter on disk than recorded is UNAVAILABLE, not short bytes', async () => {
  const dir = await tempDir();
  try {
    const c = treeChunk(3 * BLOCK_BYTES);
    const store = diskStore(dir);
    await store.open();
    await store.put(c.id, Readable.from([c.data]), { format: 'b3-64k' });
    assert.ok((await readerBytes(await store.get(c.id, { start: 2 * BLOCK_BYTES, end: 3 * BLOCK_BYTES }))).equals(c.data.subarray(2 * BLOCK_BYTES)));
    await truncate(join(dir, 'chunks', c.id.slice(0, 2), c.id), 2 * BLOCK_BYTES + 10);
    await rejects(store.get(c.id, { start: 2 * BLOCK_BYTES, end: 3 * BLOCK_BYTES }), 'UNAVAILABLE');
    assert.ok((await readerBytes(await store.get(c.id, { start: 0, end: BLOCK_BYTES }))).equals(c.data.subarray(0, BLOCK_BYTES)), 'the intact part still reads');
  } finally {
    await removeDir(dir);
  }
});

disk('the block list lies beside the chunk, survives a restart, and goes with the chunk', async () => {
  const dir = await tempDir();
  try {
    const c = treeChunk(2 * BLOCK_BYTES);
    const first = diskStore(dir);
    await first.open();
    await first.put(c.id, Readable.from([c.data]), { format: 'b3-64k' });
    const at = `chunks/${c.id.slice(0, 2)}/${c.id}`;
    assert.equal(await filesUnder(dir), [at, `${at}.b3-64k`]);
    assert.ok((await readFile(join(dir, `${at}.b3-64k`))).equals(blockHashesOf('b3-64k', c.data)));
    const second = diskStore(dir);
    await second.open();
    assert.equal(second.list(), [c.id]);
    assert.is(second.usage().usedBytes, c.data.length, 'block lists are not counted as chunk bytes');
    assert.is((await second.blocks(c.id)).format, 'b3-64k');
    assert.is(await second.verify(c.id), true);
    assert.is(await second.delete(c.id), true);
    assert.equal(await filesUnder(dir), []);
  } finally {
    await removeDir(dir);
  }
});

disk('a flipped byte in the chunk or in its block list fails verify', async () => {
  const dir = await tempDir();
  try {
    const store = diskStore(dir);
    await store.open();
    const c = treeChunk(3 * BLOCK_BYTES);
    await store.put(c.id, Readable.from([c.data]), { format: 'b3-64k' });
    const file = join(dir, 'chunks', c.id.slice(0, 2), c.id);
    const bad = Buffer.from(c.data);
    bad[2 * BLOCK_BYTES + 7] ^= 0x10;
    await writeFile(file, bad);
    assert.is(await store.verify(c.id), false, 'bytes');
    await writeFile(file, c.data);
    assert.is(await store.verify(c.id), true);
    const list = blockHashesOf('b3-64k', c.data);
    list[40] ^= 0x01;
    await writeFile(`${file}.b3-64k`, list);
    assert.is(await store.verify(c.id), false, 'block list');
  } finally {
    await removeDir(dir);
  }
});

disk('a data dir written before blocks (bare SHA-256-named chunk files) opens as it is and serves its chunks', async () => {
  const dir = await tempDir();
  try {
    // exactly what the previous version leaves: DATA_DIR/chunks/<aa>/<sha256>, nothing else
    const olds = [v1Chunk(5000), v1Chunk(4 * BLOCK_BYTES + 3)];
    for (const o of olds) {
      await mkdir(join(dir, 'chunks', o.id.slice(0, 2)), { recursive: true });
      await writeFile(join(dir, 'chunks', o.id.slice(0, 2), o.id), o.data);
    }
    const store = diskStore(dir);
    await store.open();
    assert.equal(store.list().sort(), olds.map((o) => o.id).sort());
    for (const o of olds) {
      assert.is((await store.blocks(o.id)).format, 'sha256');
      assert.is(await store.verify(o.id), true);
      assert.ok((await readerBytes(await store.get(o.id, { start: 10, end: 4000 }))).equals(o.data.subarray(10, 4000)));
    }
    const fresh = treeChunk(100);
    await store.put(fresh.id, Readable.from([fresh.data]), { format: 'b3-64k' });
    assert.is(store.list().length, 3);
  } finally {
    await removeDir(dir);
  }
});

disk.run();
