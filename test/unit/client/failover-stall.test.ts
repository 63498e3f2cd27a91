/**
 * ControllerPool's stall check: an attempt without an answer gets a connect check; a controller
 * accepting no connection is abandoned (its request aborted) and the next one answers; a slow
 * but connected one is waited for. tcpProbe against a listening and a closed port on 127.0.0.1.
 */
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ControllerPool, tcpProbe } from '../../../src/client/controllers.js';
import { RedCloudError, errors } from '../../../src/common/errors.js';
import { silentLogger } from '../../../src/common/logger.js';

const noSleep = async (): Promise<void> => undefined;

/** A request that never answers until its signal fires (then rejects like requestJson does). */
const hang = (signal: AbortSignal): Promise<never> => new Promise((_, reject) => {
  signal.addEventListener('abort', () => reject(errors.aborted('aborted')), { once: true });
});

test('a stalled controller that accepts no connection is abandoned; the next one answers', async () => {
  const probed: string[] = [];
  const pool = new ControllerPool({
    controllers: ['http://a:1', 'http://b:1'], logger: silentLogger(), sleep: noSleep, stallProbeAfterMs: 5, connectTimeoutMs: 50,
    probe: async (url) => {
      probed.push(url);
      throw errors.timeout('no connection');
    },
  });
  let abortedA = false;
  const started = Date.now();
  const out = await pool.call(async (url, signal) => {
    if (url === 'http://a:1') {
      signal.addEventListener('abort', () => { abortedA = true; }, { once: true });
      return hang(signal);
    }
    return 'from b';
  });
  assert.is(out, 'from b');
  assert.equal(probed, ['http://a:1']);
  assert.is(abortedA, true, "a's request was aborted, not left running");
  assert.is(pool.currentUrl(), 'http://b:1');
  assert.ok(Date.now() - started < 1000, `failed over in ${Date.now() - started} ms`);
});

test('a slow controller that accepts connections is waited for', async () => {
  let release!: (v: string) => void;
  const pool = new ControllerPool({
    controllers: ['http://a:1', 'http://b:1'], logger: silentLogger(), sleep: noSleep, stallProbeAfterMs: 5,
    probe: async () => { setTimeout(() => release('slow a'), 20); },
  });
  const tried: string[] = [];
  const out = await pool.call((url) => {
    tried.push(url);
    return new Promise<string>((resolve) => { release = resolve; });
  });
  assert.is(out, 'slow a');
  assert.equal(tried, ['http://a:1']);
});

test('every controller unreachable: UNAVAILABLE naming them all', async () => {
  const pool = new ControllerPool({
    controllers: ['http://a:1', 'http://b:1'], logger: silentLogger(), sleep: noSleep, rounds: 1, stallProbeAfterMs: 1,
    probe: async () => { throw errors.timeout('no connection'); },
  });
  try {
    await pool.call((_url, signal) => hang(signal));
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'UNAVAILABLE');
    assert.match((err as RedCloudError).message, 'http://a:1, http://b:1');
  }
});

test('tcpProbe resolves on a listening port and rejects on a closed one', async () => {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    await tcpProbe(`http://127.0.0.1:${port}`, 1000, new AbortController().signal);
  } finally {
    await new Promise((r) => server.close(r));
  }
  let failed = false;
  await tcpProbe(`http://127.0.0.1:${port}`, 1000, new AbortController().signal).catch(() => { failed = true; });
  assert.is(failed, true, 'closed port refused');
});

test.run();
