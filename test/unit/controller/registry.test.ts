// The chunkserver registry across a controller restart: addresses come back from the store, so
// read plans name replicas before the first heartbeats; placement waits for a heartbeat.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../../src/common/logger.js';
import { createRegistry } from '../../../src/controller/registry.js';
import { openStore } from '../../../src/controller/store.js';

const chunk = 'ab'.repeat(32);

test('after a restart, known chunkservers are listed (not healthy) and still serve read plans', () => {
  let ms = 1000;
  const store = openStore({ path: ':memory:', nodeId: 'c1', now: () => ms });
  const before = createRegistry({ store, logger: silentLogger(), now: () => ms, heartbeatTimeoutMs: 30_000 });
  for (const id of ['cs1', 'cs2']) {
    before.heartbeat({ id, url: `http://127.0.2.${id.slice(-1)}:9000`, capacityBytes: 10, freeBytes: 5, chunkCount: 1, full: false, inventory: [chunk] });
  }
  ms += 60_000;
  const after = createRegistry({ store, logger: silentLogger(), now: () => ms, heartbeatTimeoutMs: 30_000 });
  assert.equal(after.healthyIds(), [], 'nobody is healthy before a heartbeat');
  assert.equal(after.list().map((s) => [s.id, s.url, s.healthy]), [['cs1', 'http://127.0.2.1:9000', false], ['cs2', 'http://127.0.2.2:9000', false]]);
  assert.equal(after.locationsOf(chunk).map((l) => l.url).sort(), ['http://127.0.2.1:9000', 'http://127.0.2.2:9000']);
  assert.equal(after.heartbeat({ id: 'cs2', url: 'http://127.0.2.2:9000', capacityBytes: 10, freeBytes: 5, chunkCount: 1, full: false }), { needInventory: true });
  assert.equal(after.healthyIds(), ['cs2']);
  assert.equal(after.locationsOf(chunk)[0]!.id, 'cs2', 'the healthy replica first');
  assert.equal(after.check(), [], 'restored servers are not reported failed again');
});

test('a chunkserver first made healthy by a peer controller\'s view is "Registered" at its own first heartbeat, once', () => {
  const ms = 1000;
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
  const store = openStore({ path: ':memory:', nodeId: 'c1', now: () => ms });
  const registry = createRegistry({ store, logger, now: () => ms, heartbeatTimeoutMs: 30_000 });
  const url = 'http://127.0.2.1:9000';
  registry.merge([{ id: 'cs1', url, ageMs: 100, capacityBytes: 10, freeBytes: 5, chunkCount: 0, full: false }], 5);
  assert.equal(registry.healthyIds(), ['cs1'], 'healthy by the peer\'s view');
  const registered = () => lines.filter((l) => l.includes('Registered healthy chunkserver cs1')).length;
  assert.is(registered(), 0);
  for (let i = 0; i < 3; i++) registry.heartbeat({ id: 'cs1', url, capacityBytes: 10, freeBytes: 5, chunkCount: 0, full: false });
  assert.is(registered(), 1, 'logged at the first own heartbeat only');
  registry.merge([{ id: 'cs1', url, ageMs: 0, capacityBytes: 10, freeBytes: 5, chunkCount: 0, full: false }], 5);
  registry.heartbeat({ id: 'cs1', url, capacityBytes: 10, freeBytes: 5, chunkCount: 0, full: false });
  assert.is(registered(), 1, 'a peer\'s view of a server already heard directly changes nothing');
});

test('a restarted controller adopts a peer\'s view of a chunkserver it last heard at the same heartbeat (the peer\'s estimate is older by the round trip)', () => {
  let ms = 1000;
  const store = openStore({ path: ':memory:', nodeId: 'c1', now: () => ms });
  const url = 'http://127.0.2.1:9000';
  const before = createRegistry({ store, logger: silentLogger(), now: () => ms, heartbeatTimeoutMs: 90_000 });
  before.heartbeat({ id: 'cs1', url, capacityBytes: 10, freeBytes: 5, chunkCount: 0, full: false });
  ms += 5_000; // kill -9, restart: the stored heartbeat is the one the peer saw too, a moment earlier
  const after = createRegistry({ store, logger: silentLogger(), now: () => ms, heartbeatTimeoutMs: 90_000 });
  assert.equal(after.healthyIds(), []);
  assert.equal(after.merge([{ id: 'cs1', url, ageMs: 4_999, capacityBytes: 10, freeBytes: 5, chunkCount: 0, full: false }], 5), ['cs1']);
  assert.equal(after.healthyIds(), ['cs1'], 'healthy by the peer\'s view');
  assert.is(after.get('cs1')!.lastHeartbeatMs, 1000, 'the newer of the stored and the adopted heartbeat');
  ms += 91_000;
  assert.equal(after.check(), ['cs1'], 'and failed once both are older than HEARTBEAT_TIMEOUT');
  assert.equal(after.merge([{ id: 'cs1', url, ageMs: 90_001, capacityBytes: 10, freeBytes: 5, chunkCount: 0, full: false }], 0), [], 'a stale view revives nothing');
});

test.run();
