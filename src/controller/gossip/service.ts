/**
 * The gossip service: push-pull rounds every GOSSIP_INTERVAL with a few random peers (scuttlebutt:
 * a digest {origin: highest seq} tells the other side exactly which updates to send, so an idle
 * round carries no records), and bucket-hash anti-entropy every ANTI_ENTROPY_INTERVAL that repairs
 * whatever gossip missed. Concurrent versions are merged by the store (src/meta/merge) and logged
 * as `Resolved conflict`. Routes are registered on the controller's fastify app.
 */
import type { FastifyInstance } from 'fastify';
import { clusterAuth } from '../../common/http-server.js';
import { requestJson } from '../../common/http-client.js';
import type { Logger } from '../../common/logger.js';
import { clusterAuthHeader, type Signer } from '../../common/tokens.js';
import type { Digest, Hlc, MetaRecord, Update, VersionVector } from '../../meta/types.js';
import type { RemoteApplyResult } from '../store.js';
import type { Membership } from './membership.js';
import {
  type AntiEntropyRequest, type AntiEntropyResponse, type GossipPull, type GossipPullResponse, type GossipPush,
  MAX_GOSSIP_BYTES, MAX_GOSSIP_UPDATES, bucketHashes, differingBuckets, lacksAnything, pickRandom, takeWithinBudget,
} from './protocol.js';

export interface GossipStore {
  digest(): Digest;
  updatesSince(digest: Digest, limit: number): Update[];
  applyRemote(update: Update): RemoteApplyResult;
  transaction<T>(fn: () => T): T;
  /** key, vv and hlc of every record (anti-entropy) */
  fingerprints(): Iterable<{ key: string; vv: VersionVector; hlc: Hlc }>;
  /** every record whose key hashes into one of `buckets` */
  recordsInBuckets(buckets: ReadonlySet<number>): MetaRecord[];
  /** merges a whole record from a peer (anti-entropy), outside the update log */
  mergeRecord(record: MetaRecord): RemoteApplyResult;
}

export interface GossipOptions {
  gossipIntervalMs: number;
  fanout: number;
  antiEntropyIntervalMs: number;
  requestTimeoutMs: number;
}

export interface GossipDeps {
  store: GossipStore;
  membership: Membership;
  signer: Signer;
  logger: Logger;
  now: () => number;
  random: () => number;
  options: GossipOptions;
  /** called after remote changes were applied (e.g. to trigger repair) */
  onChange?: () => void;
}

export interface GossipService {
  start(): void;
  stop(): void;
  registerRoutes(app: FastifyInstance): void;
  /** one push-pull round now (tests, and after a local write to spread it sooner) */
  round(): Promise<void>;
  antiEntropy(): Promise<void>;
  stats(): { bytesSent: number; bytesReceived: number; rounds: number; updatesSent: number; updatesReceived: number };
}

export function createGossipService(d: GossipDeps): GossipService {
  const log = d.logger.child({ component: 'gossip' });
  const self = d.membership.self;
  const stats = { bytesSent: 0, bytesReceived: 0, rounds: 0, updatesSent: 0, updatesReceived: 0 };
  const shutdown = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let roundRunning = false;

  async function call<T>(url: string, path: string, body: unknown): Promise<T> {
    const payload = JSON.stringify(body);
    stats.bytesSent += payload.length;
    const res = await requestJson<T>(`${url}${path}`, {
      method: 'POST',
      body,
      timeoutMs: d.options.requestTimeoutMs,
      signal: shutdown.signal,
      headers: { 'x-redcloud-cluster': clusterAuthHeader(d.signer, self.id, d.now()) },
    });
    stats.bytesReceived += JSON.stringify(res ?? null).length;
    return res;
  }

  function applyUpdates(updates: Update[], peer: string): number {
    let changed = 0;
    d.store.transaction(() => {
      for (const u of updates) {
        const res = d.store.applyRemote(u);
        if (res.changed) changed++;
        if (res.conflict) logConflict(res, peer);
      }
    });
    stats.updatesReceived += updates.length;
    if (changed > 0) {
      log.debug({ peer, changed, received: updates.length }, 'Applied gossip updates');
      d.onChange?.();
    }
    return changed;
  }

  function logConflict(res: RemoteApplyResult, peer: string): void {
    log.info({ key: res.after.key.replace(/\0/g, ':'), peer, winner: summary(res.after), local: res.before && summary(res.before) },
      'Resolved conflict');
  }

  function updatesFor(digest: Digest): { batch: Update[]; more: boolean } {
    const updates = d.store.updatesSince(digest, MAX_GOSSIP_UPDATES);
    const trimmed = takeWithinBudget(updates, MAX_GOSSIP_BYTES);
    return { batch: trimmed.batch, more: trimmed.more || updates.length >= MAX_GOSSIP_UPDATES };
  }

  async function exchange(url: string): Promise<void> {
    try {
      const pull: GossipPull = { from: self, digest: d.store.digest(), peers: d.membership.urls() };
      const res = await call<GossipPullResponse>(url, '/internal/gossip', pull);
      d.membership.seen(url, res.from.id);
      d.membership.add(res.peers, 'gossip');
      if (res.updates.length > 0) applyUpdates(res.updates, res.from.id);
      if (lacksAnything(res.digest, d.store.digest())) {
        const { batch } = updatesFor(res.digest);
        if (batch.length > 0) {
          await call<unknown>(url, '/internal/gossip/push', { from: self, updates: batch } satisfies GossipPush);
          stats.updatesSent += batch.length;
          log.info({ peer: res.from.id, count: batch.length }, `Sent ${batch.length} updates`);
        }
      }
    } catch (err) {
      d.membership.failed(url);
      log.debug({ peer: url, err: (err as Error).message }, 'Gossip round with peer failed');
    }
  }

  async function round(): Promise<void> {
    if (roundRunning) return;
    roundRunning = true;
    try {
      stats.rounds++;
      const targets = pickRandom(d.membership.contactable(), d.options.fanout, d.random);
      await Promise.all(targets.map((p) => exchange(p.url)));
    } finally {
      roundRunning = false;
    }
  }

  async function antiEntropy(): Promise<void> {
    const candidates = d.membership.alive().length > 0 ? d.membership.alive() : d.membership.contactable();
    const [peer] = pickRandom(candidates, 1, d.random);
    if (!peer) return;
    try {
      const req: AntiEntropyRequest = { from: self, hashes: bucketHashes(d.store.fingerprints()) };
      const res = await call<AntiEntropyResponse>(peer.url, '/internal/anti-entropy', req);
      d.membership.seen(peer.url, res.from.id);
      let changed = 0;
      d.store.transaction(() => {
        for (const r of res.records) {
          const out = d.store.mergeRecord(r);
          if (out.changed) changed++;
          if (out.conflict) logConflict(out, res.from.id);
        }
      });
      let sent = 0;
      if (res.buckets.length > 0) {
        const mine = d.store.recordsInBuckets(new Set(res.buckets));
        sent = mine.length;
        await call<unknown>(peer.url, '/internal/anti-entropy/records', { from: self, records: mine });
      }
      if (changed > 0) d.onChange?.();
      log.info({ peer: res.from.id, differingBuckets: res.buckets.length, received: res.records.length, changed, sent }, 'Anti-entropy round complete');
    } catch (err) {
      d.membership.failed(peer.url);
      log.debug({ peer: peer.url, err: (err as Error).message }, 'Anti-entropy with peer failed');
    }
  }

  function registerRoutes(app: FastifyInstance): void {
    const guard = clusterAuth(d.signer, log, d.now);
    const peerRef = { type: 'object', required: ['id', 'url'], properties: { id: { type: 'string', maxLength: 128 }, url: { type: 'string', maxLength: 512 } } };
    const digest = { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } };
    const urls = { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 512 } };
    const updates = { type: 'array', maxItems: MAX_GOSSIP_UPDATES, items: { type: 'object', required: ['origin', 'seq', 'record'] } };

    app.post<{ Body: GossipPull }>('/internal/gossip', {
      preHandler: guard,
      schema: { body: { type: 'object', required: ['from', 'digest', 'peers'], properties: { from: peerRef, digest, peers: urls } } },
    }, async (req): Promise<GossipPullResponse> => {
      d.membership.add([req.body.from.url, ...req.body.peers], 'gossip');
      d.membership.seen(req.body.from.url, req.body.from.id);
      const { batch, more } = updatesFor(req.body.digest);
      stats.updatesSent += batch.length;
      return { from: self, digest: d.store.digest(), peers: d.membership.urls(), updates: batch, more };
    });

    app.post<{ Body: GossipPush }>('/internal/gossip/push', {
      preHandler: guard,
      schema: { body: { type: 'object', required: ['from', 'updates'], properties: { from: peerRef, updates } } },
    }, async (req, reply) => {
      applyUpdates(req.body.updates, req.body.from.id);
      return reply.code(204).send();
    });

    app.post<{ Body: AntiEntropyRequest }>('/internal/anti-entropy', {
      preHandler: guard,
      schema: { body: { type: 'object', required: ['from', 'hashes'], properties: { from: peerRef, hashes: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 64 } } } } },
    }, async (req): Promise<AntiEntropyResponse> => {
      d.membership.add([req.body.from.url], 'anti-entropy');
      d.membership.seen(req.body.from.url, req.body.from.id);
      const buckets = differingBuckets(bucketHashes(d.store.fingerprints()), req.body.hashes);
      const records = buckets.length > 0 ? d.store.recordsInBuckets(new Set(buckets)) : [];
      log.info({ peer: req.body.from.id, differingBuckets: buckets.length, sent: records.length }, 'Anti-entropy request answered');
      return { from: self, buckets, records };
    });

    app.post<{ Body: { from: { id: string }; records: MetaRecord[] } }>('/internal/anti-entropy/records', {
      preHandler: guard,
      schema: { body: { type: 'object', required: ['from', 'records'], properties: { from: peerRef, records: { type: 'array', maxItems: 100_000, items: { type: 'object', required: ['key', 'type', 'vv', 'hlc'] } } } } },
    }, async (req, reply) => {
      let changed = 0;
      d.store.transaction(() => {
        for (const r of req.body.records) {
          const out = d.store.mergeRecord(r);
          if (out.changed) changed++;
          if (out.conflict) logConflict(out, req.body.from.id);
        }
      });
      if (changed > 0) d.onChange?.();
      return reply.code(204).send();
    });
  }

  function every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => void fn().catch((err) => log.error({ err }, 'Gossip task failed')), ms);
    t.unref();
    timers.push(t);
  }

  return {
    start() {
      void d.membership.refreshDns();
      every(d.options.gossipIntervalMs, round);
      every(d.options.antiEntropyIntervalMs, antiEntropy);
      every(30_000, () => d.membership.refreshDns());
      log.info({ peers: d.membership.urls().length - 1, intervalMs: d.options.gossipIntervalMs, fanout: d.options.fanout }, 'Gossip service started');
    },
    stop() {
      for (const t of timers) clearInterval(t);
      shutdown.abort();
    },
    registerRoutes,
    round,
    antiEntropy,
    stats: () => ({ ...stats }),
  };
}

function summary(r: MetaRecord): Record<string, unknown> {
  const base = { hlc: `${r.hlc.wallMs}.${r.hlc.logical}@${r.hlc.node}` };
  if (r.type === 'user') return { ...base, user: r.name };
  return { ...base, deleted: r.value === null, size: r.value?.size, chunks: r.value?.chunks.map((c) => c.id.slice(0, 12)) };
}
