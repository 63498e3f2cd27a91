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
  const events: string[] = [];
  let deadlineA: (() => void) | undefined;
  const pool = new ControllerPool({
    controllers: ['http://a:1', 'http://b:1'], logger: silentLogger(), sleep: noSleep, stallProbeAfterMs: 5, connectTimeoutMs: 50,
    probe: async (url, timeoutMs) => {
      events.push(`probe ${url} ${timeoutMs}`);
      // a's own request deadline, standing in for the long REQUEST_TIMEOUT: it expires only after
      // the pool had its turn to act on the failed probe (microtasks run before setImmediate)
      setImmediate(() => deadlineA?.());
      throw errors.timeout('no connection');
    },
  });
  let reasonA: unknown;
  const out = await pool.call(async (url, signal) => {
    events.push(`call ${url}`);
    if (url === 'http://b:1') return 'from b';
    signal.addEventListener('abort', () => { reasonA = signal.reason; events.push('a aborted'); }, { once: true });
    return new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(errors.aborted('aborted')), { once: true });
      deadlineA = () => { events.push('a timed out'); reject(errors.timeout('request deadline')); };
    });
  });
  assert.is(out, 'from b');
  assert.equal(events, ['call http://a:1', 'probe http://a:1 50', 'a aborted', 'call http://b:1'], 'abandoned on the failed probe, not after its own deadline');
  assert.instance(reasonA, RedCloudError, "a's request was aborted, not left running");
  assert.is((reasonA as RedCloudError).code, 'UNAVAILABLE');
  assert.match((reasonA as RedCloudError).message, 'accepts no connection');
  assert.is(pool.currentUrl(), 'http://b:1');
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
