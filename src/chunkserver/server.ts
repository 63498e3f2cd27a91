/**
 * The chunkserver: wires the store, the HTTP routes, heartbeats, replication and the scrubber.
 * `createChunkserver(components)` builds it without listening (tests use `app.inject`);
 * `start()` opens the store, listens, and starts the background services; `stop()` undoes it in
 * reverse order.
 */
import { advertisedAddress, urlHost } from '../common/advertise.js';
import type { FastifyInstance } from 'fastify';
import type { ConfigOf, chunkserverSchema } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import { buildServer, createMetricsRegistry, listen } from '../common/http-server.js';
import { loadServerTls, schemeOf } from '../common/tls.js';
import { Signer } from '../common/tokens.js';
import { createDiskStore } from './disk-store.js';
import { createHeartbeat, type HeartbeatService } from './heartbeat.js';
import { readDiskReport } from './disk-identity.js';
import type { DiskReport } from '../common/api.js';
import { createChunkserverMetrics } from './metrics.js';
import { createPutAdmission } from './put-admission.js';
import { createBadChunkReporter } from './report-bad.js';
import { createReplicator, type Replicator } from './replicator.js';
import { registerChunkRoutes } from './routes-chunks.js';
import { registerInternalRoutes } from './routes-internal.js';
import { createScrubber, type Scrubber } from './scrubber.js';
import type { ChunkStore } from './store.js';

export type ChunkserverConfig = ConfigOf<typeof chunkserverSchema>;

export interface ChunkserverComponents {
  config: ChunkserverConfig;
  /** resolved node id (see node-id.ts) */
  nodeId: string;
  logger: Logger;
  /** defaults to the disk store in DATA_DIR */
  store?: ChunkStore;
  /** ms since epoch; defaults to Date.now */
  clock?: () => number;
  /** DNS lookup for CONTROLLER_DNS (tests) */
  resolve4?: (name: string) => Promise<string[]>;
  /** the disk of the data dir for heartbeats; defaults to statfs of DATA_DIR with the disk store, none with an injected store */
  diskReport?: () => Promise<DiskReport>;
}

export interface Chunkserver {
  app: FastifyInstance;
  store: ChunkStore;
  heartbeat: HeartbeatService;
  scrubber: Scrubber;
  replicator: Replicator;
  /** advertised base URL, set by start() */
  url(): string;
  /** Opens the store and registers routes (start() calls it; tests using inject call it alone). */
  ready(): Promise<void>;
  start(opts?: { background?: boolean }): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
}

/** The host part of this chunkserver's URL: the one rule of every daemon (common/advertise.ts). */
export function advertisedHost(config: Pick<ChunkserverConfig, 'advertiseAddr' | 'bindAddr'>): string {
  return urlHost(advertisedAddress(config));
}

export function createChunkserver(c: ChunkserverComponents): Chunkserver {
  const { config, nodeId } = c;
  const now = c.clock ?? Date.now;
  const logger = c.logger;
  const signer = new Signer(config.clusterSecret);
  const shutdownCtl = new AbortController();
  const shutdown = shutdownCtl.signal;
  const store = c.store ?? createDiskStore({
    dataDir: config.dataDir, quotaBytes: config.capacityBytes, minFreeBytes: config.minFreeBytes, logger,
  });
  const registry = createMetricsRegistry({ node: nodeId, role: 'chunkserver' });
  const admission = createPutAdmission(config.putsPerClientMax);
  const metrics = createChunkserverMetrics(registry, store);
  // TLS_CERT/TLS_KEY: serve HTTPS, advertise an https URL, and reach controllers given as host:port over https
  const tls = loadServerTls(config);
  const scheme = schemeOf(tls);
  let url = `${scheme}://${advertisedHost(config)}:${config.port}`;
  const app = buildServer({
    tls, logger, bodyLimitBytes: config.maxBodyBytes, metrics: registry,
    health: () => {
      const u = store.usage();
      return {
        node: nodeId, role: 'chunkserver', url, chunkCount: u.chunkCount, usedBytes: u.usedBytes, capacityBytes: u.capacityBytes, freeBytes: u.freeBytes, full: u.full,
        putsInFlight: admission.inFlight(),
      };
    },
  });
  const replicator = createReplicator({
    store, signer, nodeId, logger, metrics, now, shutdown,
    inflightMax: config.replicationInflightMax, requestTimeoutMs: config.requestTimeoutMs,
  });
  const heartbeat = createHeartbeat({
    options: config, scheme, store, signer, nodeId, url: () => url, logger, now, shutdown, resolve4: c.resolve4,
    diskReport: c.diskReport ?? (c.store ? undefined : () => readDiskReport(config.dataDir, config.minFreeBytes)),
  });
  const report = createBadChunkReporter({
    controllers: heartbeat.controllers, signer, nodeId, now, requestTimeoutMs: config.requestTimeoutMs, logger, shutdown,
  });
  const scrubber = createScrubber({
    store, logger, metrics, report, rateBytesPerSec: config.scrubRateBytes, intervalMs: config.scrubIntervalMs, shutdown,
  });

  let readyP: Promise<void> | undefined;
  let background = false;
  const ready = () => (readyP ??= (async () => {
    await store.open();
    const onCorrupt = (id: string) => {
      scrubber.quarantine(id, 'read check: content does not match its hash').catch((err: unknown) => logger.error({ err, chunkId: id }, 'Could not quarantine a corrupt chunk'));
    };
    await registerChunkRoutes(app, { store, signer, nodeId, now, logger, metrics, shutdown, onCorrupt, admission, putStallTimeoutMs: config.putStallTimeoutMs,
      forwardTimeoutMs: config.requestTimeoutMs });
    await registerInternalRoutes(app, { store, replicator, signer, nodeId, logger, now, quarantine: scrubber.quarantine });
    await app.ready();
  })());

  return {
    app, store, heartbeat, scrubber, replicator,
    url: () => url,
    ready,
    async start(opts = {}) {
      await ready();
      const port = await listen(app, config.bindAddr, config.port);
      url = `${scheme}://${advertisedHost(config)}:${port}`;
      if (opts.background !== false) {
        background = true;
        heartbeat.start();
        scrubber.start();
      }
      logger.info({ url, chunkCount: store.usage().chunkCount }, 'Chunkserver started');
      return { url, port };
    },
    async stop() {
      shutdownCtl.abort();
      if (background) {
        await scrubber.stop();
        await heartbeat.stop();
      }
      await app.close();
      await store.close();
      logger.info('Chunkserver stopped');
    },
  };
}
