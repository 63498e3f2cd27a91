/**
 * The conflicts the status page lists (gossip service conflicts()): files written on both sides of
 * a partition are resolved when it heals, each counted, the last RECENT_CONFLICTS_MAX kept with
 * time, peer and record kind only — no key, so no user or file name reaches the page.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RECENT_CONFLICTS_MAX } from '../../../src/controller/gossip/service.js';
import { simCluster } from '../helpers/sim-gossip.js';
import { SimNetwork } from '../helpers/sim-network.js';

test('conflicts of a healed partition are counted; the recent ones carry no key and stay bounded', async () => {
  const clock = { now: 1_000_000 };
  const net = new SimNetwork(20261201);
  const nodes = simCluster(net, 2, { clock });
  const rounds = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      clock.now += 1000;
      for (const node of nodes) await node.gossip.round();
    }
  };
  const files = Array.from({ length: RECENT_CONFLICTS_MAX + 5 }, (_, i) => `/shared-${i}.txt`);
  for (const f of files) nodes[0]!.fs.write(f, 1);
  await rounds(3);
  assert.equal(nodes.map((n) => n.gossip.conflicts().total), [0, 0], 'no conflict while writes do not overlap');
  net.isolate(nodes[1]!.url);
  for (const f of files) nodes[0]!.fs.write(f, 100);
  clock.now += 5;
  for (const f of files) nodes[1]!.fs.write(f, 300);
  net.heal();
  await rounds(6);
  const seen = nodes.map((n) => n.gossip.conflicts());
  const total = seen.reduce((a, c) => a + c.total, 0);
  assert.ok(total >= files.length, `every overlapping write was a conflict somewhere (${total})`);
  for (const [i, c] of seen.entries()) {
    assert.ok(c.recent.length <= RECENT_CONFLICTS_MAX, `bounded on ${nodes[i]!.id}`);
    assert.is(c.recent.length, Math.min(c.total, RECENT_CONFLICTS_MAX));
    for (const r of c.recent) {
      assert.equal(Object.keys(r).sort(), ['atMs', 'kind', 'peer']);
      assert.ok(['inode', 'link'].includes(r.kind), r.kind);
      assert.is(r.peer, nodes[1 - i]!.id);
      assert.ok(r.atMs > 1_000_000 && r.atMs <= clock.now);
      assert.not.match(JSON.stringify(r), 'shared', 'no file name');
    }
  }
});

test.run();
