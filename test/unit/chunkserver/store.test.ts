/**
 * One test suite run against both ChunkStore implementations (disk and memory): round trip,
 * idempotent put, integrity refusal, size cap, quota, delete, verify, change events.
 */
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../../src/common/logger.js';
import { createDiskStore } from '../../../src/chunkserver/disk-store.js';
import { createMemoryStore } from '../../../src/chunkserver/memory-store.js';
import type { ChunkStore } from '../../../src/chunkserver/store.js';
import { readerBytes } from '../../helpers/chunk-reader.js';
import { chunk, filesUnder, removeDir, tempDir } from './helpers.js';
import { rejectsWithCode as rejects } from '../../helpers/rejects.js';

interface Ctx {
  dir: string;
  make: (quotaBytes?: number) => Promise<ChunkStore>;
}

const impls: [string, (dir: string, quotaBytes: number) => ChunkStore][] = [
  ['disk', (dir, quotaBytes) => createDiskStore({ dataDir: dir, quotaBytes, minFreeBytes: 0, logger: silentLogger() })],
  ['memory', (_dir, quotaBytes) => createMemoryStore({ quotaBytes, minFreeBytes: 0 })],
];

for (const [name, factory] of impls) {
  const s = suite<Ctx>(`ChunkStore (${name})`, { dir: '', make: async () => undefined as never });
  s.before.each(async (ctx) => {
    ctx.dir = await tempDir();
    ctx.make = async (quotaBytes = 0) => {
      const store = factory(ctx.dir, quotaBytes);
      await store.open();
      return store;
    };
  });
  s.after.each(async (ctx) => removeDir(ctx.dir));

  s('put, get, has, list, delete round trip', async (ctx) => {
    const store = await ctx.make();
    const c = chunk(100_000);
    const changes: string[] = [];
    store.onChange((ch) => changes.push(`${ch.type}:${ch.id.slice(0, 4)}`));
    const res = await store.put(c.id, Readable.from([c.data.subarray(0, 500), c.data.subarray(500)]));
    assert.equal(res, { id: c.id, sizeBytes: 100_000, created: true });
    assert.ok(store.has(c.id));
    assert.is(store.sizeOf(c.id), 100_000);
    assert.equal(store.list(), [c.id]);
    const got = await store.get(c.id);
    assert.is(got.sizeBytes, 100_000);
    assert.ok((await readerBytes(got)).equals(c.data));
    assert.equal({ used: store.usage().usedBytes, count: store.usage().chunkCount }, { used: 100_000, count: 1 });
    assert.is(await store.verify(c.id), true);
    assert.is(await store.delete(c.id), true);
    assert.is(await store.delete(c.id), false);
    assert.not.ok(store.has(c.id));
    await rejects(store.get(c.id), 'NOT_FOUND');
    assert.equal(changes, [`added:${c.id.slice(0, 4)}`, `removed:${c.id.slice(0, 4)}`]);
    assert.equal({ used: store.usage().usedBytes, count: store.usage().chunkCount }, { used: 0, count: 0 });
  });

  s('a second put of the same chunk is idempotent (created: false)', async (ctx) => {
    const store = await ctx.make();
    const c = chunk(4096);
    await store.put(c.id, Readable.from([c.data]));
    const again = await store.put(c.id, Readable.from([c.data]));
    assert.equal(again, { id: c.id, sizeBytes: 4096, created: false });
    assert.is(store.usage().chunkCount, 1);
    assert.is(store.usage().usedBytes, 4096);
  });

  s('wrong bytes for the id → INTEGRITY and nothing kept', async (ctx) => {
    const store = await ctx.make();
    const c = chunk(4096);
    const other = chunk(4096);
    await rejects(store.put(c.id, Readable.from([other.data])), 'INTEGRITY');
    assert.not.ok(store.has(c.id));
    assert.is(store.usage().chunkCount, 0);
    assert.is(store.usage().usedBytes, 0);
    if (name === 'disk') assert.equal(await filesUnder(ctx.dir), []);
  });

  s('invalid id → INVALID', async (ctx) => {
    const store = await ctx.make();
    await rejects(store.put('ABC', Readable.from([Buffer.from('x')])), 'INVALID');
    await rejects(store.get('../../etc/passwd'), 'INVALID');
  });

  s('declared size over 64 MiB → TOO_LARGE before reading', async (ctx) => {
    const store = await ctx.make();
    const c = chunk(16);
    await rejects(store.put(c.id, Readable.from([c.data]), { expectedSizeBytes: 64 * 1024 * 1024 + 1 }), 'TOO_LARGE');
    assert.is(store.usage().chunkCount, 0);
  });

  s('quota: a chunk that does not fit → NO_SPACE, stored chunks untouched', async (ctx) => {
    const store = await ctx.make(10_000);
    const a = chunk(6000);
    const b = chunk(6000);
    await store.put(a.id, Readable.from([a.data]));
    await rejects(store.put(b.id, Readable.from([b.data])), 'NO_SPACE');
    await rejects(store.put(b.id, Readable.from([b.data]), { expectedSizeBytes: 6000 }), 'NO_SPACE');
    assert.equal(store.list(), [a.id]);
    assert.is(await store.verify(a.id), true);
    const u = store.usage();
    assert.equal({ used: u.usedBytes, free: u.freeBytes, cap: u.capacityBytes, full: u.full }, { used: 6000, free: 4000, cap: 10_000, full: true }); // the largest chunk (6000) no longer fits
    if (name === 'disk') assert.equal(await filesUnder(ctx.dir), [`chunks/${a.id.slice(0, 2)}/${a.id}`]);
  });

  s('an aborted put keeps nothing', async (ctx) => {
    const store = await ctx.make();
    const c = chunk(8192);
    const ac = new AbortController();
    async function* slow() {
      yield c.data.subarray(0, 4096);
      ac.abort();
      yield c.data.subarray(4096);
    }
    await rejects(store.put(c.id, slow(), { signal: ac.signal }), 'ABORTED');
    assert.not.ok(store.has(c.id));
    if (name === 'disk') assert.equal(await filesUnder(ctx.dir), []);
  });

  s('the empty chunk can be stored', async (ctx) => {
    const store = await ctx.make();
    const c = chunk(0);
    const res = await store.put(c.id, Readable.from([]));
    assert.equal(res, { id: c.id, sizeBytes: 0, created: true });
    assert.is((await readerBytes(await store.get(c.id))).length, 0);
  });

  s.run();
}

const reopen = suite('DiskStore restart');
reopen('reloads its inventory and removes stale temp files', async () => {
  const dir = await tempDir();
  try {
    const make = () => createDiskStore({ dataDir: dir, quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
    const first = make();
    await first.open();
    const c = chunk(1234);
    await first.put(c.id, Readable.from([c.data]));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/tmp/${c.id}.1.dead.tmp`, 'partial');
    const second = make();
    await second.open();
    assert.equal(second.list(), [c.id]);
    assert.is(second.usage().usedBytes, 1234);
    assert.equal(await filesUnder(dir), [`chunks/${c.id.slice(0, 2)}/${c.id}`]);
  } finally {
    await removeDir(dir);
  }
});

reopen('MIN_FREE_BYTES and a full disk refuse new chunks; ENOSPC-like free space is reported as full', async () => {
  const dir = await tempDir();
  try {
    let diskFree = 10_000;
    const store = createDiskStore({ dataDir: dir, quotaBytes: 0, minFreeBytes: 4000, logger: silentLogger(), diskFreeBytes: async () => diskFree });
    await store.open();
    const a = chunk(5000);
    await store.put(a.id, Readable.from([a.data]));
    diskFree = 5000;
    const b = chunk(2000);
    await rejects(store.put(b.id, Readable.from([b.data])), 'NO_SPACE');
    assert.equal(await filesUnder(dir), [`chunks/${a.id.slice(0, 2)}/${a.id}`]);
    assert.equal({ free: store.usage().freeBytes, full: store.usage().full }, { free: 1000, full: true }); // < largest chunk (5000)
    diskFree = 3000;
    await store.refreshUsage();
    assert.equal({ free: store.usage().freeBytes, full: store.usage().full }, { free: 0, full: true });
  } finally {
    await removeDir(dir);
  }
});

reopen('an ENOSPC while writing becomes NO_SPACE and the temp file is removed', async () => {
  const dir = await tempDir();
  try {
    const store = createDiskStore({ dataDir: dir, quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
    await store.open();
    const c = chunk(8192);
    async function* failing() {
      yield c.data.subarray(0, 4096);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    await rejects(store.put(c.id, failing()), 'NO_SPACE');
    assert.equal(await filesUnder(dir), []);
    assert.is(store.usage().chunkCount, 0);
  } finally {
    await removeDir(dir);
  }
});

reopen.run();
