/**
 * Gossip cost: once converged, rounds carry neither updates nor peer lists (a digest and a peers
 * hash only); a nudge after a local write runs a round without waiting for the interval; peer
 * digests are tracked (lag). Simulated network, in-memory stores.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peersHash } from '../../../src/controller/gossip/protocol.js';
import type { GossipTransport } from '../../../src/controller/gossip/service.js';
import { simCluster, simNode, simUrls, type SimNode } from '../helpers/sim-gossip.js';
import { SimNetwork } from '../helpers/sim-network.js';

interface Sent { path: string; body: Record<string, unknown>; res: Record<string, unknown> }
interface Node extends SimNode { sent: Sent[] }

function cluster(count: number, clock: { now: number }): { nodes: Node[]; net: SimNetwork } {
  const net = new SimNetwork(7);
  const sent = new Map<string, Sent[]>();
  // every node records what it sends and what it gets back
  const record = (inner: GossipTransport, url: string): GossipTransport => {
    const log: Sent[] = [];
    sent.set(url, log);
    return async <T>(to: string, path: string, body: unknown, signal: AbortSignal): Promise<T> => {
      const res = await inner<T>(to, path, body, signal);
      log.push({ path, body: body as Record<string, unknown>, res: (res ?? {}) as Record<string, unknown> });
      return res;
    };
  };
  const nodes = simCluster(net, count, { clock, transport: record }).map((n) => ({ ...n, sent: sent.get(n.url)! }));
  return { nodes, net };
}

function write(node: Node, path: string, size: number): void {
  node.fs.write(path, size);
}

async function rounds(nodes: Node[], clock: { now: number }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock.now += 1000;
    for (const node of nodes) await node.gossip.round();
  }
}

test('peersHash ignores order and duplicates', () => {
  assert.is(peersHash(['http://b:1', 'http://a:1']), peersHash(['http://a:1', 'http://b:1', 'http://a:1']));
  assert.is.not(peersHash(['http://a:1']), peersHash(['http://a:1', 'http://b:1']));
});

test('a converged, idle cluster gossips digests only: no updates, no peer lists', async () => {
  const clock = { now: 1_000_000 };
  const { nodes } = cluster(3, clock);
  write(nodes[0]!, '/a', 1);
  write(nodes[1]!, '/b', 2);
  await rounds(nodes, clock, 3);
  for (const n of nodes) n.sent.length = 0;
  const before = nodes.map((n) => n.gossip.stats());
  await rounds(nodes, clock, 5);
  for (const [i, n] of nodes.entries()) {
    assert.ok(n.sent.length > 0, `${n.id} gossiped`);
    for (const m of n.sent) {
      assert.is(m.path, '/internal/gossip', `${n.id}: only pulls, no pushes`);
      assert.is(m.body.peers, undefined, `${n.id}: no peer list sent`);
      assert.is(m.res.peers, undefined, `${n.id}: no peer list answered`);
      assert.equal(m.res.updates, [], `${n.id}: no updates answered`);
    }
    assert.is(n.gossip.stats().updatesSent, before[i]!.updatesSent, `${n.id}: updatesSent unchanged`);
    assert.ok(n.gossip.stats().rounds > before[i]!.rounds);
  }
});

test('the first exchange carries the peer list; a new peer spreads it to the others', async () => {
  const clock = { now: 1_000_000 };
  const { nodes } = cluster(2, clock);
  await nodes[0]!.gossip.round();
  assert.equal(nodes[0]!.sent[0]!.body.peers, ['http://sim-1:8000', 'http://sim-2:8000'], 'first pull carries the list');
  assert.is(nodes[0]!.sent[0]!.res.peers, undefined, 'same view: the answer has no list');
});

test('a nudge pushes a local write at once to peers whose digest is known; peer lag is tracked', async () => {
  const clock = { now: 1_000_000 };
  const { nodes } = cluster(3, clock);
  await rounds(nodes, clock, 2);
  write(nodes[0]!, '/new', 5);
  nodes[0]!.gossip.nudge();
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && !(nodes[1]!.fs.sizeAt('/new') !== undefined && nodes[2]!.fs.sizeAt('/new') !== undefined)) {
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.is(nodes[1]!.fs.sizeAt('/new'), 5);
  assert.is(nodes[2]!.fs.sizeAt('/new'), 5);
  const seq = nodes[0]!.store.digest().c1!;
  assert.ok(seq >= 2, 'a create writes at least an inode and a link');
  const lag = nodes[0]!.gossip.peerDigests().map((p) => [p.id, p.lagUpdates, p.digest.c1]).sort();
  assert.equal(lag, [['c2', 0, seq], ['c3', 0, seq]], `the push was acknowledged: the peers hold c1 seq ${seq}`);
  assert.equal(nodes[0]!.sent.slice(-2).map((m) => m.path), ['/internal/gossip/push', '/internal/gossip/push'], 'the nudged round only pushed');
  for (const n of nodes) n.gossip.stop();
});

test('a peer that hangs does not hold up gossip with the others', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(3);
  const urls = simUrls(3);
  // sim-3 never answers until the sender gives up (a blackholed controller)
  const blackhole = (inner: GossipTransport): GossipTransport => <T>(to: string, path: string, body: unknown, signal: AbortSignal): Promise<T> => (to === urls[2]
    ? new Promise<T>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))
    : inner<T>(to, path, body, signal));
  const nodes = urls.slice(0, 2).map((url, i): Node => ({ ...simNode(net, `c${i + 1}`, url, urls, { clock, transport: blackhole }), sent: [] }));
  const [a, b] = nodes as [Node, Node];
  void a.gossip.round(); // hangs on sim-3, answers from sim-2
  write(a, '/x', 3);
  a.gossip.nudge();
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && b.fs.sizeAt('/x') === undefined) await new Promise((r) => setTimeout(r, 1));
  assert.is(b.fs.sizeAt('/x'), 3, 'the write reached sim-2 while sim-3 hangs');
  for (const n of nodes) n.gossip.stop();
});

test.run();
