/**
 * Gossip counters for the controller's /metrics, read from the gossip service when scraped:
 * bytes, updates and rounds (an idle cluster's bytes grow slowly and its updates not at all), and
 * per peer the updates it lacked at the last exchange and the age of that exchange.
 */
import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { GossipService, GossipStats } from './service.js';

function counterOf(metrics: PromRegistry, name: string, help: string, read: () => number): void {
  new Counter({
    name, help, registers: [metrics],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export function registerGossipMetrics(metrics: PromRegistry, gossip: GossipService, now: () => number): void {
  const stat = (k: keyof GossipStats) => () => gossip.stats()[k];
  counterOf(metrics, 'redcloud_gossip_bytes_sent_total', 'JSON bytes of gossip and anti-entropy messages sent (requests and answers)', stat('bytesSent'));
  counterOf(metrics, 'redcloud_gossip_bytes_received_total', 'JSON bytes of gossip and anti-entropy messages received', stat('bytesReceived'));
  counterOf(metrics, 'redcloud_gossip_updates_sent_total', 'Updates sent to peers by gossip', stat('updatesSent'));
  counterOf(metrics, 'redcloud_gossip_updates_received_total', 'Updates received from peers by gossip', stat('updatesReceived'));
  counterOf(metrics, 'redcloud_gossip_rounds_total', 'Gossip rounds started (timer and after local writes)', stat('rounds'));
  new Gauge({
    name: 'redcloud_gossip_peer_lag_updates', help: 'Updates this controller held that the peer lacked at the last exchange',
    labelNames: ['peer'] as const, registers: [metrics],
    collect() {
      this.reset();
      for (const p of gossip.peerDigests()) this.set({ peer: p.id }, p.lagUpdates);
    },
  });
  new Gauge({
    name: 'redcloud_gossip_peer_last_exchange_seconds', help: 'Seconds since the last gossip exchange with the peer',
    labelNames: ['peer'] as const, registers: [metrics],
    collect() {
      this.reset();
      for (const p of gossip.peerDigests()) this.set({ peer: p.id }, Math.max(0, (now() - p.atMs) / 1000));
    },
  });
}
