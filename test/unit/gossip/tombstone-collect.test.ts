/**
 * Tombstone collection over a simulated network with real in-memory stores: a deleted file's
 * link and inode are collected only after TOMBSTONE_TTL and once every peer has the delete; a
 * peer that never heard of it blocks; after collection the digest does not go backwards, and an
 * old version of a collected record never brings the file back — not by gossip, not by
 * anti-entropy, not from a controller restored from a snapshot taken before the delete.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUCKET_COUNT } from '../../../src/controller/gossip/protocol.js';
import { tombstoneCheckIntervalMs } from '../../../src/controller/gossip/service.js';
import { ROOT_INO, inodeKey, linkKey } from '../../../src/meta/keys.js';
import type { MetaRecord, Update } from '../../../src/meta/types.js';
import { simCluster, simNode, simUrls, type SimNode } from '../helpers/sim-gossip.js';
import { SimNetwork } from '../helpers/sim-network.js';

const TTL_MS = 60_000;
type Node = SimNode;

function cluster(count: number, clock: { now: number }): { nodes: Node[]; net: SimNetwork } {
  const net = new SimNetwork(11);
  return { nodes: simCluster(net, count, { clock, gossip: { tombstoneTtlMs: TTL_MS } }), net };
}

async function rounds(nodes: Node[], clock: { now: number }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.now += 1000;
    for (const node of nodes) await node.gossip.round();
  }
}

/** Collection passes until nothing more is collected (a link first, then the inode it named). */
function collectAll(n: Node): number {
  let total = 0;
  for (let i = 0; i < 5; i++) {
    const c = n.gossip.collectTombstones();
    total += c;
    if (c === 0) break;
  }
  return total;
}

const ALL_BUCKETS = new Set(Array.from({ length: BUCKET_COUNT }, (_, i) => i));
/** Every record and every update-log row a node holds: what a backup of its database has. */
const snapshot = (n: Node): { records: MetaRecord[]; updates: Update[] } =>
  ({ records: n.store.recordsInBuckets(ALL_BUCKETS), updates: n.store.updatesSince({}, 1_000_000) });
/** Records of `n` that are not dead certificates, by key. */
const liveKeys = (n: Node, keys: string[]): string[] => keys.filter((k) => { const r = n.store.getRecord(k); return r && r.type !== 'dead'; });

test('check interval is half the TTL within [1 s, 10 min]', () => {
  assert.is(tombstoneCheckIntervalMs(60_000), 30_000);
  assert.is(tombstoneCheckIntervalMs(1000), 1000);
  assert.is(tombstoneCheckIntervalMs(7 * 86_400_000), 600_000);
});

test('collected after the TTL once every peer has the delete; digests do not go back; old versions never resurrect it', async () => {
  const clock = { now: 1_000_000 };
  const { nodes, net } = cluster(3, clock);
  nodes[0]!.fs.write('/gone', 1);
  nodes[1]!.fs.write('/kept', 1);
  await rounds(nodes, clock, 3);
  const before = snapshot(nodes[2]!); // a backup of c3 with /gone alive
  const entry = nodes[0]!.store.lookup('alice', ROOT_INO, 'gone')!;
  const goneKeys = [linkKey('alice', entry.linkId), inodeKey('alice', entry.ino)];
  nodes[1]!.fs.remove('/gone');
  await rounds(nodes, clock, 3);
  assert.equal(nodes.map((n) => collectAll(n)), [0, 0, 0], 'not before the TTL');
  clock.now += TTL_MS;
  await rounds(nodes, clock, 1);
  const digestsBefore = nodes.map((n) => n.store.digest());
  assert.equal(nodes.map((n) => collectAll(n)), [2, 2, 2], 'the link and the inode of /gone, on every controller');
  for (const [i, n] of nodes.entries()) {
    assert.is(n.fs.sizeAt('/gone'), undefined, `${n.id}: /gone stays deleted`);
    assert.equal(n.store.digest(), digestsBefore[i], `${n.id}: digest unchanged`);
    assert.is(n.fs.sizeAt('/kept'), 1, `${n.id}: other entries untouched`);
  }
  for (const n of nodes) assert.equal(goneKeys.map((k) => n.store.getRecord(k)?.type), ['dead', 'dead'], `${n.id}: two death certificates`);
  const dead = goneKeys;

  // 1. the old live versions again as gossip updates from their origins, and as anti-entropy records
  for (const n of nodes) {
    for (const u of before.updates) n.store.applyRemote(u);
    for (const r of before.records) n.store.mergeRecord(r);
    assert.is(n.fs.sizeAt('/gone'), undefined, `${n.id}: old versions by gossip and anti-entropy change nothing`);
    assert.equal(liveKeys(n, dead), [], `${n.id}: still dead`);
  }
  // 2. c3 restored from the backup taken before the delete, rejoining the others
  net.isolate(nodes[2]!.url);
  nodes[2]!.gossip.stop();
  const restored = simNode(net, 'c3', simUrls(3)[2]!, simUrls(3), { clock, gossip: { tombstoneTtlMs: TTL_MS } });
  for (const u of before.updates) restored.store.applyRemote(u);
  for (const r of before.records) restored.store.mergeRecord(r);
  assert.is(restored.fs.sizeAt('/gone'), 1, 'the backup has /gone alive');
  net.heal();
  const all = [nodes[0]!, nodes[1]!, restored];
  await rounds(all, clock, 4);
  for (const n of all) await n.gossip.antiEntropy();
  await rounds(all, clock, 2);
  for (const n of all) {
    assert.is(n.fs.sizeAt('/gone'), undefined, `${n.id}: /gone did not come back`);
    assert.equal(liveKeys(n, dead), [], `${n.id}: the collected records are dead`);
    assert.is(n.fs.sizeAt('/kept'), 1, `${n.id}: /kept is there`);
  }
});

test('a peer that missed the delete blocks collection until it catches up', async () => {
  const clock = { now: 1_000_000 };
  const { nodes, net } = cluster(3, clock);
  nodes[0]!.fs.write('/gone', 1);
  await rounds(nodes, clock, 3);
  net.isolate(nodes[2]!.url);
  nodes[0]!.fs.remove('/gone');
  await rounds(nodes, clock, 3);
  clock.now += TTL_MS;
  await rounds(nodes, clock, 1);
  assert.equal(nodes.map((n) => collectAll(n)), [0, 0, 0], 'c3 lacks the delete: nobody collects');
  assert.is(nodes[2]!.fs.sizeAt('/gone'), 1, 'c3 still has the live entry');
  net.heal();
  await rounds(nodes, clock, 8); // past the backoff of the failed exchanges
  assert.equal(nodes.map((n) => collectAll(n)), [2, 2, 2]);
  for (const n of nodes) assert.is(n.fs.sizeAt('/gone'), undefined);
});

test('without a TTL option nothing is collected', async () => {
  const solo = simNode(new SimNetwork(1), 'solo', 'http://solo:8000', [], { clock: { now: 5_000_000 } });
  solo.fs.write('/gone', 1);
  solo.fs.remove('/gone');
  assert.is(solo.gossip.collectTombstones(), 0);
  assert.ok(solo.store.tombstones(Number.MAX_SAFE_INTEGER, 10).length > 0, 'there is a tombstone to collect');
});

test.run();
