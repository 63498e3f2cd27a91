/**
 * Gossip between controllers over a simulated network: spreading, idle rounds, partitions and
 * conflicts, drops and duplicates, anti-entropy, and a new empty node catching up. Every store is
 * a real (in-memory) SQLite store. Set GOSSIP_SEED to replay a failing seed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bucketHashes } from '../../../src/controller/gossip/bucket-hashes.js';
import { newId } from '../../../src/meta/keys.js';
import { newInode } from '../../../src/meta/ops.js';
import { simCluster, simNode, type SimNode } from '../helpers/sim-gossip.js';
import { SimNetwork } from '../helpers/sim-network.js';

const SEED = Number(process.env.GOSSIP_SEED ?? 20261126);

type Node = SimNode;

function makeCluster(net: SimNetwork, count: number, clock: { now: number }, extraSeeds: string[] = []): Node[] {
  return simCluster(net, count, { clock, extraSeeds });
}

const size = (node: Node, path: string): number | undefined => node.fs.sizeAt(path);

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
  nodes[0]!.fs.write('/a.txt', 10);
  await rounds(nodes, clock, 3);
  for (const n of nodes) assert.equal(size(n, '/a.txt'), 10, `on ${n.id}`);
});

test('an idle round sends no records', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  nodes[1]!.fs.write('/x', 1);
  await rounds(nodes, clock, 3);
  const before = nodes.map((n) => n.gossip.stats().updatesSent);
  await rounds(nodes, clock, 5);
  assert.equal(nodes.map((n) => n.gossip.stats().updatesSent), before);
});

test('files created under one name on both sides of a partition both survive: the first keeps the name', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  await rounds(nodes, clock, 1);
  net.isolate(nodes[2]!.url);
  nodes[0]!.fs.write('/same.txt', 100);
  clock.now += 5;
  nodes[2]!.fs.write('/same.txt', 300);
  await rounds(nodes, clock, 3);
  assert.equal(size(nodes[1]!, '/same.txt'), 100);
  net.heal();
  await rounds(nodes, clock, 6);
  assert.ok(converged(nodes), 'all three hold the same state');
  for (const n of nodes) {
    const names = n.fs.ns.list('alice', '/').map((e) => `${e.path}=${e.size}`);
    assert.is(names.length, 2, `two files on ${n.id}: ${names}`);
    assert.is(names[0], '/same.txt=100', `the earlier create keeps the name on ${n.id}`);
    assert.match(names[1]!, /^\/same\.txt~[0-9a-f]{8}=300$/, `the later one shows under a conflict name on ${n.id}`);
  }
});

test('the same file written on both sides of a partition: the later write wins everywhere', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  nodes[0]!.fs.write('/shared.txt', 1);
  await rounds(nodes, clock, 3);
  net.isolate(nodes[2]!.url);
  nodes[0]!.fs.write('/shared.txt', 100);
  clock.now += 5;
  nodes[2]!.fs.write('/shared.txt', 300);
  net.heal();
  await rounds(nodes, clock, 6);
  assert.ok(converged(nodes));
  for (const n of nodes) assert.equal(size(n, '/shared.txt'), 300, `later write wins on ${n.id}`);
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
    if (size(node, path) !== undefined && net.random() < 0.3) node.fs.remove(path);
    else node.fs.write(path, step);
    clock.now += Math.floor(net.random() * 50);
    if (step % 10 === 0) await rounds(nodes, clock, 1);
  }
  net.dropRate = 0;
  net.duplicateRate = 0;
  await rounds(nodes, clock, 8);
  assert.ok(converged(nodes), `converged (seed ${SEED})`);
  const listing = (n: Node): string => JSON.stringify(n.fs.ns.list('alice', '/'));
  assert.equal(new Set(nodes.map(listing)).size, 1, `same listing everywhere (seed ${SEED})`);
});

test('anti-entropy repairs what the update log does not carry', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 2, clock);
  const stamp = { hlc: { wallMs: clock.now, logical: 0, node: 'old' }, node: 'old', seq: 1 };
  const record = newInode({ ...stamp, owner: 'alice', ino: newId('old', 1), kind: 'file', attr: { mode: 0o644, uid: 0, gid: 0 }, time: [1000, 0] });
  nodes[0]!.store.mergeRecord(record);
  await rounds(nodes, clock, 3);
  assert.is(nodes[1]!.store.getRecord(record.key), undefined, 'gossip alone does not carry it');
  await nodes[1]!.gossip.antiEntropy();
  assert.equal(nodes[1]!.store.getRecord(record.key), record);
  assert.ok(converged(nodes));
});

/** `n` file inodes merged into `node` outside its update log (only anti-entropy carries them). */
function mergeOutsideLog(node: Node, n: number, clock: { now: number }): void {
  node.store.transaction(() => {
    for (let i = 1; i <= n; i++) {
      const stamp = { hlc: { wallMs: clock.now, logical: i, node: 'old' }, node: 'old', seq: i };
      node.store.mergeRecord(newInode({ ...stamp, owner: 'alice', ino: newId('old', i), kind: 'file', attr: { mode: 0o644, uid: 0, gid: 0 }, time: [1000, 0] }));
    }
  });
}

test('anti-entropy catches up in bounded pages, both ways, and says so in one round', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const sizes: number[] = [];
  const nodes = simCluster(net, 2, {
    clock, gossip: { antiEntropyPage: { maxRecords: 50, maxBytes: 1_000_000 } },
    transport: (inner) => async <T>(url: string, path: string, body: unknown, signal: AbortSignal): Promise<T> => {
      const res = await inner<T>(url, path, body, signal);
      if (path === '/internal/anti-entropy') sizes.push((res as { records: unknown[] }).records.length);
      if (path === '/internal/anti-entropy/records') sizes.push((body as { records: unknown[] }).records.length);
      return res;
    },
  });
  mergeOutsideLog(nodes[0]!, 700, clock);
  nodes[1]!.store.transaction(() => nodes[1]!.fs.write('/b-only', 3));
  await nodes[1]!.gossip.antiEntropy();
  assert.ok(converged(nodes), 'one round (many pages) converged');
  assert.ok(Math.max(...sizes) <= 50, `every page holds at most 50 records: ${Math.max(...sizes)}`);
  assert.ok(sizes.length >= 700 / 50, `${sizes.length} messages`);
  const moved = sizes.reduce((a, b) => a + b, 0);
  assert.ok(moved <= 700 + 2 + 10, `records moved: ${moved} (none echoed back)`);
});

test('a failed page does not mark the peer failed; the pass resumes where it stopped', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const requests: { after?: unknown; hashes?: unknown }[] = [];
  let failNext = 3;
  const nodes = simCluster(net, 2, {
    clock, gossip: { antiEntropyPage: { maxRecords: 40, maxBytes: 1_000_000 } },
    transport: (inner) => async <T>(url: string, path: string, body: unknown, signal: AbortSignal): Promise<T> => {
      if (path === '/internal/anti-entropy') {
        requests.push(body as never);
        if (--failNext === 0) throw new Error('sim: page lost');
      }
      return inner<T>(url, path, body, signal);
    },
  });
  mergeOutsideLog(nodes[0]!, 400, clock);
  await rounds(nodes, clock, 1); // both peers seen alive
  await nodes[1]!.gossip.antiEntropy();
  assert.not.ok(converged(nodes), 'the round stopped at the failed page');
  const peer = nodes[1]!.membership.all().find((p) => p.id === 'c1');
  assert.is(peer?.failures, 0, 'the peer is not marked failed');
  const failedAt = requests.length;
  const resumedAfter = (requests[failedAt - 1] as { after?: unknown }).after;
  assert.ok(resumedAfter, 'the failed page was a later page of the pass');
  await nodes[1]!.gossip.antiEntropy();
  assert.ok(converged(nodes), 'the next round finished the pass');
  assert.equal(requests[failedAt]!.after, resumedAfter, 'it resumed from the cursor of the failed page');
  assert.is(requests[failedAt]!.hashes, undefined, 'without starting over');
});

test('a new, empty controller joining receives the whole state', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  for (let i = 0; i < 50; i++) nodes[i % 3]!.fs.write(`/f${i}`, i);
  await rounds(nodes, clock, 4);
  const newcomer = simNode(net, 'c4', 'http://sim-4:8000', [nodes[0]!.url], { clock });
  await rounds([...nodes, newcomer], clock, 4);
  assert.ok(converged([...nodes, newcomer]));
  assert.equal(size(newcomer, '/f49'), 49);
});

test('a controller restored from an old snapshot: after one exchange its new writes are numbered above what peers hold of it and reach them by gossip', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 3, clock);
  nodes[0]!.fs.write('/a', 1);
  await rounds(nodes, clock, 3);
  const all = new Set(Array.from({ length: 256 }, (_, i) => i));
  const backup = { records: nodes[0]!.store.recordsInBuckets(all), updates: nodes[0]!.store.updatesSince({}, 100_000) };
  nodes[0]!.fs.write('/b', 2);
  nodes[0]!.fs.write('/c', 3);
  await rounds(nodes, clock, 3);
  nodes[0]!.gossip.stop();
  const restored = simNode(net, 'c1', nodes[0]!.url, nodes.map((n) => n.url), { clock });
  for (const u of backup.updates) restored.store.applyRemote(u);
  for (const r of backup.records) restored.store.mergeRecord(r);
  const peersHold = nodes[1]!.store.digest().c1!;
  assert.ok(restored.store.digest().c1! < peersHold, 'the backup is behind what the peers hold of c1');
  await restored.gossip.round();
  restored.fs.write('/d', 4);
  assert.ok(restored.store.digest().c1! > peersHold, 'its new write is numbered above what the peers hold');
  const cluster = [restored, nodes[1]!, nodes[2]!];
  await rounds(cluster, clock, 4);
  for (const n of cluster) assert.equal(['/a', '/b', '/c', '/d'].map((p) => size(n, p)), [1, 2, 3, 4], `every write on ${n.id}, by gossip alone`);
});

test('malformed records from a peer are refused by gossip and anti-entropy, never stored or forwarded', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(SEED);
  const nodes = makeCluster(net, 2, clock);
  const stamp = { hlc: { wallMs: clock.now, logical: 0, node: 'evil' }, node: 'evil', seq: 1 };
  const good = newInode({ ...stamp, owner: 'alice', ino: newId('evil', 1), kind: 'file', attr: { mode: 0o644, uid: 0, gid: 0 }, time: [1000, 0] });
  const bad = [
    { ...good, key: 'i\0alice\0evil.2' }, // the key does not match the ino
    { ...good, ino: 'evil.1', attr: { v: { mode: -1, uid: 0, gid: 0 }, at: good.hlc } },
    { ...good, content: { v: { size: 5, chunks: [{ id: 'not-hex', size: 5 }] }, at: good.hlc } },
  ];
  const from = { id: 'evil', url: 'http://evil:8000' };
  nodes[0]!.gossip.handlers.push({ from, updates: bad.map((record, i) => ({ origin: 'evil', seq: i + 1, record })) as never });
  nodes[0]!.gossip.handlers.records({ from, records: bad as never });
  for (const r of bad) assert.is(nodes[0]!.store.getRecord(r.key), undefined, `refused: ${r.key.replace(/\0/g, ' ')}`);
  nodes[0]!.gossip.handlers.push({ from, updates: [{ origin: 'evil', seq: 1, record: good }] });
  assert.equal(nodes[0]!.store.getRecord(good.key), good, 'a valid record from the same peer is merged');
  await rounds(nodes, clock, 3);
  await nodes[1]!.gossip.antiEntropy();
  for (const r of bad.slice(0, 1)) assert.is(nodes[1]!.store.getRecord(r.key), undefined, 'nothing malformed was forwarded');
  assert.ok(nodes[1]!.store.getRecord(good.key), 'the valid one was');
});

test.run();
