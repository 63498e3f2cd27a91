/**
 * Controller gauges for /metrics, read when scraped: chunks referenced, the replication deficit
 * (chunks under-replicated against the live chunkservers), chunkservers by state, their free
 * space and chunk copies, and repair progress when the repair service reports totals.
 * Gossip metrics live in src/controller/gossip/metrics.ts; request latencies in http-server.ts.
 */
import { Counter, Gauge, type Registry as PromRegistry } from 'prom-client';
import type { ReplicationFactor } from '../common/config.js';
import { wantedReplicas } from './placement.js';
import { clusterSpace } from './space.js';
import type { Registry } from './registry.js';
import type { RepairService, RepairTotals } from './repair/service.js';
import type { MetadataStore } from './metadata-store.js';

export interface ControllerMetricSources {
  /** REPLICATION_FACTOR (default 'all') — what "under-replicated" is measured against */
  replicationFactor?: ReplicationFactor;
}

/** Chunks referenced by live files that have fewer replicas on live chunkservers than wanted. */
export function underReplicatedNow(store: MetadataStore, registry: Registry, factor: ReplicationFactor): number {
  const live = registry.healthyIds();
  return store.underReplicatedCount(Math.max(1, wantedReplicas(factor, live.length)), live);
}

export function registerControllerMetrics(metrics: PromRegistry, store: MetadataStore, registry: Registry, sources: ControllerMetricSources = {}): void {
  const registers = [metrics];
  new Gauge({
    name: 'redcloud_chunks_total', help: 'Distinct chunks referenced by live files', registers,
    collect() { this.set(store.referencedChunkCount()); },
  });
  new Gauge({
    name: 'redcloud_chunks_under_replicated', help: 'Chunks with fewer replicas on live chunkservers than REPLICATION_FACTOR wants (replication deficit)', registers,
    collect() { this.set(underReplicatedNow(store, registry, sources.replicationFactor ?? 'all')); },
  });
  new Gauge({
    name: 'redcloud_chunkservers', help: 'Known chunkservers by state', labelNames: ['state'] as const, registers,
    collect() {
      const all = registry.list();
      const healthy = all.filter((s) => s.healthy).length;
      this.set({ state: 'healthy' }, healthy);
      this.set({ state: 'failed' }, all.length - healthy);
      this.set({ state: 'full' }, all.filter((s) => s.full).length);
    },
  });
  new Gauge({
    name: 'redcloud_cluster_free_bytes', help: 'Free bytes reported by healthy chunkservers, summed (each chunkserver exports its own redcloud_chunkserver_free_bytes)', registers,
    collect() { this.set(registry.list().filter((s) => s.healthy).reduce((a, s) => a + s.freeBytes, 0)); },
  });
  new Gauge({
    name: 'redcloud_cluster_usable_bytes', help: 'Bytes of files the cluster can still store at the replication factor, disks shared by chunkservers counted once (what df shows on a mount)', registers,
    collect() { this.set(clusterSpace(registry.list(), sources.replicationFactor ?? 'all').availBytes); },
  });
  new Gauge({
    name: 'redcloud_chunkserver_chunks', help: 'Chunks each known chunkserver reported in its last heartbeat', labelNames: ['chunkserver'] as const, registers,
    collect() {
      this.reset();
      for (const s of registry.list()) this.set({ chunkserver: s.id }, s.chunkCount);
    },
  });
}

/** Repair progress counters, read from the repair service's `stats()` at every scrape. */
export function registerRepairMetrics(metrics: PromRegistry, repair: Pick<RepairService, 'stats'>): void {
  const totals = (): RepairTotals => repair.stats();
  const counters: Array<[keyof RepairTotals, string, string]> = [
    ['cycles', 'redcloud_repair_cycles_total', 'Repair cycles completed'],
    ['replicated', 'redcloud_repair_replications_total', 'Chunk copies the repair service had chunkservers make'],
    ['replicateFailed', 'redcloud_repair_replication_failures_total', 'Chunk copies that failed (retried next cycle)'],
    ['trimmed', 'redcloud_repair_trimmed_total', 'Surplus replicas deleted'],
    ['garbageDeleted', 'redcloud_repair_garbage_deleted_total', 'Unreferenced chunks deleted after GC_GRACE'],
  ];
  for (const [key, name, help] of counters) {
    new Counter({
      name, help, registers: [metrics],
      collect() {
        this.reset();
        this.inc(totals()[key]);
      },
    });
  }
}
