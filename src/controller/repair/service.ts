/**
 * The repair service: every REPAIR_INTERVAL, and soon after the set of healthy chunkservers
 * changes or a bad replica is reported, runs one cycle — plan (plan.ts) over this controller's share of the referenced chunks,
 * tell targets to pull missing chunks (POST /internal/replicate), drop surplus replicas and
 * garbage past GC_GRACE (DELETE /chunks/:id), all cluster-authenticated, with bounded concurrency
 * and a bounded number of tasks per cycle so clients are never starved. Cycles never overlap.
 */
import PQueue from 'p-queue';
import type { ChunkPutResponse, ChunkserverStatus } from '../../common/api.js';
import type { ReplicationFactor } from '../../common/config.js';
import { toRedCloudError } from '../../common/errors.js';
import { request, requestJson } from '../../common/http-client.js';
import type { Logger } from '../../common/logger.js';
import { clusterSigner } from '../../common/cluster-auth.js';
import type { Signer } from '../../common/tokens.js';
import type { Registry } from '../registry.js';
import type { MetadataStore } from '../metadata-store.js';
import { GcTracker, nextCollectionMs } from './gc.js';
import { myShare, planRepair, type ReplicateTask, type TrimTask } from './plan.js';

export interface RepairOptions {
  repairIntervalMs: number;
  replicationFactor: ReplicationFactor;
  gcGraceMs: number;
  requestTimeoutMs: number;
  /** requests in flight at once (default 4) */
  concurrency?: number;
  /** replicate tasks, trim tasks and garbage deletes per cycle, each (default 256) */
  maxTasksPerCycle?: number;
  /** how often the healthy set is checked for changes (default min(500 ms, interval)) */
  membershipPollMs?: number;
}

export interface RepairDeps {
  options: RepairOptions;
  store: MetadataStore;
  registry: Registry;
  signer: Signer;
  nodeId: string;
  logger: Logger;
  now: () => number;
  /** ids of the other live controllers (the split of work) */
  peerIds: () => string[];
  /** why garbage collection must wait (peers unreachable or ahead of us), or undefined (gc-gate.ts) */
  gcBlocker?: () => string | undefined;
}

export interface CycleResult {
  replicated: number;
  replicateFailed: number;
  throttled: number;
  trimmed: number;
  garbageDeleted: number;
  underReplicated: number;
  overReplicated: number;
  noSource: number;
  deferred: number;
  durationMs: number;
  /** why garbage collection was skipped this cycle */
  gcPostponed?: string;
}

export interface RepairService {
  start(): void;
  stop(): Promise<void>;
  /** Runs one cycle now (waits for a running one first). */
  runCycle(): Promise<CycleResult>;
  /** Chunks a client was just given placement for: kept from garbage collection for `holdMs` more, then GC_GRACE. */
  holdChunks(chunkIds: readonly string[], holdMs: number): void;
  /** Garbage bookkeeping: chunks waiting out GC_GRACE, chunks held for writes in progress. */
  gcState(): { waiting: number; held: number };
  /** When this controller next deletes garbage (`garbageChunks`: unreferenced chunks known now), and why the last cycle postponed it. */
  gcSchedule(garbageChunks: number): { graceMs: number; nextCollectionMs?: number; postponed?: string };
  /** Cumulative totals since start (read by /metrics: src/controller/metrics.ts registerRepairMetrics). */
  stats(): RepairTotals;
  /** The last finished cycle and when it finished (ms), or undefined before the first (the status page). */
  lastCycle(): { atMs: number; result: CycleResult } | undefined;
}

export interface RepairTotals {
  cycles: number;
  replicated: number;
  replicateFailed: number;
  trimmed: number;
  garbageDeleted: number;
}

export function createRepairService(deps: RepairDeps): RepairService {
  const o = deps.options;
  const log = deps.logger.child({ component: 'repair' });
  const concurrency = o.concurrency ?? 4;
  const maxTasks = o.maxTasksPerCycle ?? 256;
  const gc = new GcTracker(o.gcGraceMs);
  const shutdown = new AbortController();
  let running: Promise<CycleResult> | undefined;
  let intervalTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let lastSignature = '';
  let last: { atMs: number; result: CycleResult } | undefined;
  let startedMs: number | undefined;
  let lastPostponed: string | undefined;
  const totals: RepairTotals = { cycles: 0, replicated: 0, replicateFailed: 0, trimmed: 0, garbageDeleted: 0 };

  const auth = clusterSigner(deps.signer, 'controller', deps.nodeId, deps.now);
  const base = (url: string): string => url.replace(/\/+$/, '');
  /** What, when it changes, calls for a cycle soon: the healthy set, fullness, bad-replica reports. */
  const signature = (servers: ChunkserverStatus[]): string =>
    `${servers.filter((s) => s.healthy).map((s) => `${s.id}${s.full ? '!' : ''}`).join(',')} bad:${deps.registry.badReports()}`;

  async function replicate(t: ReplicateTask, byId: Map<string, ChunkserverStatus>, r: CycleResult, outOfSpace: Set<string>): Promise<void> {
    const target = byId.get(t.target);
    if (outOfSpace.has(t.target)) {
      r.deferred += 1; // full until its heartbeat says otherwise; placement skips it from then on
      return;
    }
    const sources = t.sources.map((id) => byId.get(id)).filter((s): s is ChunkserverStatus => s !== undefined).map((s) => ({ id: s.id, url: s.url }));
    if (!target || sources.length === 0) return;
    try {
      await requestJson<ChunkPutResponse>(`${base(target.url)}/internal/replicate`, {
        method: 'POST', body: { chunkId: t.chunkId, sources }, sign: auth, timeoutMs: o.requestTimeoutMs, signal: shutdown.signal,
      });
      deps.store.addLocations(t.target, [t.chunkId]);
      r.replicated += 1;
    } catch (err) {
      const e = toRedCloudError(err);
      if (e.code === 'NO_SPACE') outOfSpace.add(t.target);
      if (e.code === 'THROTTLED') {
        r.throttled += 1;
        log.debug({ chunkId: t.chunkId, target: t.target }, 'Replication throttled by the target; retrying next cycle');
      } else {
        r.replicateFailed += 1;
        if (!shutdown.signal.aborted) log.warn({ chunkId: t.chunkId, target: t.target, code: e.code, err: e.message }, 'Replication failed');
      }
    }
  }

  /** DELETE of one replica; true when the server no longer holds it. */
  async function deleteReplica(chunkId: string, server: ChunkserverStatus, why: string): Promise<boolean> {
    try {
      await request(`${base(server.url)}/chunks/${chunkId}`, { method: 'DELETE', sign: auth, timeoutMs: o.requestTimeoutMs, signal: shutdown.signal });
      deps.store.removeLocations(server.id, [chunkId]);
      log.debug({ chunkId, server: server.id, why }, 'Deleted a chunk replica');
      return true;
    } catch (err) {
      const e = toRedCloudError(err);
      if (!shutdown.signal.aborted) log.warn({ chunkId, server: server.id, why, code: e.code, err: e.message }, 'Could not delete a chunk replica');
      return false;
    }
  }

  async function trim(t: TrimTask, r: CycleResult): Promise<void> {
    // Re-check with fresh state just before deleting: holders and health may have changed meanwhile.
    const holders = deps.store.locationsOf(t.chunkId);
    const healthyHolders = holders.filter((id) => deps.registry.get(id)?.healthy && deps.registry.inventoryKnown(id));
    const server = deps.registry.get(t.server);
    if (!server?.healthy || healthyHolders.length < holders.length || !holders.includes(t.server)) return;
    if (await deleteReplica(t.chunkId, server, 'over-replicated')) r.trimmed += 1;
  }

  async function collectGarbage(byId: Map<string, ChunkserverStatus>, queue: PQueue, r: CycleResult): Promise<void> {
    const blocked = deps.gcBlocker?.();
    if (blocked) {
      r.gcPostponed = blocked;
      return;
    }
    const due = gc.observe(myShare(deps.store.unreferencedChunkLocations(), deps.nodeId, deps.peerIds()), deps.now()).slice(0, maxTasks);
    for (const c of due) {
      if (deps.store.isChunkReferenced(c.chunkId)) {
        gc.forget(c.chunkId);
        continue;
      }
      for (const id of c.locations) {
        const server = byId.get(id);
        if (!server?.healthy) continue; // deleted when it comes back and reports the chunk again
        void queue.add(async () => {
          if (deps.store.isChunkReferenced(c.chunkId)) return;
          if (await deleteReplica(c.chunkId, server, 'garbage')) r.garbageDeleted += 1;
        });
      }
    }
  }

  async function cycle(): Promise<CycleResult> {
    const started = performance.now();
    const servers = deps.registry.list();
    lastSignature = signature(servers);
    const byId = new Map(servers.map((s) => [s.id, s]));
    const plan = planRepair({
      chunks: deps.store.referencedChunkLocations(),
      servers: servers.map((s) => ({ id: s.id, healthy: s.healthy, full: s.full, inventoryKnown: deps.registry.inventoryKnown(s.id) })), factor: o.replicationFactor,
      selfId: deps.nodeId, peerIds: deps.peerIds(), maxTasks,
    });
    const r: CycleResult = {
      replicated: 0, replicateFailed: 0, throttled: 0, trimmed: 0, garbageDeleted: 0, underReplicated: plan.stats.underReplicated,
      overReplicated: plan.stats.overReplicated, noSource: plan.stats.noSource, deferred: plan.stats.deferred, durationMs: 0,
    };
    const queue = new PQueue({ concurrency });
    const outOfSpace = new Set<string>();
    for (const t of plan.replicate) void queue.add(() => replicate(t, byId, r, outOfSpace));
    await queue.onIdle();
    for (const t of plan.trim) void queue.add(() => trim(t, r));
    await collectGarbage(byId, queue, r);
    lastPostponed = r.gcPostponed;
    await queue.onIdle();
    r.durationMs = Math.round(performance.now() - started);
    totals.cycles += 1;
    totals.replicated += r.replicated;
    totals.replicateFailed += r.replicateFailed;
    totals.trimmed += r.trimmed;
    totals.garbageDeleted += r.garbageDeleted;
    last = { atMs: deps.now(), result: { ...r } };
    if (r.replicated > 0) log.info({ replicated: r.replicated }, `${r.replicated} replications successful`);
    if (r.noSource > 0) log.warn({ chunks: r.noSource }, 'Chunks with no healthy replica to copy from');
    log.info({ ...r, garbageWaiting: gc.size() }, 'Repair cycle complete');
    return r;
  }

  function runCycle(): Promise<CycleResult> {
    if (running) return running.then(() => runCycle());
    running = cycle().finally(() => {
      running = undefined;
    });
    return running;
  }

  const safeCycle = (): void => {
    if (running || shutdown.signal.aborted) return;
    runCycle().catch((err: unknown) => log.error({ err }, 'Repair cycle failed'));
  };

  return {
    runCycle,
    holdChunks: (chunkIds, holdMs) => gc.hold(chunkIds, deps.now() + holdMs),
    gcState: () => ({ waiting: gc.size(), held: gc.held() }),
    gcSchedule(garbageChunks) {
      const nowMs = deps.now();
      const base = startedMs ?? nowMs;
      const nextCycleMs = base + (Math.floor(Math.max(0, nowMs - base) / o.repairIntervalMs) + 1) * o.repairIntervalMs;
      const next = nextCollectionMs({ earliestFirstSeenMs: gc.earliestFirstSeenMs(), garbageChunks, graceMs: o.gcGraceMs, nextCycleMs, intervalMs: o.repairIntervalMs });
      return { graceMs: o.gcGraceMs, ...(next !== undefined ? { nextCollectionMs: next } : {}), ...(lastPostponed ? { postponed: lastPostponed } : {}) };
    },
    stats: () => ({ ...totals }),
    lastCycle: () => (last ? { atMs: last.atMs, result: { ...last.result } } : undefined),
    start() {
      log.info({ intervalMs: o.repairIntervalMs, factor: o.replicationFactor, gcGraceMs: o.gcGraceMs, concurrency, maxTasks }, 'Repair service started');
      lastSignature = signature(deps.registry.list());
      startedMs = deps.now();
      intervalTimer = setInterval(safeCycle, o.repairIntervalMs);
      intervalTimer.unref();
      pollTimer = setInterval(() => {
        const now = signature(deps.registry.list());
        if (now !== lastSignature && !running) {
          log.info({ healthy: now }, 'Chunkserver membership or replica health changed; running repair');
          safeCycle();
        }
      }, o.membershipPollMs ?? Math.min(500, o.repairIntervalMs));
      pollTimer.unref();
    },
    async stop() {
      clearInterval(intervalTimer);
      clearInterval(pollTimer);
      shutdown.abort();
      await running?.catch(() => undefined);
    },
  };
}
