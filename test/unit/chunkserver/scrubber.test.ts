/**
 * The scrubber finds a chunk with a flipped byte on disk, removes it (never served again, leaves
 * the inventory), reports it, and leaves good chunks alone; the rate limit is honoured.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAP_HEADER } from '../../../src/common/api.js';
import { silentLogger } from '../../../src/common/logger.js';
import { createDiskStore } from '../../../src/chunkserver/disk-store.js';
import { createMemoryStore } from '../../../src/chunkserver/memory-store.js';
import { createChunkserverMetrics } from '../../../src/chunkserver/metrics.js';
import { createScrubber } from '../../../src/chunkserver/scrubber.js';
import { createMetricsRegistry } from '../../../src/common/http-server.js';
import { cap, chunk, filesUnder, makeServer, removeDir, tempDir } from './helpers.js';

async function flipByte(file: string, offset: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = b[0]! ^ 0x01;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

test('scrubber detects a flipped byte, removes and reports the chunk, and it is not served again', async () => {
  const dir = await tempDir();
  const cs = await makeServer(dir);
  try {
    const good = chunk(20_000);
    const bad = chunk(20_000);
    for (const c of [good, bad]) await cs.store.put(c.id, Readable.from([c.data]));
    await flipByte(join(dir, 'chunks', bad.id.slice(0, 2), bad.id), 12_345);
    const removed: string[] = [];
    cs.store.onChange((ch) => { if (ch.type === 'removed') removed.push(ch.id); });
    const result = await cs.scrubber.runPass();
    assert.equal(result.corrupt, [bad.id]);
    assert.is(result.checked, 2);
    assert.is(result.bytes, 40_000);
    assert.equal(removed, [bad.id]);
    assert.equal(cs.store.list(), [good.id]);
    assert.equal(await filesUnder(dir), [`chunks/${good.id.slice(0, 2)}/${good.id}`]);
    const res = await cs.app.inject({ method: 'GET', url: `/chunks/${bad.id}`, headers: { [CAP_HEADER]: cap(bad.id, 'r') } });
    assert.is(res.statusCode, 404);
    const metrics = (await cs.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /redcloud_chunkserver_scrub_chunks_total\{result="corrupt",node="cs-test",role="chunkserver"\} 1/);
    assert.match(metrics, /redcloud_chunkserver_scrub_chunks_total\{result="ok",node="cs-test",role="chunkserver"\} 1/);
  } finally {
    await cs.stop();
    await removeDir(dir);
  }
});

test('a GET of a chunk whose bytes rotted fails before the body completes and removes the chunk', async () => {
  const dir = await tempDir();
  const cs = await makeServer(dir);
  const { url } = await cs.start({ background: false });
  try {
    const bad = chunk(3 * 1024 * 1024);
    await cs.store.put(bad.id, Readable.from([bad.data]));
    await flipByte(join(dir, 'chunks', bad.id.slice(0, 2), bad.id), 5);
    let received = 0;
    let failed = false;
    try {
      const res = await fetch(`${url}/chunks/${bad.id}`, { headers: { [CAP_HEADER]: cap(bad.id, 'r') } });
      assert.is(res.status, 200);
      for await (const piece of res.body!) received += (piece as Uint8Array).length;
    } catch {
      failed = true;
    }
    assert.ok(failed, 'the body must not complete');
    assert.ok(received < bad.data.length, `received ${received} bytes`);
    for (let i = 0; i < 200 && cs.store.has(bad.id); i++) await new Promise((r) => setTimeout(r, 5));
    assert.is(cs.store.has(bad.id), false);
    assert.equal(await filesUnder(dir), []);
  } finally {
    await cs.stop();
    await removeDir(dir);
  }
});

test('scrubber reports the bad chunk through the injected reporter (memory store)', async () => {
  const store = createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 });
  const c = chunk(1000);
  await store.put(c.id, Readable.from([c.data]));
  store.corrupt(c.id);
  const reports: [string, string][] = [];
  const scrubber = createScrubber({
    store, logger: silentLogger(), metrics: createChunkserverMetrics(createMetricsRegistry({}), store),
    report: async (id, reason) => { reports.push([id, reason]); },
    rateBytesPerSec: 1024 ** 3, intervalMs: 3_600_000, shutdown: new AbortController().signal,
  });
  const result = await scrubber.runPass();
  assert.equal(result.corrupt, [c.id]);
  assert.equal(reports, [[c.id, 'scrubber: content does not match its hash']]);
  assert.is(store.has(c.id), false);
});

test('scrubber honours SCRUB_RATE and stops when aborted', async () => {
  const dir = await tempDir();
  const store = createDiskStore({ dataDir: dir, quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
  await store.open();
  try {
    for (let i = 0; i < 3; i++) {
      const c = chunk(10_000);
      await store.put(c.id, Readable.from([c.data]));
    }
    const scrubber = createScrubber({
      store, logger: silentLogger(), metrics: createChunkserverMetrics(createMetricsRegistry({}), store),
      report: async () => {}, rateBytesPerSec: 100_000, intervalMs: 3_600_000, shutdown: new AbortController().signal,
    });
    const started = performance.now();
    const result = await scrubber.runPass();
    const elapsedMs = performance.now() - started;
    assert.is(result.checked, 3);
    assert.ok(elapsedMs >= 280, `30 000 bytes at 100 000 B/s took ${elapsedMs} ms`);
    const ac = new AbortController();
    ac.abort();
    const slow = createScrubber({
      store, logger: silentLogger(), metrics: createChunkserverMetrics(createMetricsRegistry({}), store),
      report: async () => {}, rateBytesPerSec: 1024, intervalMs: 3_600_000, shutdown: ac.signal,
    });
    const aborted = await slow.runPass();
    assert.is(aborted.checked, 0);
    assert.is(store.list().length, 3);
  } finally {
    await removeDir(dir);
  }
});

test.run();
