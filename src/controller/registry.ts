/**
 * The chunkserver registry, soft state from heartbeats: address, capacity, fullness, health.
 * A full inventory replaces that server's chunk locations, added/removed deltas adjust them. A
 * periodic check marks servers silent for longer than HEARTBEAT_TIMEOUT as failed; failed servers
 * get no placements and come last in read plans. Addresses are kept in the store: after a
 * controller restart, servers it knew are listed as not (yet) healthy, so read plans still name
 * their replicas until the first heartbeats arrive. Peer controllers' views (registry-view.ts)
 * mark servers healthy too, so a restarted or new controller can place writes before its own first
 * heartbeat; `changed` lets a placement wait for the next heartbeat or view.
 */
import type { ChunkLocation, ChunkserverStatus, HeartbeatRequest } from '../common/api.js';
import type { Logger } from '../common/logger.js';
import { HEARTBEAT_LOG_EVERY_MS, logEvery } from '../common/log-every.js';
import { rankServers } from './placement.js';
import type { MetadataStore } from './metadata-store.js';
import { adoptedHeartbeatMs, type PeerChunkserver } from './registry-view.js';

interface ServerState extends ChunkserverStatus {
  inventorySeen: boolean;
  /** a heartbeat of its own reached this controller since it last turned healthy (else only peers vouch) */
  direct: boolean;
}

export interface Registry {
  heartbeat(req: HeartbeatRequest): { needInventory: boolean };
  /** Marks silent servers failed; returns the ids newly failed. */
  check(): string[];
  list(): ChunkserverStatus[];
  healthyIds(): string[];
  /** Known locations of a chunk: healthy first, then failed; unknown servers omitted. */
  locationsOf(chunkId: string): ChunkLocation[];
  /** Live (healthy) server id of a receipt's server, with its URL, if known. */
  get(id: string): ChunkserverStatus | undefined;
  reportBad(chunkId: string, serverId: string): void;
  /** Bad replicas reported since start (repair runs soon after it grows). */
  badReports(): number;
  /** True once the server's full inventory arrived since this controller started (its locations are current). */
  inventoryKnown(id: string): boolean;
  /** The servers heard from within HEARTBEAT_TIMEOUT, with their ages, for peer controllers. */
  view(): PeerChunkserver[];
  /** Adopts a peer's fresher entries (`rttMs`: the request's round trip); returns the ids it changed. */
  merge(peer: readonly PeerChunkserver[], rttMs: number): string[];
  /** Resolves at the next heartbeat or adopted peer entry, or after `timeoutMs` (false), or when `signal` aborts (false). */
  changed(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  start(): void;
  stop(): void;
}

export function createRegistry(c: { store: MetadataStore; logger: Logger; now: () => number; heartbeatTimeoutMs: number; checkIntervalMs?: number }): Registry {
  const log = c.logger.child({ component: 'registry' });
  // `Received heartbeat` at the default level, at most once per chunkserver every HEARTBEAT_LOG_EVERY_MS
  const heartbeatLog = logEvery(HEARTBEAT_LOG_EVERY_MS);
  const servers = new Map<string, ServerState>();
  for (const known of c.store.knownChunkservers()) {
    servers.set(known.id, {
      id: known.id, url: known.url, healthy: false, lastHeartbeatMs: known.lastHeartbeatMs,
      capacityBytes: 0, freeBytes: 0, chunkCount: 0, full: false, inventorySeen: false, direct: false,
    });
  }
  let timer: NodeJS.Timeout | undefined;
  let badReports = 0;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };

  const publicView = (s: ServerState): ChunkserverStatus => {
    const { inventorySeen: _inventory, direct: _direct, ...rest } = s;
    return { ...rest };
  };

  const registry: Registry = {
    heartbeat(req) {
      const nowMs = c.now();
      const prev = servers.get(req.id);
      const state: ServerState = {
        id: req.id, url: req.url, healthy: true, lastHeartbeatMs: nowMs, capacityBytes: req.capacityBytes,
        freeBytes: req.freeBytes, chunkCount: req.chunkCount, full: req.full, inventorySeen: prev?.inventorySeen ?? false, direct: true,
        ...spaceFields(req),
      };
      if (req.inventory) {
        c.store.replaceLocations(req.id, req.inventory);
        state.inventorySeen = true;
      } else {
        if (req.added?.length) c.store.addLocations(req.id, req.added);
        if (req.removed?.length) c.store.removeLocations(req.id, req.removed);
      }
      servers.set(req.id, state);
      if (prev?.url !== req.url || !prev.healthy) c.store.saveChunkserver(req.id, req.url, nowMs);
      const line = heartbeatLog.note(req.id, nowMs);
      if (line) {
        log.info({ server: req.id, url: req.url, heartbeats: line.events, full: req.full, inventory: req.inventory?.length, added: req.added?.length, removed: req.removed?.length },
          'Received heartbeat');
      }
      // logged on its first own heartbeat, also when peers' views made it healthy here before
      if (!prev?.healthy || !prev.direct) log.info({ server: req.id, url: req.url }, `Registered healthy chunkserver ${req.id}`);
      notify();
      return { needInventory: !state.inventorySeen };
    },
    check() {
      const nowMs = c.now();
      const failed: string[] = [];
      for (const s of servers.values()) {
        if (s.healthy && nowMs - s.lastHeartbeatMs > c.heartbeatTimeoutMs) {
          s.healthy = false;
          failed.push(s.id);
          log.warn({ server: s.id, url: s.url, silentMs: nowMs - s.lastHeartbeatMs }, `Chunkserver ${s.id} failed`);
        }
      }
      return failed;
    },
    list: () => [...servers.values()].map(publicView).sort((a, b) => (a.id < b.id ? -1 : 1)),
    healthyIds: () => [...servers.values()].filter((s) => s.healthy).map((s) => s.id).sort(),
    locationsOf(chunkId) {
      // Rendezvous order spreads the reads of a file's chunks over all the servers holding them.
      const known = rankServers(chunkId, c.store.locationsOf(chunkId)).map((id) => servers.get(id)).filter((s): s is ServerState => s !== undefined);
      return [...known.filter((s) => s.healthy), ...known.filter((s) => !s.healthy)].map((s) => ({ id: s.id, url: s.url }));
    },
    get: (id) => {
      const s = servers.get(id);
      return s ? publicView(s) : undefined;
    },
    inventoryKnown: (id) => servers.get(id)?.inventorySeen === true,
    view() {
      const nowMs = c.now();
      return [...servers.values()].filter((s) => s.healthy && nowMs - s.lastHeartbeatMs <= c.heartbeatTimeoutMs).map((s) => ({
        id: s.id, url: s.url, ageMs: Math.max(0, nowMs - s.lastHeartbeatMs), capacityBytes: s.capacityBytes, freeBytes: s.freeBytes, chunkCount: s.chunkCount, full: s.full,
        ...spaceFields(s),
      }));
    },
    merge(peer, rttMs) {
      const nowMs = c.now();
      const changed: string[] = [];
      for (const p of peer) {
        const prev = servers.get(p.id);
        // A server not healthy here (restored from the store after a restart) is adopted whenever
        // the peer heard it within HEARTBEAT_TIMEOUT: its stored heartbeat is often the very one
        // the peer saw, and the peer's estimate, older by the round trip, must not lose to it.
        const lastMs = adoptedHeartbeatMs(prev?.healthy ? prev.lastHeartbeatMs : undefined, p, nowMs, rttMs, c.heartbeatTimeoutMs);
        if (lastMs === undefined) continue;
        servers.set(p.id, {
          id: p.id, url: p.url, healthy: true, lastHeartbeatMs: Math.max(lastMs, prev?.lastHeartbeatMs ?? 0), capacityBytes: p.capacityBytes, freeBytes: p.freeBytes,
          chunkCount: p.chunkCount, full: p.full, inventorySeen: prev?.inventorySeen ?? false, direct: prev?.healthy === true && prev.direct,
          ...spaceFields(p),
        });
        if (prev?.url !== p.url) c.store.saveChunkserver(p.id, p.url, lastMs);
        if (!prev?.healthy) log.info({ server: p.id, url: p.url, ageMs: nowMs - lastMs }, `Chunkserver ${p.id} is healthy by a peer controller's heartbeats`);
        changed.push(p.id);
      }
      if (changed.length > 0) notify();
      return changed;
    },
    changed(timeoutMs, signal) {
      return new Promise<boolean>((resolve) => {
        if (signal?.aborted || timeoutMs <= 0) return resolve(false);
        const done = (value: boolean): void => {
          clearTimeout(t);
          waiters.delete(wake);
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        };
        const wake = (): void => done(true);
        const onAbort = (): void => done(false);
        const t = setTimeout(() => done(false), timeoutMs);
        waiters.add(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    badReports: () => badReports,
    reportBad(chunkId, serverId) {
      badReports += 1;
      c.store.removeLocations(serverId, [chunkId]);
      log.warn({ chunkId, server: serverId }, 'Dropped a bad chunk replica');
    },
    start() {
      const everyMs = c.checkIntervalMs ?? Math.max(50, Math.min(5000, Math.floor(c.heartbeatTimeoutMs / 3)));
      timer = setInterval(() => registry.check(), everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return registry;
}

/** The optional space fields of a heartbeat or peer entry, copied only when present (older chunkservers send none). */
function spaceFields(s: Pick<ChunkserverStatus, 'usedBytes' | 'disk'>): Pick<ChunkserverStatus, 'usedBytes' | 'disk'> {
  return {
    ...(s.usedBytes !== undefined ? { usedBytes: s.usedBytes } : {}),
    ...(s.disk ? { disk: { id: s.disk.id, totalBytes: s.disk.totalBytes, availBytes: s.disk.availBytes } } : {}),
  };
}
