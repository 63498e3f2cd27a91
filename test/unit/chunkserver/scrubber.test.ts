/**
 * The scrubber finds a chunk with a flipped byte on disk, removes it (never served again, leaves
 * the inventory), reports it, and leaves good chunks alone; the rate limit is honoured (on a test
 * clock: the reader is held back exactly when it is ahead of SCRUB_RATE); an aborted pass stops.
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

/**
 * A store whose verify() reads each chunk in 1000-byte pieces, reporting each to the scrubber's
 * throttle, with the test's clock standing in for performance.now() (what the throttle reads):
 * `clockAt(bytes)` says what the clock reads once that many bytes have been read. Records, per
 * piece, whether the throttle made the reader wait (it did if a setImmediate fired before it let
 * go: only a timer does that); the first wait aborts the pass, so the test never sleeps.
 */
async function throttled(rateBytesPerSec: number, clockAt: (bytes: number) => number) {
  const ac = new AbortController();
  const mem = createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 });
  for (let i = 0; i < 3; i++) {
    const c = chunk(3000);
    await mem.put(c.id, Readable.from([c.data]));
  }
  const clock = { ms: 0 };
  const pieces: { bytes: number; waited: boolean }[] = [];
  let bytes = 0;
  const store = {
    ...mem,
    async verify(_id: string, o: { onBytes?: (n: number) => Promise<void> | void } = {}) {
      for (let i = 0; i < 3; i++) {
        bytes += 1000;
        clock.ms = clockAt(bytes);
        const let_go = Promise.resolve(o.onBytes?.(1000)).then(() => false);
        const waited = await Promise.race([let_go, new Promise<boolean>((r) => setImmediate(() => r(true)))]);
        pieces.push({ bytes, waited });
        if (waited) ac.abort();
        await let_go;
      }
      return true;
    },
  };
  const scrubber = createScrubber({
    store, logger: silentLogger(), metrics: createChunkserverMetrics(createMetricsRegistry({}), mem),
    report: async () => {}, rateBytesPerSec, intervalMs: 3_600_000, shutdown: new AbortController().signal,
  });
  const realNow = performance.now;
  performance.now = () => clock.ms;
  try {
    const result = await scrubber.runPass({ signal: ac.signal }).catch((err: unknown) => err as Error);
    return { result, pieces };
  } finally {
    performance.now = realNow;
  }
}

test('scrubber honours SCRUB_RATE: it reads on while on the rate and waits once ahead of it', async () => {
  // reading at exactly 100 000 B/s: never held back, the whole pass runs
  const onRate = await throttled(100_000, (b) => (b / 100_000) * 1000);
  assert.equal((onRate.result as { checked: number }).checked, 3);
  assert.equal(onRate.pieces.map((p) => p.waited), Array(9).fill(false));
  // the disk is faster than the rate (no time passes): held back at the first piece, until aborted
  const ahead = await throttled(1000, () => 0);
  assert.equal(ahead.pieces, [{ bytes: 1000, waited: true }], 'waits after 1000 bytes, a second ahead of 1000 B/s');
  assert.instance(ahead.result, Error, 'the abort ends the wait and the pass');
  // less than a millisecond ahead it does not bother to wait
  const close = await throttled(100_000, (b) => (b / 100_000) * 1000 - 0.9);
  assert.equal(close.pieces.map((p) => p.waited), Array(9).fill(false));
});

test('scrubber stops when aborted', async () => {
  const dir = await tempDir();
  const store = createDiskStore({ dataDir: dir, quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
  await store.open();
  try {
    for (let i = 0; i < 3; i++) {
      const c = chunk(10_000);
      await store.put(c.id, Readable.from([c.data]));
    }
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
