/**
 * Heartbeats: every HEARTBEAT_INTERVAL, POST /internal/heartbeat to every known controller in
 * parallel (a dead one never delays the others), carrying capacity, free space and either the full
 * inventory or the changes since that controller's last acknowledged heartbeat, and the bytes of
 * its chunks and the disk its data dir is on (disk-identity.ts). A controller that refuses those
 * two fields as INVALID (older than them: its schema is closed) gets heartbeats without them.
 * Controllers are learned from CONTROLLER_PEERS, CONTROLLER_DNS and the answers.
 */
import type { DiskReport, HeartbeatRequest, HeartbeatResponse } from '../common/api.js';
import { toRedCloudError } from '../common/errors.js';
import { requestJson } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import { HEARTBEAT_LOG_EVERY_MS, logEvery } from '../common/log-every.js';
import { clusterSigner } from '../common/cluster-auth.js';
import type { Signer } from '../common/tokens.js';
import { ControllerSet, controllerUrl, dnsResolver } from './controllers.js';
import { InventoryTracker } from './inventory-tracker.js';
import type { ChunkStore } from './store.js';

export interface HeartbeatOptions {
  heartbeatIntervalMs: number;
  fullInventoryIntervalMs: number;
  controllerPeers: string[];
  /** '' disables DNS discovery */
  controllerDns: string;
  controllerDnsPort: number;
  requestTimeoutMs: number;
}

export interface HeartbeatDeps {
  options: HeartbeatOptions;
  store: ChunkStore;
  signer: Signer;
  nodeId: string;
  /** this chunkserver's advertised URL (known once it listens) */
  url: () => string;
  logger: Logger;
  now: () => number;
  shutdown: AbortSignal;
  /** A-record lookup; defaults to dns.promises with a timeout. Injected by tests. */
  resolve4?: (name: string) => Promise<string[]>;
  /** scheme of controllers named without one (CONTROLLER_PEERS host:port, DNS records): https when this node serves TLS */
  scheme?: 'http' | 'https';
  /** the disk of the data dir, read once per round; none: heartbeats carry no `disk` */
  diskReport?: () => Promise<DiskReport>;
}

export interface HeartbeatService {
  start(): void;
  stop(): Promise<void>;
  /** One round: DNS refresh, then a heartbeat to every controller not already in flight. */
  tick(): Promise<void>;
  controllers(): string[];
}

export function createHeartbeat(deps: HeartbeatDeps): HeartbeatService {
  const { options: o, store } = deps;
  const log = deps.logger.child({ component: 'heartbeat' });
  const sentLog = logEvery(HEARTBEAT_LOG_EVERY_MS);
  const set = new ControllerSet();
  const tracker = new InventoryTracker(o.fullInventoryIntervalMs);
  const inFlight = new Map<string, Promise<void>>();
  const resolve4 = deps.resolve4 ?? dnsResolver(o.requestTimeoutMs);
  const dnsEveryMs = Math.max(o.heartbeatIntervalMs, 1000);
  let lastDnsAtMs = -Infinity;
  let dnsFailing = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  let disk: DiskReport | undefined;
  let diskFailing = false;
  /** controllers that refused the space fields (older schema) */
  const plain = new Set<string>();

  const scheme = deps.scheme ?? 'http';
  for (const p of o.controllerPeers) set.add(controllerUrl(p, scheme), 'config');
  const unsubscribe = store.onChange(({ type, id }) => tracker.record(type, id));

  async function refreshDns(): Promise<void> {
    if (!o.controllerDns || deps.now() - lastDnsAtMs < dnsEveryMs) return;
    lastDnsAtMs = deps.now();
    try {
      const ips = await resolve4(o.controllerDns);
      const added = set.setDns(ips.map((ip) => `${scheme}://${ip}:${o.controllerDnsPort}`));
      if (added.length > 0) log.info({ dns: o.controllerDns, added }, `Discovered ${added.length} controllers through DNS`);
      dnsFailing = false;
    } catch (err) {
      const level = dnsFailing ? 'debug' : 'warn';
      log[level]({ dns: o.controllerDns, err: (err as Error).message }, 'Controller DNS name does not resolve; will retry');
      dnsFailing = true;
    }
  }

  async function send(url: string): Promise<void> {
    const usage = store.usage();
    const space = plain.has(url) ? {} : { usedBytes: usage.usedBytes, ...(disk ? { disk } : {}) };
    const body: HeartbeatRequest = {
      id: deps.nodeId, url: deps.url(), capacityBytes: usage.capacityBytes, freeBytes: usage.freeBytes,
      chunkCount: usage.chunkCount, full: usage.full, ...space, ...tracker.next(url, deps.now(), () => store.list()),
    };
    const first = tracker.acked(url) === 0;
    try {
      const answer = await requestJson<HeartbeatResponse>(`${url}/internal/heartbeat`, {
        method: 'POST', body, timeoutMs: o.requestTimeoutMs, signal: deps.shutdown,
        sign: clusterSigner(deps.signer, 'chunkserver', deps.nodeId, deps.now),
      });
      tracker.ack(url, answer?.needInventory === true);
      set.succeeded(url);
      const fields = { controller: url, full: 'inventory' in body, chunkCount: usage.chunkCount, added: body.added?.length, removed: body.removed?.length };
      // the first one to each controller, then at most one line per HEARTBEAT_LOG_EVERY_MS (debug in between)
      const line = sentLog.note(url, deps.now());
      if (first || line) log.info({ ...fields, heartbeats: line?.events ?? 1 }, 'Heartbeat sent');
      else log.debug(fields, 'Heartbeat sent');
      for (const c of Array.isArray(answer?.controllers) ? answer.controllers : []) {
        if (typeof c === 'string' && /^https?:\/\//.test(c) && set.add(c, 'learned')) log.info({ controller: c, from: url }, 'Discovered controller');
      }
    } catch (err) {
      tracker.fail(url);
      const e = toRedCloudError(err);
      if (e.code === 'INVALID' && !plain.has(url) && 'usedBytes' in body) {
        plain.add(url);
        log.info({ controller: url, err: e.message }, 'Controller refused the heartbeat space fields; sending heartbeats without them');
      }
      const failures = set.failures(url);
      const fields = { controller: url, code: e.code, err: e.message, failures: failures + 1 };
      if (failures === 0) log.warn(fields, 'Heartbeat failed');
      else log.debug(fields, 'Heartbeat failed');
      if (set.failed(url)) {
        tracker.forget(url);
        log.info({ controller: url }, 'Forgot an unreachable controller');
      }
    }
  }

  /** Starts a heartbeat to every controller not already in flight; resolves once they are launched. */
  async function launch(): Promise<Promise<void>[]> {
    await refreshDns();
    await store.refreshUsage().catch((err: unknown) => log.warn({ err }, 'Could not read free disk space'));
    if (deps.diskReport) {
      try {
        disk = await deps.diskReport();
        diskFailing = false;
      } catch (err) {
        if (!diskFailing) log.warn({ err }, 'Could not identify the disk of the data dir; heartbeats carry no disk report');
        diskFailing = true;
        disk = undefined;
      }
    }
    const sends: Promise<void>[] = [];
    for (const url of set.urls()) {
      if (inFlight.has(url) || deps.shutdown.aborted) continue;
      const p = send(url).finally(() => inFlight.delete(url));
      inFlight.set(url, p);
      sends.push(p);
    }
    return sends;
  }

  async function tick(): Promise<void> {
    await Promise.all(await launch());
  }

  const schedule = () => {
    timer = setTimeout(() => {
      round = launch().then(() => undefined, (err: unknown) => log.error({ err }, 'Heartbeat round failed')).finally(() => {
        if (!deps.shutdown.aborted && timer) schedule();
      });
    }, o.heartbeatIntervalMs);
  };

  return {
    start() {
      round = launch().then(() => undefined, (err: unknown) => log.error({ err }, 'Heartbeat round failed'));
      schedule();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      unsubscribe();
      await Promise.allSettled([round, ...inFlight.values()]);
    },
    tick,
    controllers: () => set.urls(),
  };
}
