/** ControllerPool: failover order, remembering the controller that worked, bounds, learning. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError, errors } from '../../../src/common/errors.js';
import { silentLogger } from '../../../src/common/logger.js';
import { ControllerPool, normalizeControllerUrl } from '../../../src/client/controllers.js';


const noSleep = async (): Promise<void> => undefined;
const pool = (list: string[]) => new ControllerPool({ controllers: list, logger: silentLogger(), sleep: noSleep });

test('tries controllers in order and remembers the one that worked', async () => {
  const p = pool(['http://a:1', 'http://b:1', 'http://c:1']);
  const tried: string[] = [];
  const out = await p.call(async (url) => {
    tried.push(url);
    if (url !== 'http://c:1') throw errors.unavailable('down');
    return 'ok';
  });
  assert.is(out, 'ok');
  assert.equal(tried, ['http://a:1', 'http://b:1', 'http://c:1']);
  assert.is(p.currentUrl(), 'http://c:1');
  assert.equal(p.list(), ['http://c:1', 'http://a:1', 'http://b:1']);
  tried.length = 0;
  await p.call(async (url) => { tried.push(url); return 1; });
  assert.equal(tried, ['http://c:1']);
});

test('TIMEOUT fails over too; starts from the current one and wraps around', async () => {
  const p = pool(['http://a:1', 'http://b:1', 'http://c:1']);
  await p.call(async (url) => { if (url === 'http://a:1') throw errors.timeout('slow'); return 0; });
  assert.is(p.currentUrl(), 'http://b:1');
  const tried: string[] = [];
  await p.call(async (url) => { tried.push(url); if (url !== 'http://a:1') throw errors.unavailable('x'); return 0; });
  assert.equal(tried, ['http://b:1', 'http://c:1', 'http://a:1']);
});

test('other errors are answers: thrown at once, no failover', async () => {
  const p = pool(['http://a:1', 'http://b:1']);
  const tried: string[] = [];
  try {
    await p.call(async (url) => { tried.push(url); throw errors.notFound('nope'); });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'NOT_FOUND');
  }
  assert.equal(tried, ['http://a:1']);
});

test('bounded: every controller at most twice (two rounds, one backoff), then UNAVAILABLE', async () => {
  const sleeps: number[] = [];
  const p = new ControllerPool({ controllers: ['a:1', 'b:1'], logger: silentLogger(), backoffMs: 7, sleep: async (ms) => { sleeps.push(ms); } });
  const tried: string[] = [];
  try {
    await p.call(async (url) => { tried.push(url); throw errors.unavailable('down'); });
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'UNAVAILABLE');
    assert.match((err as Error).message, /No controller reachable/);
  }
  assert.equal(tried, ['http://a:1', 'http://b:1', 'http://a:1', 'http://b:1']);
  assert.equal(sleeps, [7]);
});

test('an aborted signal stops the failover', async () => {
  const p = pool(['http://a:1', 'http://b:1']);
  const ac = new AbortController();
  const tried: string[] = [];
  try {
    await p.call(async (url) => { tried.push(url); ac.abort(); throw errors.unavailable('down'); }, ac.signal);
    assert.unreachable();
  } catch (err) {
    assert.is((err as RedCloudError).code, 'UNAVAILABLE');
  }
  assert.equal(tried, ['http://a:1']);
});

test('learns new controllers, deduplicated and normalised, invalid ones skipped', () => {
  const p = pool(['127.0.0.1:8000/']);
  p.learn(['http://127.0.0.1:8000', 'http://127.0.0.2:8000', 'ftp://x', '', 'http://127.0.0.2:8000/']);
  assert.equal(p.list(), ['http://127.0.0.1:8000', 'http://127.0.0.2:8000']);
});

test('learns only URLs of the scheme of the controller that answered', () => {
  const tls = pool(['https://127.0.0.1:8443']);
  tls.learn(['http://127.0.0.2:8000', 'https://127.0.0.3:8443', '127.0.0.4:8000'], 'https://127.0.0.1:8443');
  assert.equal(tls.list(), ['https://127.0.0.1:8443', 'https://127.0.0.3:8443'], 'an https client is never pointed at http');
  const plain = pool(['http://127.0.0.1:8000']);
  plain.learn(['https://127.0.0.5:8443', 'http://127.0.0.6:8000'], 'http://127.0.0.1:8000');
  assert.equal(plain.list(), ['http://127.0.0.1:8000', 'http://127.0.0.6:8000']);
});

test('normalizeControllerUrl', () => {
  assert.is(normalizeControllerUrl('controller:8000'), 'http://controller:8000');
  assert.is(normalizeControllerUrl(' https://x:1/ '), 'https://x:1');
  assert.throws(() => normalizeControllerUrl(''), (e: RedCloudError) => e.code === 'INVALID');
  assert.throws(() => new ControllerPool({ controllers: [], logger: silentLogger() }), (e: RedCloudError) => e.code === 'INVALID');
});

test.run();
