/**
 * Controller gauges for /metrics: chunks referenced, chunkservers by state, records' write sequence.
 */
import { Gauge, type Registry as PromRegistry } from 'prom-client';
import type { Registry } from './registry.js';
import type { MetadataStore } from './store.js';

export function registerControllerMetrics(metrics: PromRegistry, store: MetadataStore, registry: Registry): void {
  new Gauge({
    name: 'redcloud_chunks_total', help: 'Distinct chunks referenced by live files', registers: [metrics],
    collect() { this.set(store.referencedChunkCount()); },
  });
  new Gauge({
    name: 'redcloud_chunkservers', help: 'Known chunkservers by state', labelNames: ['state'] as const, registers: [metrics],
    collect() {
      const all = registry.list();
      const healthy = all.filter((s) => s.healthy).length;
      this.set({ state: 'healthy' }, healthy);
      this.set({ state: 'failed' }, all.length - healthy);
      this.set({ state: 'full' }, all.filter((s) => s.full).length);
    },
  });
  new Gauge({
    name: 'redcloud_chunkserver_free_bytes', help: 'Free bytes reported by healthy chunkservers', registers: [metrics],
    collect() { this.set(registry.list().filter((s) => s.healthy).reduce((a, s) => a + s.freeBytes, 0)); },
  });
}
