/**
 * Gossip between controllers over a simulated network: spreading, idle rounds, partitions and
 * conflicts, drops and duplicates, anti-entropy, and a new empty node catching up. Every store is
 * a real (in-memory) SQLite store. Set GOSSIP_SEED to replay a failing seed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bucketHashes } from '../../../src/controller/gossip/protocol.js';
import { entryKey } from '../../../src/meta/keys.js';
import { deleteEntry, putEntry } from '../../../src/meta/ops.js';
import type { EntryRecord, EntryValue } from '../../../src/meta/types.js';
import { simCluster, simNode, type SimNode } from '../helpers/sim-gossip.js';
import { SimNetwork } from '../helpers/sim-network.js';

const SEED = Number(process.env.GOSSIP_SEED ?? 20261126);

type Node = SimNode;

function makeCluster(net: SimNetwork, count: number, clock: { now: number }, extraSeeds: string[] = []): Node[] {
  return simCluster(net, count, { clock, extraSeeds });
}

function file(size: number, mtimeMs: number): EntryValue {
  return { kind: 'file', size, mode: 0o644, mtimeMs, ctimeMs: mtimeMs, chunks: size > 0 ? [{ id: 'a'.repeat(64), size }] : [] };
}

function write(node: Node, path: string, value: EntryValue | null): EntryRecord {
  const current = node.store.getEntry('alice', path);
  const stamp = node.store.nextStamp();
  const record = value === null ? deleteEntry(current!, stamp) : putEntry(current, { ...stamp, owner: 'alice', path, value });
  node.store.applyLocal(record, stamp.seq);
  return record;
}

async function rounds(nodes: Node[], clock: { now: number }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.now += 1000;
    for (const node of nodes) await node.gossip.round();
  }
}

function stateOf(node: Node): string[] {
  return bucketHashes(node.store.fingerprints());
}

function converged(nodes: Node[]): boolean {
  const first = JSON.stringify(stateOf(nodes[0]!));
  return nodes.every((n) => JSON.stringify(stateOf(n)) === first);
}

test(`a write on one controller reaches the others (seed ${SEED})`, async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  write(nodes[0]!, '/a.txt', file(10, clock.now));
  await rounds(nodes, clock, 3);
  for (const n of nodes) assert.equal(n.store.getEntry('alice', '/a.txt')?.value?.size, 10, `on ${n.id}`);
});

test('an idle round sends no records', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  write(nodes[1]!, '/x', file(1, clock.now));
  await rounds(nodes, clock, 3);
  const before = nodes.map((n) => n.gossip.stats().updatesSent);
  await rounds(nodes, clock, 5);
  assert.equal(nodes.map((n) => n.gossip.stats().updatesSent), before);
});

test('a partitioned controller writing the same path converges on one winner after healing', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  await rounds(nodes, clock, 1);
  net.isolate(nodes[2]!.url);
  write(nodes[0]!, '/same.txt', file(100, clock.now));
  clock.now += 5;
  write(nodes[2]!, '/same.txt', file(300, clock.now));
  await rounds(nodes, clock, 3);
  assert.equal(nodes[1]!.store.getEntry('alice', '/same.txt')?.value?.size, 100);
  net.heal();
  await rounds(nodes, clock, 6);
  assert.ok(converged(nodes), 'all three hold the same state');
  for (const n of nodes) assert.equal(n.store.getEntry('alice', '/same.txt')?.value?.size, 300, `later write wins on ${n.id}`);
});

test(`random writes with drops and duplicates converge (seed ${SEED})`, async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  net.dropRate = 0.3;
  net.duplicateRate = 0.2;
  const nodes = makeCluster(net, 4, clock);
  const paths = ['/p0', '/p1', '/p2', '/p3', '/p4'];
  for (let step = 0; step < 200; step++) {
    const node = nodes[Math.floor(net.random() * nodes.length)]!;
    const path = paths[Math.floor(net.random() * paths.length)]!;
    const live = node.store.getEntry('alice', path)?.value;
    if (live && net.random() < 0.3) write(node, path, null);
    else write(node, path, file(step, clock.now));
    clock.now += Math.floor(net.random() * 50);
    if (step % 10 === 0) await rounds(nodes, clock, 1);
  }
  net.dropRate = 0;
  net.duplicateRate = 0;
  await rounds(nodes, clock, 8);
  assert.ok(converged(nodes), `converged (seed ${SEED})`);
  for (const p of paths) {
    const values = nodes.map((n) => JSON.stringify(n.store.getRecord(entryKey('alice', p))));
    assert.equal(new Set(values).size, 1, `same record for ${p} (seed ${SEED})`);
  }
});

test('anti-entropy repairs what the update log does not carry', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 2, clock);
  const record = putEntry(undefined, { hlc: { wallMs: clock.now, logical: 0, node: 'old' }, node: 'old', seq: 1, owner: 'alice', path: '/restored', value: file(7, clock.now) });
  nodes[0]!.store.mergeRecord(record);
  await rounds(nodes, clock, 3);
  assert.is(nodes[1]!.store.getEntry('alice', '/restored'), undefined, 'gossip alone does not carry it');
  await nodes[1]!.gossip.antiEntropy();
  assert.equal(nodes[1]!.store.getEntry('alice', '/restored')?.value?.size, 7);
  assert.ok(converged(nodes));
});

test('a new, empty controller joining receives the whole state', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  for (let i = 0; i < 50; i++) write(nodes[i % 3]!, `/f${i}`, file(i, clock.now + i));
  await rounds(nodes, clock, 4);
  const newcomer = simNode(net, 'c4', 'http://sim-4:8000', [nodes[0]!.url], { clock });
  await rounds([...nodes, newcomer], clock, 4);
  assert.ok(converged([...nodes, newcomer]));
  assert.equal(newcomer.store.getEntry('alice', '/f49')?.value?.size, 49);
});

test.run();
