/**
 * The mount's on-disk chunk cache tier (fuse/disk-chunk-cache.ts) and its use by ChunkCache: range
 * reads by pread, LRU eviction by bytes, capacity 0, files of an earlier mount verified on first
 * access (a corrupt one removed), leftover temp files removed, disk-full and I/O failures skipped,
 * and reads served from disk after the RAM copy is gone — also after a "remount".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../../src/common/hash.js';
import { silentLogger } from '../../../src/common/logger.js';
import { ChunkCache } from '../../../fuse/chunk-cache.js';
import { DiskChunkCache, diskNearlyFull, DISK_FREE_MIN_BYTES, openFilesMaxFor, type DiskSpace } from '../../../fuse/disk-chunk-cache.js';
import { SizedLru, type SizedEntry } from '../../../fuse/lru.js';
import { FakeClient } from '../../helpers/fake-client.js';
import { makeTempDir, removeDir } from '../../helpers/tmp.js';
import { call, CS, O_RDONLY, pattern, rig } from './helpers.js';

const logger = silentLogger();
const ROOMY: DiskSpace = { freeBytes: 100 * 1024 ** 3, totalBytes: 200 * 1024 ** 3 };

/** Chunk files a test cache keeps open at most. */
const OPEN_FILES_MAX = 16;

function disk(dir: string, capacityBytes: number, space: DiskSpace = ROOMY): DiskChunkCache {
  return new DiskChunkCache({ logger, diskSpace: async () => space }, { dir, capacityBytes, openFilesMax: OPEN_FILES_MAX });
}

function fileOf(dir: string, id: string): string {
  return join(dir, 'chunks', id.slice(0, 2), id);
}

/** A chunk of `size` bytes and its id. */
function chunk(size: number, seed: number): { id: string; data: Buffer } {
  const data = pattern(size, seed);
  return { id: sha256Hex(data), data };
}

async function withDir(label: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = makeTempDir(label);
  try {
    await fn(dir);
  } finally {
    removeDir(dir);
  }
}

test('SizedLru: evicts least recently used by bytes, refuses an entry above capacity, peek keeps the order', () => {
  const lru = new SizedLru<SizedEntry>(10, (e) => e.sizeBytes);
  const entry = (sizeBytes: number, verified = true): SizedEntry => ({ sizeBytes, verified });
  assert.equal(lru.set('a', entry(4)), []);
  assert.equal(lru.set('b', entry(4, false)), []);
  lru.get('a');
  assert.equal(lru.set('c', entry(4)), ['b']);
  assert.equal(lru.keys(), ['a', 'c']);
  assert.is(lru.sizeBytes, 8);
  assert.equal(lru.set('big', entry(11)), ['big']);
  assert.is(lru.has('big'), false);
  assert.equal(lru.set('d', entry(6, false)), ['a']);
  assert.equal(lru.keys(), ['c', 'd']);
  lru.peek('c');
  assert.equal(lru.keys(), ['c', 'd'], 'peek does not make c the most recent');
  assert.is(lru.get('d')!.verified, false);
  assert.is(lru.delete('c'), true);
  assert.is(lru.delete('c'), false);
  assert.is(lru.sizeBytes, 6);
  lru.clear();
  assert.is(lru.count, 0);
  assert.is(lru.sizeBytes, 0);
});

test('openFilesMaxFor: a quarter of the soft limit, between 64 and 1024; 64 when unknown', () => {
  const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 524288               files\n`;
  assert.is(openFilesMaxFor(limits('1024')), 256);
  assert.is(openFilesMaxFor(limits('20000')), 1024);
  assert.is(openFilesMaxFor(limits('128')), 64);
  assert.is(openFilesMaxFor(limits('unlimited')), 64);
  assert.is(openFilesMaxFor(undefined), 64);
});

test('diskNearlyFull: below max(1 GiB, 5 %) of the file system is full', () => {
  assert.is(diskNearlyFull({ freeBytes: DISK_FREE_MIN_BYTES - 1, totalBytes: 10 * 1024 ** 3 }), true);
  assert.is(diskNearlyFull({ freeBytes: DISK_FREE_MIN_BYTES, totalBytes: 10 * 1024 ** 3 }), false);
  assert.is(diskNearlyFull({ freeBytes: 4 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 }), true);
  assert.is(diskNearlyFull({ freeBytes: 5 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 }), false);
});

test('put, then readRange preads just the range and readAll gives the chunk', () => withDir('dc-put', async (dir) => {
  const d = disk(dir, 1024 * 1024);
  const c = chunk(CS, 1);
  await d.put(c.id, c.data);
  assert.ok(existsSync(fileOf(dir, c.id)));
  assert.equal(readdirSync(join(dir, 'chunks', c.id.slice(0, 2))), [c.id], 'no temp file left');
  const part = await d.readRange(c.id, 100, 4196);
  assert.ok(part!.equals(c.data.subarray(100, 4196)));
  assert.is(part!.length, 4096);
  assert.ok((await d.readAll(c.id))!.equals(c.data));
  assert.is(await d.readRange(c.id, 100, CS + 1), undefined, 'a range past the chunk is a miss');
  const other = chunk(10, 2);
  assert.is(await d.readRange(other.id, 0, 10), undefined);
  assert.is(await d.readRange('../../etc/passwd', 0, 10), undefined, 'not a chunk id');
  assert.is(d.stats.hits, 2);
  assert.is(d.stats.puts, 1);
  assert.is(d.sizeBytes, CS);
  await d.stop();
}));

test('eviction by bytes, least recently used first, deletes the files', () => withDir('dc-evict', async (dir) => {
  const d = disk(dir, 3 * 1000);
  const [a, b, c, e] = [chunk(1000, 1), chunk(1000, 2), chunk(1000, 3), chunk(2000, 5)];
  await d.put(a.id, a.data);
  await d.put(b.id, b.data);
  await d.put(c.id, c.data);
  assert.ok(await d.readRange(a.id, 0, 1), 'a is now the most recently used');
  const dd = chunk(1000, 4);
  await d.put(dd.id, dd.data);
  await d.idle();
  assert.is(existsSync(fileOf(dir, b.id)), false, 'b evicted');
  assert.equal([a, c, dd].map((x) => existsSync(fileOf(dir, x.id))), [true, true, true]);
  await d.put(e.id, e.data);
  await d.idle();
  assert.equal([a, c, dd, e].map((x) => d.has(x.id)), [false, false, true, true]);
  assert.equal([a, c, dd, e].map((x) => existsSync(fileOf(dir, x.id))), [false, false, true, true]);
  assert.is(d.sizeBytes, 3000);
  assert.is(d.stats.evictions, 3);
  const big = chunk(3001, 6);
  await d.put(big.id, big.data);
  assert.is(d.has(big.id), false, 'larger than the capacity: skipped');
  assert.is(existsSync(fileOf(dir, big.id)), false);
  assert.is(d.stats.skippedPuts, 1);
  await d.stop();
}));

test('range reads keep at most OPEN_FILES_MAX files open; an evicted file is closed and misses', () => withDir('dc-fds', async (dir) => {
  const d = disk(dir, (OPEN_FILES_MAX + 6) * 100);
  const cs = Array.from({ length: OPEN_FILES_MAX + 6 }, (_, i) => chunk(100, i));
  for (const c of cs) await d.put(c.id, c.data);
  const parts = await Promise.all(cs.map((c) => d.readRange(c.id, 10, 20)));
  assert.ok(parts.every((p, i) => p!.equals(cs[i]!.data.subarray(10, 20))));
  assert.is(d.openFileCount, OPEN_FILES_MAX);
  for (const c of cs) assert.ok((await d.readRange(c.id, 0, 1))!.equals(c.data.subarray(0, 1)), 'reads again through reopened files');
  // open now: cs[6…]; least recently used in the index: cs[0…5], then cs[6]
  for (let i = 0; i < 6; i++) await d.put(chunk(100, 1000 + i).id, chunk(100, 1000 + i).data);
  await d.idle();
  assert.is(d.openFileCount, OPEN_FILES_MAX, 'evicting files that are not open closes nothing');
  const extra = chunk(100, 999);
  await d.put(extra.id, extra.data); // evicts cs[6], which is open
  await d.idle();
  assert.is(d.has(cs[6]!.id), false);
  assert.is(d.openFileCount, OPEN_FILES_MAX - 1, 'the evicted file was open and is closed');
  assert.is(await d.readRange(cs[6]!.id, 0, 10), undefined);
  await d.stop();
  assert.is(d.openFileCount, 0);
}));

test('capacity 0 disables the tier: nothing stored, no directory created', () => withDir('dc-zero', async (dir) => {
  const d = disk(dir, 0);
  const c = chunk(100, 1);
  await d.put(c.id, c.data);
  assert.is(await d.readRange(c.id, 0, 10), undefined);
  assert.is(await d.readAll(c.id), undefined);
  assert.is(existsSync(join(dir, 'chunks')), false);
  assert.is(d.mayHave(c.id), false);
}));

test('a disk nearly full skips puts without failing', () => withDir('dc-full', async (dir) => {
  const d = disk(dir, 1024 * 1024, { freeBytes: 512 * 1024 ** 2, totalBytes: 100 * 1024 ** 3 });
  const c = chunk(100, 1);
  await d.put(c.id, c.data);
  assert.is(d.has(c.id), false);
  assert.is(existsSync(fileOf(dir, c.id)), false);
  assert.is(d.stats.skippedPuts, 1);
}));

test('an unusable directory disables the tier; puts and reads never throw', () => withDir('dc-bad', async (dir) => {
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const d = disk(file, 1024 * 1024);
  const c = chunk(100, 1);
  await d.put(c.id, c.data);
  assert.is(await d.readRange(c.id, 0, 10), undefined);
  assert.is(await d.readAll(c.id), undefined);
  assert.is(d.stats.puts, 0);
}));

test('files of an earlier mount: a corrupt one is removed on first access, a good one verified once; temp files removed', () => withDir('dc-restart', async (dir) => {
  const good = chunk(CS, 1);
  const torn = chunk(CS, 2);
  for (const c of [good, torn]) mkdirSync(join(dir, 'chunks', c.id.slice(0, 2)), { recursive: true });
  writeFileSync(fileOf(dir, good.id), good.data);
  writeFileSync(fileOf(dir, torn.id), torn.data.subarray(0, CS / 2)); // a crash mid-write
  const tmp = `${fileOf(dir, good.id)}.tmp-123-1`;
  writeFileSync(tmp, good.data.subarray(0, 10));
  const d = disk(dir, 1024 * 1024);
  await d.start();
  assert.is(existsSync(tmp), false, 'leftover temp file deleted at start');
  assert.is(d.stats.tempRemoved, 1);
  assert.equal([d.has(good.id), d.has(torn.id)], [true, true], 'both indexed, unverified');
  assert.is(await d.readRange(torn.id, 0, 10), undefined, 'hash mismatch: a miss');
  assert.is(existsSync(fileOf(dir, torn.id)), false, 'and the file is gone');
  assert.is(d.has(torn.id), false);
  assert.is(d.stats.corrupt, 1);
  assert.ok((await d.readRange(good.id, 5, 15))!.equals(good.data.subarray(5, 15)));
  assert.ok((await d.readRange(good.id, 20, 30))!.equals(good.data.subarray(20, 30)));
  assert.is(d.sizeBytes, CS);
}));

test('garbage under a valid id is detected by readAll too', () => withDir('dc-garbage', async (dir) => {
  const c = chunk(1000, 3);
  mkdirSync(join(dir, 'chunks', c.id.slice(0, 2)), { recursive: true });
  writeFileSync(fileOf(dir, c.id), pattern(1000, 4));
  const d = disk(dir, 1024 * 1024);
  assert.is(await d.readAll(c.id), undefined);
  assert.is(existsSync(fileOf(dir, c.id)), false);
  await d.put(c.id, c.data);
  assert.ok((await d.readAll(c.id))!.equals(c.data), 'stored again after a good fetch');
}));

async function chunksOf(client: FakeClient, path: string, data: Buffer) {
  client.putFile(path, data);
  return (await client.readPlan(path)).chunks;
}

test('ChunkCache.read: a range is served from disk once the RAM copy is evicted, and after a remount', () => withDir('dc-cache', async (dir) => {
  const client = new FakeClient(CS);
  const data = pattern(2 * CS, 7);
  const [c0, c1] = await chunksOf(client, '/f', data);
  const opts = { capacityBytes: CS, readAheadChunks: 0, fetchTimeoutMs: 5000 };
  const cache = new ChunkCache({ client, logger, disk: disk(dir, 8 * CS) }, opts);
  assert.ok((await cache.read(c0!, 10, 4106)).equals(data.subarray(10, 4106)));
  assert.ok((await cache.read(c1!, 0, 100)).equals(data.subarray(CS, CS + 100)), 'chunk 1 evicts chunk 0 from RAM');
  await cache.idle();
  assert.is(client.calls.fetchChunk, 2);
  assert.ok((await cache.read(c0!, 4096, 8192)).equals(data.subarray(4096, 8192)));
  assert.is(client.calls.fetchChunk, 2, 'no fetch: read from disk');
  assert.is(cache.stats.diskHits, 1);
  await cache.stop();

  const again = new ChunkCache({ client, logger, disk: disk(dir, 8 * CS) }, opts);
  assert.ok((await again.read(c1!, CS - 50, CS)).equals(data.subarray(2 * CS - 50, 2 * CS)));
  assert.ok((await again.get(c0!)).equals(data.subarray(0, CS)), 'whole chunk (staged files) from disk too');
  assert.is(client.calls.fetchChunk, 2, 'the remounted cache fetched nothing');
  assert.is(again.stats.diskHits, 2);
  await again.stop();
}));

test('ChunkCache without a disk tier fetches again after eviction; read-ahead lands on disk', () => withDir('dc-ra', async (dir) => {
  const client = new FakeClient(CS);
  const data = pattern(3 * CS, 8);
  const chunks = await chunksOf(client, '/f', data);
  const ram = new ChunkCache({ client, logger }, { capacityBytes: CS, readAheadChunks: 0, fetchTimeoutMs: 5000 });
  await ram.read(chunks[0]!, 0, 10);
  await ram.read(chunks[1]!, 0, 10);
  await ram.read(chunks[0]!, 0, 10);
  assert.is(client.calls.fetchChunk, 3);
  await ram.stop();

  const d = disk(dir, 8 * CS);
  const cache = new ChunkCache({ client, logger, disk: d }, { capacityBytes: CS, readAheadChunks: 2, fetchTimeoutMs: 5000 });
  cache.readAhead(chunks, 1);
  await cache.idle();
  assert.equal([d.has(chunks[1]!.id), d.has(chunks[2]!.id)], [true, true]);
  assert.is(client.calls.fetchChunk, 5);
  assert.ok((await cache.read(chunks[0]!, 0, 10)).equals(data.subarray(0, 10)));
  cache.readAhead(chunks, 1);
  await cache.idle();
  assert.is(cache.stats.readAheads, 2, 'chunks already on disk are not read ahead (they are read by range)');
  assert.is(client.calls.fetchChunk, 6);
  await cache.stop();
}));

test('mount reads with --disk-cache-size: a re-read after RAM eviction costs no fetch', async () => {
  const r = await rig({ cacheSizeBytes: CS, diskCacheSizeBytes: 16 * CS });
  try {
    const data = pattern(3 * CS, 9);
    r.client.putFile('/big', data);
    const [, fd] = await call(r.ops.open, '/big', O_RDONLY) as [number, number];
    const buf = Buffer.alloc(4096);
    // a sequential reader from 0 (read-pattern.ts): whole chunks from its second read on, kept on disk (a random read fetches only its blocks)
    for (const off of [0, 5, CS + 5, 2 * CS + 5]) {
      assert.equal(await call(r.ops.read, '/big', fd, buf, 4096, off), [4096]);
      assert.ok(buf.equals(data.subarray(off, off + 4096)));
    }
    await r.h.cache.idle();
    assert.is(r.client.calls.fetchChunk, 3);
    const span = Buffer.alloc(CS);
    assert.equal(await call(r.ops.read, '/big', fd, span, CS, CS / 2), [CS], 'a read across chunks 0 and 1, both on disk');
    assert.ok(span.equals(data.subarray(CS / 2, CS / 2 + CS)));
    assert.is(r.client.calls.fetchChunk, 3);
    assert.ok(r.h.cache.stats.diskHits >= 1);
    assert.equal(await call(r.ops.release, '/big', fd), [0]);
    await r.h.cache.stop();
  } finally {
    await r.cleanup();
  }
});

test.run();
