// Issue 13's pure parts and the registry around them: holders recorded at commit and planned as
// unconfirmed locations, peer views of chunkserver liveness (parse, age-only adoption, merge),
// and `changed`, which placement waits on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { silentLogger } from '../../../src/common/logger.js';
import { commitHolders, planLocations } from '../../../src/controller/holders.js';
import { createRegistry } from '../../../src/controller/registry.js';
import { adoptedHeartbeatMs, parsePeerView } from '../../../src/controller/registry-view.js';
import { openStore } from '../../../src/controller/store.js';
import { MAX_HOLDERS } from '../../../src/meta/validate.js';

const id = (c: string) => c.repeat(64);
const hb = (sid: string) => ({ id: sid, url: `http://127.0.2.${sid.slice(-1)}:9000`, capacityBytes: 100, freeBytes: 50, chunkCount: 0, full: false });

test('commitHolders: receipts per chunk, sorted and distinct; unchanged chunks keep their previous holders', () => {
  const chunks = [{ id: id('a'), size: 1 }, { id: id('b'), size: 1 }, { id: id('a'), size: 1 }, { id: id('c'), size: 1 }];
  const valid = new Map([[id('a'), ['cs2', 'cs1']], [id('b'), []]]);
  assert.equal(commitHolders(chunks, valid, { [id('b')]: ['cs3'], [id('z')]: ['cs9'] }), { [id('a')]: ['cs1', 'cs2'], [id('b')]: ['cs3'] });
  assert.is(commitHolders(chunks, new Map()), undefined, 'no receipts, nothing before: no field');
  const many = Array.from({ length: MAX_HOLDERS + 5 }, (_, i) => `cs${String(i).padStart(2, '0')}`);
  assert.is(commitHolders([{ id: id('a'), size: 1 }], new Map([[id('a'), many]]))![id('a')]!.length, MAX_HOLDERS);
});

test('planLocations: confirmed healthy, unconfirmed healthy, then the rest; unknown servers left out', () => {
  const servers: Record<string, { url: string; healthy: boolean }> = {
    cs1: { url: 'u1', healthy: true }, cs2: { url: 'u2', healthy: false }, cs3: { url: 'u3', healthy: true }, cs4: { url: 'u4', healthy: false },
  };
  const confirmed = [{ id: 'cs1', url: 'u1' }, { id: 'cs2', url: 'u2' }];
  assert.equal(planLocations(confirmed, ['cs4', 'cs3', 'cs1', 'cs9'], (s) => servers[s]), [
    { id: 'cs1', url: 'u1' }, { id: 'cs3', url: 'u3', unconfirmed: true }, { id: 'cs2', url: 'u2' }, { id: 'cs4', url: 'u4', unconfirmed: true },
  ]);
  assert.equal(planLocations([], undefined, (s) => servers[s]), []);
});

test('parsePeerView accepts a view and refuses malformed entries', () => {
  const good = { id: 'cs1', url: 'http://127.0.2.1:9000', ageMs: 5, capacityBytes: 1, freeBytes: 1, chunkCount: 0, full: false };
  assert.equal(parsePeerView({ servers: [good] }), [good]);
  for (const bad of [null, {}, { servers: 'x' }, { servers: [{ ...good, id: 'a b' }] }, { servers: [{ ...good, url: 'ftp://x' }] },
    { servers: [{ ...good, url: 'http://x/path' }] }, { servers: [{ ...good, ageMs: -1 }] }, { servers: [{ ...good, full: 'no' }] }]) {
    assert.throws(() => parsePeerView(bad), /Invalid chunkserver view/);
  }
});

test('adoptedHeartbeatMs never puts a heartbeat later than it was, whatever the hops (property)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 60_000 }), fc.array(fc.record({ transit: fc.integer({ min: 0, max: 500 }), wait: fc.integer({ min: 0, max: 2000 }) }), { maxLength: 12 }),
    (trueAge, hops) => {
      // a server last heard of at time 0, passed along controllers (one clock: only ages travel):
      // each asks the previous one, which answers `transit` later with its age; then some wait
      let now = trueAge;
      let known: number | undefined = 0;
      for (const h of hops) {
        if (known === undefined) return;
        const ageAtAnswer = now + h.transit - known;
        now += 2 * h.transit;
        known = adoptedHeartbeatMs(undefined, { ageMs: ageAtAnswer }, now, 2 * h.transit, 1_000_000);
        if (known !== undefined && known > 0) throw new Error(`adopted ${known} > 0`);
        now += h.wait;
      }
    },
  ));
  assert.is(adoptedHeartbeatMs(undefined, { ageMs: 100 }, 10_000, 10, 50), undefined, 'older than the timeout');
  assert.is(adoptedHeartbeatMs(9_950, { ageMs: 100 }, 10_000, 10, 30_000), undefined, 'not fresher than ours');
  assert.is(adoptedHeartbeatMs(9_000, { ageMs: 100 }, 10_000, 10, 30_000), 9_890);
});

test('a new registry learns chunkservers from a peer view, places on them, and a later own heartbeat asks for the inventory', () => {
  let ms = 100_000;
  const now = () => ms;
  const peer = createRegistry({ store: openStore({ path: ':memory:', nodeId: 'c1', now }), logger: silentLogger(), now, heartbeatTimeoutMs: 30_000 });
  peer.heartbeat(hb('cs1'));
  ms += 1000;
  peer.heartbeat(hb('cs2'));
  ms += 500;
  const store = openStore({ path: ':memory:', nodeId: 'c2', now });
  const fresh = createRegistry({ store, logger: silentLogger(), now, heartbeatTimeoutMs: 30_000 });
  assert.equal(peer.view().map((v) => [v.id, v.ageMs]), [['cs1', 1500], ['cs2', 500]]);
  assert.equal(fresh.merge(peer.view(), 20), ['cs1', 'cs2']);
  assert.equal(fresh.healthyIds(), ['cs1', 'cs2']);
  assert.is(fresh.get('cs1')!.lastHeartbeatMs, ms - 1520);
  assert.equal(store.knownChunkservers().map((s) => s.id), ['cs1', 'cs2'], 'addresses kept for the next restart');
  assert.equal(fresh.merge(peer.view(), 20), [], 'the same view again changes nothing');
  assert.equal(fresh.heartbeat(hb('cs1')), { needInventory: true });
  ms += 29_600;
  assert.equal(fresh.check(), ['cs2'], 'adopted entries age out like heartbeats');
});

test('changed resolves at the next heartbeat or peer view, false after its timeout or an abort', async () => {
  const reg = createRegistry({ store: openStore({ path: ':memory:', nodeId: 'c1', now: Date.now }), logger: silentLogger(), now: Date.now, heartbeatTimeoutMs: 30_000 });
  const waiting = reg.changed(5000);
  reg.heartbeat(hb('cs1'));
  assert.is(await waiting, true);
  assert.is(await reg.changed(20), false);
  const ac = new AbortController();
  const aborted = reg.changed(5000, ac.signal);
  ac.abort();
  assert.is(await aborted, false);
  const viaPeer = reg.changed(5000);
  reg.merge([{ id: 'cs2', url: 'http://127.0.2.2:9000', ageMs: 0, capacityBytes: 1, freeBytes: 1, chunkCount: 0, full: false }], 0);
  assert.is(await viaPeer, true);
});

test.run();
