/**
 * Tombstone collection over a simulated network with real in-memory stores: a delete is
 * forgotten only after TOMBSTONE_TTL and once every peer has it; a peer that never heard of it
 * blocks; after collection the digest does not go backwards and gossip does not bring it back.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tombstoneCheckIntervalMs } from '../../../src/controller/gossip/service.js';
import { entryKey } from '../../../src/meta/keys.js';
import { deleteEntry, putEntry } from '../../../src/meta/ops.js';
import { simCluster, simNode, type SimNode } from '../helpers/sim-gossip.js';
import { SimNetwork } from '../helpers/sim-network.js';

const TTL_MS = 60_000;
type Node = SimNode;

function cluster(count: number, clock: { now: number }): { nodes: Node[]; net: SimNetwork } {
  const net = new SimNetwork(11);
  return { nodes: simCluster(net, count, { clock, gossip: { tombstoneTtlMs: TTL_MS } }), net };
}

function write(node: Node, path: string, del: boolean, now: number): void {
  const current = node.store.getEntry('alice', path);
  const stamp = node.store.nextStamp();
  const value = { kind: 'file' as const, size: 1, mode: 0o644, mtimeMs: now, ctimeMs: now, chunks: [] };
  const record = del ? deleteEntry(current!, stamp) : putEntry(current, { ...stamp, owner: 'alice', path, value });
  node.store.applyLocal(record, stamp.seq);
}

async function rounds(nodes: Node[], clock: { now: number }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.now += 1000;
    for (const node of nodes) await node.gossip.round();
  }
}

const key = entryKey('alice', '/gone');

test('check interval is half the TTL within [1 s, 10 min]', () => {
  assert.is(tombstoneCheckIntervalMs(60_000), 30_000);
  assert.is(tombstoneCheckIntervalMs(1000), 1000);
  assert.is(tombstoneCheckIntervalMs(7 * 86_400_000), 600_000);
});

test('collected after the TTL once every peer has the delete; digests do not go back; it stays gone', async () => {
  const clock = { now: 1_000_000 };
  const { nodes } = cluster(3, clock);
  write(nodes[0]!, '/gone', false, clock.now);
  write(nodes[1]!, '/kept', false, clock.now);
  await rounds(nodes, clock, 3);
  write(nodes[1]!, '/gone', true, clock.now);
  await rounds(nodes, clock, 3);
  for (const n of nodes) assert.is(n.store.getRecord(key)?.type, 'entry', `${n.id} holds the tombstone`);
  assert.equal(nodes.map((n) => n.gossip.collectTombstones()), [0, 0, 0], 'not before the TTL');
  clock.now += TTL_MS;
  await rounds(nodes, clock, 1);
  const digestsBefore = nodes.map((n) => n.store.digest());
  assert.equal(nodes.map((n) => n.gossip.collectTombstones()), [1, 1, 1]);
  for (const [i, n] of nodes.entries()) {
    assert.is(n.store.getRecord(key), undefined, `${n.id} forgot the tombstone`);
    assert.equal(n.store.digest(), digestsBefore[i], `${n.id}: digest unchanged`);
    assert.is(n.store.getEntry('alice', '/kept')?.value?.size, 1, `${n.id}: other entries untouched`);
  }
  await rounds(nodes, clock, 3);
  for (const n of nodes) assert.is(n.store.getRecord(key), undefined, `${n.id}: gossip did not bring it back`);
});

test('a peer that missed the delete blocks collection until it catches up', async () => {
  const clock = { now: 1_000_000 };
  const { nodes, net } = cluster(3, clock);
  write(nodes[0]!, '/gone', false, clock.now);
  await rounds(nodes, clock, 3);
  net.isolate(nodes[2]!.url);
  write(nodes[0]!, '/gone', true, clock.now);
  await rounds(nodes, clock, 3);
  clock.now += TTL_MS;
  await rounds(nodes, clock, 1);
  assert.equal(nodes.map((n) => n.gossip.collectTombstones()), [0, 0, 0], 'c3 lacks the delete: nobody collects');
  assert.is(nodes[2]!.store.getEntry('alice', '/gone')?.value?.size, 1, 'c3 still has the live entry');
  net.heal();
  await rounds(nodes, clock, 8); // past the backoff of the failed exchanges
  assert.equal(nodes.map((n) => n.gossip.collectTombstones()), [1, 1, 1]);
  for (const n of nodes) assert.is(n.store.getRecord(key), undefined);
});

test('without a TTL option nothing is collected', async () => {
  const solo = simNode(new SimNetwork(1), 'solo', 'http://solo:8000', [], { clock: { now: 5_000_000 } });
  const { store, gossip } = solo;
  write(solo, '/gone', false, 1);
  write(solo, '/gone', true, 1);
  assert.is(gossip.collectTombstones(), 0);
  assert.is(store.getRecord(key)?.type, 'entry');
});

test.run();
