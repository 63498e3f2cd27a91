/**
 * The controller service: builds the store, registry, accounts, namespace, membership and gossip
 * (src/controller/gossip), repair (src/controller/repair), the status page (status-page.ts) and the HTTP app from its components, without listening (tests use
 * `inject`); start() listens and starts the registry's failure check and gossip, stop() undoes
 * them in reverse order and closes the database.
 */
import { RedCloudError } from '../common/errors.js';
import { advertisedAddress, urlHost } from '../common/advertise.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import type { ConfigOf, controllerSchema } from '../common/config.js';
import { buildServer, createMetricsRegistry, listen } from '../common/http-server.js';
import type { Logger } from '../common/logger.js';
import { withScheme, loadServerTls, schemeOf } from '../common/tls.js';
import { Signer } from '../common/tokens.js';
import { createGossipService, type GossipService } from './gossip/service.js';
import { Membership } from './gossip/membership.js';
import { registerGossipMetrics } from './gossip/metrics.js';
import { registerControllerMetrics, registerRepairMetrics } from './metrics.js';
import { createNamespace, type Namespace } from './namespace.js';
import { createQuotas } from './quota.js';
import { clusterSpace } from './space.js';
import { createTrashSweeper } from './trash-sweeper.js';
import { createPeerViews } from './peer-views.js';
import { createRegistry, type Registry } from './registry.js';
import { gcBlocker } from './repair/gc-gate.js';
import { createRepairService, type RepairService } from './repair/service.js';
import { checkClusterSecret } from '../common/secret-policy.js';
import { clusterStatus, registerRoutes, type RouteDeps } from './routes.js';
import { clusterView, registerStatusPage } from './status-page.js';
import { bearerAuth } from './auth.js';
import { createReportThrottle, DEFAULT_REPORT_THROTTLE } from './report-throttle.js';
import type { MetadataStore } from './metadata-store.js';
import { openStore } from './store.js';
import { registerSnapshotRoutes, registerSnapshotScope } from './snapshot-routes.js';
import { createSnapshots } from './snapshots.js';
import { createLoginSync } from './login-sync.js';
import { registrationGate } from './register-gate.js';
import { createLoginThrottle, createRateLimit, DEFAULT_THROTTLE } from './throttle.js';
import { createUsers } from './users.js';

export type ControllerConfig = ConfigOf<typeof controllerSchema>;

export interface ControllerComponents {
  config: ControllerConfig;
  logger: Logger;
  nodeId: string;
  /** database file or ':memory:' */
  dbPath: string;
  now?: () => number;
  /** random source of gossip peer selection (default Math.random) */
  random?: () => number;
}

export interface Controller {
  app: FastifyInstance;
  store: MetadataStore;
  registry: Registry;
  namespace: Namespace;
  signer: Signer;
  membership: Membership;
  gossip: GossipService;
  repair: RepairService;
  /** advertised base URL (known after start) */
  url(): string;
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** This controller's base URL for peers and clients (the one rule, common/advertise.ts): https when it serves TLS. */
export function advertisedUrl(config: ControllerConfig, port: number, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://${urlHost(advertisedAddress(config))}:${port}`;
}

export function createController(c: ControllerComponents): Controller {
  const now = c.now ?? Date.now;
  const { config } = c;
  if (c.dbPath !== ':memory:') mkdirSync(dirname(c.dbPath), { recursive: true });
  const store = openStore({ path: c.dbPath, nodeId: c.nodeId, now, logger: c.logger });
  const signer = new Signer(config.clusterSecret);
  const logger = c.logger;
  const registry = createRegistry({ store, logger, now, heartbeatTimeoutMs: config.heartbeatTimeoutMs });
  const quotas = createQuotas({
    store, defaults: { bytes: config.quotaBytes, files: config.quotaFiles, rawBytes: config.quotaRawBytes }, perUser: config.quotaUsers,
    copies: () => clusterSpace(registry.list(), config.replicationFactor).copies,
  });
  const namespace = createNamespace({
    store, signer, logger, now, writeQuorum: config.writeQuorum, inlineMaxBytes: config.inlineMaxBytes, tagLimits: { perFileMax: config.tagsPerFileMax, perUserMax: config.tagsPerUserMax }, quota: quotas, trashTtlMs: config.trashTtlMs,
  });
  const metrics = createMetricsRegistry({ node: c.nodeId, role: 'controller' });
  registerControllerMetrics(metrics, store, registry, { replicationFactor: config.replicationFactor });
  // TLS_CERT/TLS_KEY: serve HTTPS, advertise https URLs, and reach peers given as host:port over https
  const tls = loadServerTls(config);
  const scheme = schemeOf(tls);
  let selfUrl = advertisedUrl(config, config.port, scheme);
  const app = buildServer({
    tls, logger, bodyLimitBytes: config.maxBodyBytes, metrics, requestTimeoutMs: 120_000,
    health: () => ({ role: 'controller', node: c.nodeId, chunkservers: registry.healthyIds().length }),
  });
  const membership = new Membership({
    self: { id: c.nodeId, url: selfUrl }, seeds: config.controllerPeers.map((p) => withScheme(p, scheme)), scheme, dnsName: config.controllerDns, dnsPort: config.controllerDnsPort,
    aliveWindowMs: Math.max(5000, 5 * config.gossipIntervalMs), baseBackoffMs: config.gossipIntervalMs, maxBackoffMs: 30_000, logger, now,
    forgetAfterMs: config.peerForgetAfterMs,
  });
  const gossip = createGossipService({
    store, membership, signer, logger, now, random: c.random ?? Math.random,
    options: { gossipIntervalMs: config.gossipIntervalMs, fanout: config.gossipFanout, antiEntropyIntervalMs: config.antiEntropyIntervalMs, requestTimeoutMs: config.requestTimeoutMs,
      tombstoneTtlMs: config.tombstoneTtlMs },
  });
  gossip.registerRoutes(app);
  registerGossipMetrics(metrics, gossip, now);
  // a local write starts a gossip round at once, so it reaches the peers in milliseconds
  const applyLocal = store.applyLocal.bind(store);
  store.applyLocal = (record, seq) => {
    applyLocal(record, seq);
    gossip.nudge();
  };
  const applyLocalBatch = store.applyLocalBatch.bind(store);
  store.applyLocalBatch = (writes) => {
    applyLocalBatch(writes);
    gossip.nudge();
  };
  // register only while in sync with a majority of the known controllers (register-gate.ts)
  const freshMs = Math.max(5000, 5 * config.gossipIntervalMs);
  const gate = () => registrationGate({
    knownPeers: membership.all().map((p) => p.id ?? p.url), nowMs: now(), freshMs,
    exchanges: gossip.peerDigests().map((p) => ({ id: p.id, atMs: p.atMs, behindUpdates: p.behindUpdates })),
  });
  const users = createUsers({ store, signer, now, tokenTtlMs: config.tokenTtlMs, gate, gateWaitMs: Math.min(5000, 10 * config.gossipIntervalMs) });
  const loginThrottle = createLoginThrottle(now, { baseWindowMs: config.loginLockMs });
  const loginSync = createLoginSync({
    throttle: loginThrottle, peers: () => membership.urls().filter((u) => u !== membership.self.url && u !== selfUrl), signer, nodeId: c.nodeId,
    logger, now, requestTimeoutMs: config.requestTimeoutMs, maxWindowMs: DEFAULT_THROTTLE.maxWindowMs,
  });
  loginSync.registerRoutes(app);
  new Gauge({
    name: 'redcloud_login_locked_keys', help: 'User names and addresses locked now after failed logins (here or reported by peers)', registers: [metrics],
    collect() { this.set(loginThrottle.lockedCount()); },
  });
  const controllers = (): string[] => [selfUrl, ...membership.urls().filter((u) => u !== selfUrl && u !== membership.self.url)];
  const routeDeps: RouteDeps = {
    logger, signer, now, store, namespace, users, registry, nodeId: c.nodeId, selfUrl: () => selfUrl, controllers,
    peers: () => membership.status().map((p) => ({ ...p, lag: gossip.peerDigests().find((d) => d.url === p.url || d.id === p.id)?.lagUpdates })),
    replicationFactor: config.replicationFactor, writeQuorum: config.writeQuorum, placementWaitMs: config.placementWaitMs,
    requestTimeoutMs: config.requestTimeoutMs, capabilityTtlMs: config.capabilityTtlMs, replicaPipeline: config.replicaPipeline === 'on', chunkSizeBytes: config.chunkSizeBytes,
    placementChunksMax: config.placementChunksMax, quotas, gcSchedule: (n) => repair.gcSchedule(n), trashTtlMs: config.trashTtlMs,
    loginThrottle, registrationGate: gate, registerLimit: createRateLimit(now, config.registerLimit, 10 * 60_000),
    // the daemon refused to start already if the secret is not allowed: what is left are warnings
    warnings: checkClusterSecret(config),
    reportThrottle: createReportThrottle(now, {
      ...DEFAULT_REPORT_THROTTLE, perCallerMax: config.reportBadPerUserMax, replicaIntervalMs: config.reportBadIntervalMs,
    }),
  };
  // snapshots (snapshots.ts): the read-only scope of /v1/fs/ reads first, then the routes
  const snapshots = createSnapshots({ store, logger, now });
  registerSnapshotScope(app, snapshots);
  registerRoutes(app, routeDeps);
  registerSnapshotRoutes(app, { snapshots, signer, now, users });
  // chunkserver liveness from the peers, so this controller can place writes before its first heartbeat
  const peerViews = createPeerViews({
    registry, signer, nodeId: c.nodeId, logger, now, random: c.random ?? Math.random, intervalMs: config.gossipIntervalMs,
    fanout: config.gossipFanout, requestTimeoutMs: config.requestTimeoutMs,
    peers: () => membership.contactable().map((p) => p.url).filter((u) => u !== selfUrl && u !== membership.self.url),
  });
  const repair = createRepairService({
    store, registry, signer, nodeId: c.nodeId, logger, now,
    peerIds: () => membership.alive().map((p) => p.id).filter((id): id is string => id !== undefined && id !== c.nodeId),
    gcBlocker: () => gcBlocker({
      peers: membership.status().filter((p) => p.id !== c.nodeId).map((p) => ({ url: p.url, id: p.id === '?' ? undefined : p.id, alive: p.alive })),
      digests: gossip.peerDigests(), ownDigest: store.digest(), nowMs: now(), maxDigestAgeMs: Math.max(60_000, 20 * config.gossipIntervalMs),
    }),
    options: { repairIntervalMs: config.repairIntervalMs, replicationFactor: config.replicationFactor, gcGraceMs: config.gcGraceMs, requestTimeoutMs: config.requestTimeoutMs },
  });
  registerRepairMetrics(metrics, repair);
  // entries removed on a controller that is gone are expired by the others a few rounds later
  const trashSweeper = createTrashSweeper({ trash: namespace.trash, logger, intervalMs: config.repairIntervalMs, slackMs: Math.max(60_000, 10 * config.repairIntervalMs) });
  // the read-only status page (GET /ui) and its JSON (GET /v1/cluster-view): STATUS_PAGE
  registerStatusPage(app, {
    mode: config.statusPage, nodeId: c.nodeId, now, auth: bearerAuth(signer, now, users), viewers: config.statusPageUsers,
    view: () => clusterView({
      now, heartbeatTimeoutMs: config.heartbeatTimeoutMs, repairIntervalMs: config.repairIntervalMs, status: () => clusterStatus(routeDeps),
      digests: () => gossip.peerDigests(), repair, conflicts: () => gossip.conflicts(), includeWarnings: config.statusPage === 'login',
    }),
  });
  // Chunks handed out for writing are kept from garbage collection while the write may be going on.
  app.addHook('preHandler', async (req) => {
    if (req.method !== 'POST' || req.routeOptions.url !== '/v1/fs/placement') return;
    const chunks = (req.body as { chunks?: { id?: unknown }[] } | undefined)?.chunks;
    if (Array.isArray(chunks)) repair.holdChunks(chunks.map((ch) => ch?.id).filter((id): id is string => typeof id === 'string'), config.capabilityTtlMs);
  });
  // Group commit: a request that wrote anything is answered only once its writes are fdatasynced
  // (store.durable; concurrent requests share one sync). Reads never wait.
  app.addHook('onSend', async (req, _reply, payload) => {
    if (req.method === 'GET' || req.method === 'HEAD') return payload;
    try {
      await store.durable();
    } catch (err) {
      logger.error({ err: (err as Error).message, path: c.dbPath }, 'Could not make metadata writes durable');
      throw new RedCloudError('UNAVAILABLE', 'The controller could not make the write durable (its disk failed a sync); retry or use another controller');
    }
    return payload;
  });
  let started = false;
  return {
    app, store, registry, namespace, signer, membership, gossip, repair,
    url: () => selfUrl,
    async start() {
      const port = await listen(app, config.bindAddr, config.port);
      selfUrl = advertisedUrl(config, port, scheme);
      registry.start();
      gossip.start();
      peerViews.start();
      loginSync.start();
      repair.start();
      trashSweeper.start();
      started = true;
      return selfUrl;
    },
    async stop() {
      trashSweeper.stop();
      await repair.stop();
      peerViews.stop();
      loginSync.stop();
      gossip.stop();
      registry.stop();
      if (started) await app.close();
      else await app.close().catch(() => undefined);
      store.close();
    },
  };
}
