/**
 * Controller /metrics additions (src/controller/metrics.ts): the replication deficit gauge asks the
 * store with the wanted replica count for REPLICATION_FACTOR and the live chunkservers, per-
 * chunkserver chunk gauges, and repair counters only when the repair service reports totals.
 */
import { Registry as PromRegistry } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChunkserverStatus } from '../../../src/common/api.js';
import { registerControllerMetrics, registerRepairMetrics } from '../../../src/controller/metrics.js';
import type { RepairTotals } from '../../../src/controller/repair/service.js';
import type { Registry } from '../../../src/controller/registry.js';
import type { MetadataStore } from '../../../src/controller/store.js';

const test = suite('controller metrics');

const server = (id: string, healthy: boolean, chunkCount: number): ChunkserverStatus =>
  ({ id, url: `http://${id}`, healthy, lastHeartbeatMs: 1, capacityBytes: 100, freeBytes: 40, chunkCount, full: false });

function fakes(servers: ChunkserverStatus[]) {
  const calls: Array<[number, string[]]> = [];
  const store = {
    referencedChunkCount: () => 12,
    underReplicatedCount: (want: number, live: string[]) => {
      calls.push([want, live]);
      return 5;
    },
  } as unknown as MetadataStore;
  const registry = {
    list: () => servers,
    healthyIds: () => servers.filter((s) => s.healthy).map((s) => s.id),
  } as unknown as Registry;
  return { store, registry, calls };
}

test('deficit gauge: wanted replicas follow REPLICATION_FACTOR over the live chunkservers', async () => {
  const f = fakes([server('a', true, 7), server('b', true, 3), server('c', false, 9)]);
  const metrics = new PromRegistry();
  registerControllerMetrics(metrics, f.store, f.registry, { replicationFactor: 3 });
  const text = await metrics.metrics();
  assert.match(text, /^redcloud_chunks_under_replicated 5$/m);
  assert.equal(f.calls, [[2, ['a', 'b']]], 'factor 3 with 2 live servers wants 2');
  assert.match(text, /^redcloud_chunks_total 12$/m);
  assert.match(text, /^redcloud_chunkservers\{state="failed"\} 1$/m);
  assert.match(text, /^redcloud_chunkserver_chunks\{chunkserver="c"\} 9$/m);
});

test('deficit gauge: default factor "all" wants every live chunkserver, at least 1', async () => {
  const f = fakes([]);
  const metrics = new PromRegistry();
  registerControllerMetrics(metrics, f.store, f.registry);
  await metrics.metrics();
  assert.equal(f.calls, [[1, []]]);
});

test('repair counters: the totals of the repair service, read at every scrape', async () => {
  const totals: RepairTotals = { cycles: 4, replicated: 10, replicateFailed: 1, trimmed: 2, garbageDeleted: 3 };
  const withStats = new PromRegistry();
  registerRepairMetrics(withStats, { stats: () => totals });
  let text = await withStats.metrics();
  assert.match(text, /^redcloud_repair_cycles_total 4$/m);
  assert.match(text, /^redcloud_repair_replications_total 10$/m);
  assert.match(text, /^redcloud_repair_replication_failures_total 1$/m);
  assert.match(text, /^redcloud_repair_trimmed_total 2$/m);
  assert.match(text, /^redcloud_repair_garbage_deleted_total 3$/m);
  totals.cycles = 5;
  text = await withStats.metrics();
  assert.match(text, /^redcloud_repair_cycles_total 5$/m, 'read again at every scrape');
});

test.run();
