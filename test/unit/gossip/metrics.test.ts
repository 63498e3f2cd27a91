/** Gossip counters and per-peer gauges as /metrics shows them, from a stub gossip service. */
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registerGossipMetrics } from '../../../src/controller/gossip/metrics.js';
import type { GossipService } from '../../../src/controller/gossip/service.js';

test('counters and peer gauges carry the service figures', async () => {
  const stats = { bytesSent: 1200, bytesReceived: 800, rounds: 7, updatesSent: 3, updatesReceived: 2 };
  const gossip = {
    stats: () => ({ ...stats }),
    peerDigests: () => [{ url: 'http://b:8000', id: 'b', digest: { a: 4 }, atMs: 9_000, lagUpdates: 2, behindUpdates: 0 }],
  } as unknown as GossipService;
  const metrics = new Registry();
  registerGossipMetrics(metrics, gossip, () => 10_500);
  const text = await metrics.metrics();
  const value = (line: string) => text.split('\n').find((l) => l.startsWith(line))?.split(' ').pop();
  assert.is(value('redcloud_gossip_bytes_sent_total '), '1200');
  assert.is(value('redcloud_gossip_bytes_received_total '), '800');
  assert.is(value('redcloud_gossip_updates_sent_total '), '3');
  assert.is(value('redcloud_gossip_updates_received_total '), '2');
  assert.is(value('redcloud_gossip_rounds_total '), '7');
  assert.is(value('redcloud_gossip_peer_lag_updates{peer="b"}'), '2');
  assert.is(value('redcloud_gossip_peer_last_exchange_seconds{peer="b"}'), '1.5');
  stats.rounds = 9;
  assert.is((await metrics.metrics()).split('\n').find((l) => l.startsWith('redcloud_gossip_rounds_total '))?.split(' ').pop(), '9', 'read at each scrape');
});

test.run();
