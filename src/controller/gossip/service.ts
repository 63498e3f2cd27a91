/**
 * The gossip service: push-pull rounds every GOSSIP_INTERVAL with a few random peers (scuttlebutt:
 * a digest {origin: highest seq} tells the other side exactly which updates to send, so an idle
 * round carries no records, and the peer list travels only while two views differ), a push of
 * each local write right away (nudge), and bucket-hash anti-entropy every ANTI_ENTROPY_INTERVAL
 * that repairs whatever gossip missed. Exchanges are per peer, so a hanging peer holds up no
 * other. Concurrent versions are merged by the store (src/meta/merge) and logged as `Resolved
 * conflict`. Tombstones are collected after TOMBSTONE_TTL once every peer has them (tombstones.ts).
 * Routes are registered on the controller's fastify app.
 */
import type { FastifyInstance } from 'fastify';
import { clusterAuth } from '../../common/http-server.js';
import { requestJson } from '../../common/http-client.js';
import type { Logger } from '../../common/logger.js';
import { logEvery } from '../../common/log-every.js';
import { clusterSigner } from '../../common/cluster-auth.js';
import type { Signer } from '../../common/tokens.js';
import type { Digest, MetaRecord, Update } from '../../meta/types.js';
import type { RemoteApplyResult } from '../metadata-store.js';
import { MAX_SEQ, assertNotFuture, validateRecord, validateUpdate } from '../../meta/validate.js';
import type { Membership } from './membership.js';
import { type Challenge, httpChallenge, proveCandidates, registerWhoamiRoute, whoami } from './peer-proof.js';
import type { WhoamiAnswer } from '../../common/cluster-auth.js';
import { collectableTombstones, type PeerDigestView, type TombstoneCandidate } from './tombstones.js';
import {
  type AntiEntropyRequest, type AntiEntropyResponse, type GossipPull, type GossipPullResponse, type GossipPush, type PeerRef,
  MAX_GOSSIP_BYTES, MAX_GOSSIP_UPDATES, differingBuckets, fingerprint, lacksAnything, missingCount, peersHash, pickRandom, takeWithinBudget,
} from './protocol.js';
import {
  type AeCursor, type AeLimits, AE_MAX_PAGES_PER_ROUND, AE_PAGE_MAX_BYTES, AE_PAGE_MAX_RECORDS, nextCursor, pageLimits, takePage,
} from './ae-pages.js';

export interface GossipStore {
  digest(): Digest;
  noteOwnSeq(seq: number): void;
  updatesSince(digest: Digest, limit: number, maxBytes?: number): Update[];
  applyRemote(update: Update): RemoteApplyResult;
  transaction<T>(fn: () => T): T;
  /** anti-entropy hash of each bucket's records (bucket-hashes.ts), kept current by the store */
  bucketHashes(): string[];
  /** every record whose key hashes into one of `buckets` */
  recordsInBuckets(buckets: ReadonlySet<number>): MetaRecord[];
  /** merges a whole record from a peer (anti-entropy), outside the update log */
  mergeRecord(record: MetaRecord): RemoteApplyResult;
  /** tombstone collection (optional: without them tombstones are kept) */
  tombstones?(deletedBeforeMs: number, limit: number): TombstoneCandidate[];
  collectTombstones?(keys: readonly string[]): number;
}

export interface GossipOptions {
  gossipIntervalMs: number;
  fanout: number;
  antiEntropyIntervalMs: number;
  requestTimeoutMs: number;
  /** TOMBSTONE_TTL; undefined = never collect tombstones */
  tombstoneTtlMs?: number;
  /** budget of one anti-entropy page per side (default AE_PAGE_MAX_RECORDS / AE_PAGE_MAX_BYTES) */
  antiEntropyPage?: AeLimits;
}

/** Sends one gossip message to a peer; the HTTP one is the default, tests pass a simulated network. */
export type GossipTransport = <T>(url: string, path: string, body: unknown, signal: AbortSignal) => Promise<T>;

/** The four message handlers, callable without HTTP (the routes and simulated networks wrap them). */
export interface GossipHandlers {
  pull(body: GossipPull): GossipPullResponse;
  push(body: GossipPush): void;
  antiEntropy(body: AntiEntropyRequest): AntiEntropyResponse;
  records(body: { from: PeerRef; records: MetaRecord[] }): void;
  /** the answer to a peer-proof challenge (peer-proof.ts) */
  whoami(nonce: string): WhoamiAnswer;
}

export interface GossipDeps {
  store: GossipStore;
  transport?: GossipTransport;
  /** how candidates are challenged (default: an unauthenticated GET /internal/whoami over HTTP) */
  challenge?: Challenge;
  membership: Membership;
  signer: Signer;
  logger: Logger;
  now: () => number;
  random: () => number;
  options: GossipOptions;
  /** called after remote changes were applied (e.g. to trigger repair) */
  onChange?: () => void;
}

export interface GossipStats {
  /** JSON bytes of gossip requests sent and answers given */
  bytesSent: number;
  bytesReceived: number;
  rounds: number;
  updatesSent: number;
  updatesReceived: number;
}

/** What this node last learned of a peer's digest (from its gossip messages). */
export interface PeerDigestInfo {
  url: string;
  id: string;
  digest: Digest;
  /** when the digest was learned, ms */
  atMs: number;
  /** updates we hold that the peer lacked then */
  lagUpdates: number;
  /** updates the peer held that we lacked then */
  behindUpdates: number;
}

export interface GossipService {
  start(): void;
  stop(): void;
  registerRoutes(app: FastifyInstance): void;
  handlers: GossipHandlers;
  /** one push-pull round now (tests, and after a local write to spread it sooner) */
  round(): Promise<void>;
  /** a local write happened: run a round very soon (coalesced) instead of waiting for the interval */
  nudge(): void;
  /** one anti-entropy round: pages of a pass with one peer, back to back, until the pass is done (bounded) */
  antiEntropy(): Promise<void>;
  /** one tombstone-collection pass now; returns how many were collected */
  collectTombstones(): number;
  stats(): GossipStats;
  /** per peer, the last digest it told us (peer lag; tombstone collection needs every peer's) */
  peerDigests(): PeerDigestInfo[];
  /** conflicts resolved since start, and the last RECENT_CONFLICTS_MAX of them (no keys: the status page shows them) */
  conflicts(): { total: number; recent: ConflictNote[] };
}

/** One `Resolved conflict`, without the record's key (which names a user and a file). */
export interface ConflictNote {
  atMs: number;
  /** the peer whose version met ours */
  peer: string;
  /** the record's type: inode, link, user */
  kind: string;
}

/** Conflicts remembered for conflicts().recent. */
export const RECENT_CONFLICTS_MAX = 20;

/** Tombstones examined per collection pass. */
export const TOMBSTONE_BATCH = 10_000;

/** How often tombstones are looked at: half the TTL, within [1 s, 10 min]. */
export function tombstoneCheckIntervalMs(ttlMs: number): number {
  return Math.min(600_000, Math.max(1000, Math.floor(ttlMs / 2)));
}

/** A push-only round trusts a peer's digest learned at most this many gossip intervals ago. */
export const PUSH_VIEW_MAX_AGE_INTERVALS = 10;
/** `Sent N updates to <peer>` is logged at most this often per peer (the counts add up in between) */
export const SENT_LOG_EVERY_MS = 5000;

/** Delay of a nudged round: writes arriving together share one round. */
export const NUDGE_DELAY_MS = 5;

export function createGossipService(d: GossipDeps): GossipService {
  const log = d.logger.child({ component: 'gossip' });
  const self = d.membership.self;
  const stats = { bytesSent: 0, bytesReceived: 0, rounds: 0, updatesSent: 0, updatesReceived: 0 };
  // `Sent N updates to <peer>` at the default level, at most once per peer every SENT_LOG_EVERY_MS
  const sentLog = logEvery(SENT_LOG_EVERY_MS);
  function noteSent(peer: string, count: number): void {
    stats.updatesSent += count;
    const line = count > 0 ? sentLog.note(peer, d.now(), count) : null;
    if (line) log.info({ peer, count: line.total, batches: line.events }, `Sent ${line.total} updates to ${peer}`);
  }
  const shutdown = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  /** peers with an exchange in flight → the follow-up asked for meanwhile (undefined: none) */
  const inflight = new Map<string, 'full' | 'push' | undefined>();
  let nudgeTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** url → the peers hash that peer last reported (send our list only while the views differ) */
  const peerViewHash = new Map<string, string>();
  const digests = new Map<string, PeerDigestInfo>();
  const myPeersHash = (): string => peersHash(d.membership.urls());
  const aeLimits: AeLimits = d.options.antiEntropyPage ?? { maxRecords: AE_PAGE_MAX_RECORDS, maxBytes: AE_PAGE_MAX_BYTES };
  /** per peer URL, an anti-entropy pass that stopped early (a failed page, or the page bound): resumed next time */
  const aePasses = new Map<string, { buckets: number[]; after: AeCursor }>();
  let aeRunning = false;
  let conflictTotal = 0;
  const recentConflicts: ConflictNote[] = [];
  function noteDigest(from: PeerRef, digest: Digest): void {
    const own = digest[self.id];
    // a restored controller never reuses a write number; a peer cannot push it past MAX_SEQ
    if (typeof own === 'number' && Number.isSafeInteger(own) && own <= MAX_SEQ) d.store.noteOwnSeq(own);
    const mine = d.store.digest();
    digests.set(from.id, {
      url: from.url, id: from.id, digest, atMs: d.now(), lagUpdates: missingCount(digest, mine), behindUpdates: missingCount(mine, digest),
    });
  }

  const httpTransport: GossipTransport = (url, path, body, signal) => requestJson(`${url}${path}`, {
    method: 'POST',
    body,
    timeoutMs: d.options.requestTimeoutMs,
    signal,
    sign: clusterSigner(d.signer, 'controller', self.id, d.now),
  });
  const transport = d.transport ?? httpTransport;
  const challenge: Challenge = d.challenge
    ?? (d.transport ? (url, nonce, signal) => d.transport!(url, '/internal/whoami', { nonce }, signal) : httpChallenge(d.options.requestTimeoutMs));

  async function call<T>(url: string, path: string, body: unknown): Promise<T> {
    stats.bytesSent += JSON.stringify(body).length;
    const res = await transport<T>(url, path, body, shutdown.signal);
    stats.bytesReceived += JSON.stringify(res ?? null).length;
    return res;
  }

  /** Keeps what passes src/meta/validate.ts; a refused record is logged and never merged or forwarded. */
  function valid<T>(items: readonly T[], peer: string, check: (x: T) => void): T[] {
    const out: T[] = [];
    let refused = 0;
    let first: string | undefined;
    for (const x of items) {
      try {
        check(x);
        out.push(x);
      } catch (err) {
        refused += 1;
        first ??= (err as Error).message;
      }
    }
    if (refused > 0) log.warn({ peer, refused, first }, 'Refused malformed records from a peer');
    return out;
  }
  const checkUpdate = (u: Update): void => validateUpdate(u, d.now());
  const checkRecord = (r: MetaRecord): void => assertNotFuture(validateRecord(r), d.now());

  function applyUpdates(incoming: Update[], peer: string): number {
    let changed = 0;
    const updates = valid(incoming, peer, checkUpdate);
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
    conflictTotal += 1;
    recentConflicts.push({ atMs: d.now(), peer, kind: res.after.type });
    if (recentConflicts.length > RECENT_CONFLICTS_MAX) recentConflicts.shift();
    log.info({ key: res.after.key.replace(/\0/g, ':'), peer, winner: summary(res.after), local: res.before && summary(res.before) },
      'Resolved conflict');
  }

  function updatesFor(digest: Digest): { batch: Update[]; more: boolean } {
    // bounded by bytes already when read: 2,000 updates of inline 64 KiB files would be 175 MB
    const updates = d.store.updatesSince(digest, MAX_GOSSIP_UPDATES, MAX_GOSSIP_BYTES);
    const trimmed = takeWithinBudget(updates, MAX_GOSSIP_BYTES);
    // a lone update over the budget travels alone, and the store may have stopped after it
    const lone = trimmed.batch.length === 1 && JSON.stringify(trimmed.batch[0]!.record).length + 64 > MAX_GOSSIP_BYTES;
    return { batch: trimmed.batch, more: trimmed.more || lone || updates.length >= MAX_GOSSIP_UPDATES };
  }

  async function exchange(url: string): Promise<void> {
    try {
      const hash = myPeersHash();
      const pull: GossipPull = { from: self, digest: d.store.digest(), peersHash: hash };
      if (peerViewHash.get(url) !== hash) pull.peers = d.membership.urls();
      const res = await call<GossipPullResponse>(url, '/internal/gossip', pull);
      d.membership.seen(url, res.from.id);
      if (res.peers) d.membership.add(res.peers, 'gossip');
      // an old peer sends no hash: keep sending it our list
      if (res.peersHash) peerViewHash.set(url, res.peersHash);
      else peerViewHash.delete(url);
      if (res.updates.length > 0) applyUpdates(res.updates, res.from.id);
      // a peer with more to send is asked again at once while its pages move our digest on: a
      // controller catching up goes at the speed it applies, not one page per gossip interval
      if (res.more && inflight.has(url) && lacksAnything(pull.digest, d.store.digest())) inflight.set(url, 'full');
      noteDigest(res.from, res.digest);
      if (lacksAnything(res.digest, d.store.digest())) {
        const { batch } = updatesFor(res.digest);
        if (batch.length > 0) {
          await call<unknown>(url, '/internal/gossip/push', { from: self, updates: batch } satisfies GossipPush);
          noteSent(res.from.id, batch.length);
        }
      }
    } catch (err) {
      d.membership.failed(url);
      log.debug({ peer: url, err: (err as Error).message }, 'Gossip round with peer failed');
    }
  }

  /**
   * After a local write: push this node's new writes straight to a peer whose digest we know (one
   * message instead of pull, answer and push); they count as delivered once it acknowledged them.
   * Peers we know nothing of get a full exchange. The timer's rounds still pull from everyone.
   */
  async function pushTo(url: string): Promise<void> {
    const known = [...digests.values()].find((p) => p.url === url);
    // unknown or stale view of the peer: a full exchange (pull first) costs little more
    if (!known || d.now() - known.atMs > PUSH_VIEW_MAX_AGE_INTERVALS * d.options.gossipIntervalMs) return exchange(url);
    try {
      // only this node's own writes: the others' reach the peer from them (our view of it lags)
      const onlyMine: Digest = {};
      for (const origin of Object.keys(d.store.digest())) onlyMine[origin] = Number.MAX_SAFE_INTEGER;
      onlyMine[self.id] = known.digest[self.id] ?? 0;
      const { batch } = updatesFor(onlyMine);
      if (batch.length === 0) return;
      await call<unknown>(url, '/internal/gossip/push', { from: self, updates: batch } satisfies GossipPush);
      noteSent(known.id, batch.length);
      const next = { ...known.digest };
      for (const u of batch) next[u.origin] = Math.max(next[u.origin] ?? 0, u.seq);
      digests.set(known.id, { ...known, digest: next, atMs: d.now(), lagUpdates: missingCount(next, d.store.digest()) });
    } catch (err) {
      digests.delete(known.id);
      d.membership.failed(url);
      log.debug({ peer: url, err: (err as Error).message }, 'Gossip push to peer failed');
    }
  }

  /**
   * Talks to one peer. Exchanges are per peer, so a peer that hangs (blackholed, until the request
   * timeout) never holds up the others; asked again while busy, the peer gets one follow-up right
   * after (a full one if any asked for it): a nudge is never lost and never stacks.
   */
  async function contact(url: string, kind: 'full' | 'push'): Promise<void> {
    if (inflight.has(url)) {
      inflight.set(url, inflight.get(url) === 'full' || kind === 'full' ? 'full' : 'push');
      return;
    }
    let next: 'full' | 'push' | undefined = kind;
    try {
      while (next && !stopped) {
        inflight.set(url, undefined);
        await (next === 'push' ? pushTo(url) : exchange(url));
        next = inflight.get(url);
        if (next && !d.membership.contactable().some((p) => p.url === url)) break; // failing: wait for its backoff
      }
    } finally {
      inflight.delete(url);
    }
  }

  /** One round with `fanout` random contactable peers (`push`: after a local write, see pushTo). */
  async function round(kind: 'full' | 'push' = 'full'): Promise<void> {
    stats.rounds++;
    const targets = pickRandom(d.membership.contactable(), d.options.fanout, d.random);
    // URLs gossip mentioned are challenged alongside (peer-proof.ts); proven ones join the next round
    await Promise.all([...targets.map((p) => contact(p.url, kind)), proveCandidates({ membership: d.membership, signer: d.signer, challenge, logger: log }, shutdown.signal)]);
  }

  function nudge(): void {
    if (stopped || nudgeTimer) return;
    nudgeTimer = setTimeout(() => {
      nudgeTimer = undefined;
      void round('push').catch((err) => log.error({ err }, 'Gossip task failed'));
    }, NUDGE_DELAY_MS);
    nudgeTimer.unref();
  }

  /**
   * A page of this node's records in `buckets` after `after`, up to `through`, within `limits`,
   * leaving out those identical to what the peer just sent (`theirs`: key → fingerprint), so a
   * record is not echoed back to the node it came from.
   */
  function ownPage(buckets: number[], after: AeCursor | null, through: AeCursor | null, limits: AeLimits, theirs?: ReadonlyMap<string, string>) {
    const load = (b: number): MetaRecord[] => {
      const all = d.store.recordsInBuckets(new Set([b]));
      return theirs && theirs.size > 0 ? all.filter((r) => theirs.get(r.key) !== fingerprint(r)) : all;
    };
    return takePage(buckets, load, after, through, limits, (r) => JSON.stringify(r).length + 16);
  }

  /**
   * One anti-entropy round with a random live peer: resumes that peer's unfinished pass, or starts
   * one with bucket hashes, and runs its pages back to back (at most AE_MAX_PAGES_PER_ROUND). A
   * failed page only ends the round: the pass resumes from its cursor next time, and the peer is not
   * marked failed (gossip rounds judge liveness).
   */
  async function antiEntropy(): Promise<void> {
    if (aeRunning) return;
    const candidates = d.membership.alive().length > 0 ? d.membership.alive() : d.membership.contactable();
    const [peer] = pickRandom(candidates, 1, d.random);
    if (!peer) return;
    aeRunning = true;
    const totals = { pages: 0, received: 0, changed: 0, sent: 0 };
    let pass = aePasses.get(peer.url);
    let peerId = peer.id ?? peer.url;
    try {
      while (totals.pages < AE_MAX_PAGES_PER_ROUND && !stopped) {
        const req: AntiEntropyRequest = pass
          ? { from: self, buckets: pass.buckets, after: pass.after, ...aeLimits }
          : { from: self, hashes: d.store.bucketHashes(), ...aeLimits };
        const res = await call<AntiEntropyResponse>(peer.url, '/internal/anti-entropy', req);
        d.membership.seen(peer.url, res.from.id);
        peerId = res.from.id;
        totals.pages++;
        totals.received += res.records.length;
        totals.changed += mergeWhole(res.records, res.from.id);
        const peerStop = res.stoppedAt ?? null;
        const theirs = new Map(res.records.map((r) => [r.key, fingerprint(r)]));
        const mine = res.buckets.length > 0 ? ownPage(res.buckets, pass?.after ?? null, peerStop, aeLimits, theirs) : { records: [], stoppedAt: null };
        if (mine.records.length > 0) {
          await call<unknown>(peer.url, '/internal/anti-entropy/records', { from: self, records: mine.records });
          totals.sent += mine.records.length;
        }
        const next = nextCursor(peerStop, mine.stoppedAt);
        if (!next) {
          aePasses.delete(peer.url);
          pass = undefined;
          log.info({ peer: peerId, differingBuckets: res.buckets.length, ...totals }, 'Anti-entropy round complete');
          return;
        }
        pass = { buckets: res.buckets, after: next };
        aePasses.set(peer.url, pass);
        log.debug({ peer: peerId, page: totals.pages, received: res.records.length, sent: mine.records.length }, 'Anti-entropy page done');
      }
      log.info({ peer: peerId, ...totals }, 'Anti-entropy round paused; the pass goes on next round');
    } catch (err) {
      log.warn({ peer: peerId, ...totals, err: (err as Error).message }, 'Anti-entropy page failed; the pass resumes next round');
    } finally {
      aeRunning = false;
    }
  }

  function mergeWhole(incoming: MetaRecord[], peer: string): number {
    let changed = 0;
    const records = valid(incoming, peer, checkRecord);
    d.store.transaction(() => {
      for (const r of records) {
        const out = d.store.mergeRecord(r);
        if (out.changed) changed++;
        if (out.conflict) logConflict(out, peer);
      }
    });
    if (changed > 0) d.onChange?.();
    return changed;
  }

  /**
   * Forgets tombstones older than TOMBSTONE_TTL that every known peer has (tombstones.ts), and
   * only while this node holds everything the peers told us they had (no concurrent write of the
   * key can still arrive from them and bring the entry back).
   */
  function collectTombstones(): number {
    const ttlMs = d.options.tombstoneTtlMs;
    if (ttlMs === undefined || !d.store.tombstones || !d.store.collectTombstones) return 0;
    const peers: PeerDigestView[] = d.membership.all().map((p) => ({ id: p.id ?? p.url, digest: p.id ? digests.get(p.id)?.digest : undefined }));
    const mine = d.store.digest();
    if (peers.some((p) => p.digest !== undefined && missingCount(mine, p.digest) > 0)) return 0;
    const nowMs = d.now();
    const keys = collectableTombstones(d.store.tombstones(nowMs - ttlMs, TOMBSTONE_BATCH), peers, nowMs, ttlMs);
    const collected = keys.length > 0 ? d.store.collectTombstones(keys) : 0;
    if (collected > 0) log.info({ collected, peers: peers.length }, `Collected ${collected} tombstones`);
    return collected;
  }

  const handlers: GossipHandlers = {
    pull(body) {
      stats.bytesReceived += JSON.stringify(body).length;
      d.membership.add([body.from.url, ...(body.peers ?? [])], 'gossip');
      d.membership.seen(body.from.url, body.from.id);
      noteDigest(body.from, body.digest);
      const { batch, more } = updatesFor(body.digest);
      noteSent(body.from.id, batch.length);
      const hash = myPeersHash();
      const res: GossipPullResponse = { from: self, digest: d.store.digest(), peersHash: hash, updates: batch, more };
      if (body.peersHash !== hash) res.peers = d.membership.urls();
      stats.bytesSent += JSON.stringify(res).length;
      return res;
    },
    push(body) {
      stats.bytesReceived += JSON.stringify(body).length;
      applyUpdates(body.updates, body.from.id);
    },
    antiEntropy(body) {
      stats.bytesReceived += JSON.stringify(body).length;
      d.membership.add([body.from.url], 'anti-entropy');
      d.membership.seen(body.from.url, body.from.id);
      const buckets = body.buckets ?? (body.hashes ? differingBuckets(d.store.bucketHashes(), body.hashes) : []);
      const page = buckets.length > 0 ? ownPage(buckets, body.after ?? null, null, pageLimits(body, aeLimits)) : { records: [], stoppedAt: null };
      log.debug({ peer: body.from.id, differingBuckets: buckets.length, sent: page.records.length, more: page.stoppedAt !== null }, 'Anti-entropy page answered');
      const res: AntiEntropyResponse = { from: self, buckets, records: page.records, stoppedAt: page.stoppedAt };
      stats.bytesSent += JSON.stringify(res).length;
      return res;
    },
    records(body) {
      stats.bytesReceived += JSON.stringify(body).length;
      mergeWhole(body.records, body.from.id);
    },
    whoami: (nonce) => whoami(d.signer, d.membership, nonce),
  };

  function registerRoutes(app: FastifyInstance): void {
    registerWhoamiRoute(app, d.signer, d.membership);
    const guard = clusterAuth(d.signer, log, d.now);
    const peerRef = { type: 'object', required: ['id', 'url'], properties: { id: { type: 'string', maxLength: 128 }, url: { type: 'string', maxLength: 512 } } };
    const digest = { type: 'object', maxProperties: 1024, additionalProperties: { type: 'integer', minimum: 0, maximum: MAX_SEQ } };
    const urls = { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 512 } };
    const updates = { type: 'array', maxItems: MAX_GOSSIP_UPDATES, items: { type: 'object', required: ['origin', 'seq', 'record'] } };
    const records = { type: 'array', maxItems: 100_000, items: { type: 'object', required: ['key', 'type', 'vv', 'hlc'] } };
    const body = (required: string[], properties: Record<string, unknown>) => ({ body: { type: 'object', required, properties } });

    app.post<{ Body: GossipPull }>('/internal/gossip', {
      ...guard, schema: body(['from', 'digest'], { from: peerRef, digest, peers: urls, peersHash: { type: 'string', maxLength: 64 } }),
    },
      async (req) => handlers.pull(req.body));
    app.post<{ Body: GossipPush }>('/internal/gossip/push', { ...guard, schema: body(['from', 'updates'], { from: peerRef, updates }) },
      async (req, reply) => {
        handlers.push(req.body);
        return reply.code(204).send();
      });
    const cursor = { type: 'object', required: ['bucket', 'key'], properties: { bucket: { type: 'integer', minimum: 0, maximum: 255 }, key: { type: 'string', maxLength: 4096 } } };
    app.post<{ Body: AntiEntropyRequest }>('/internal/anti-entropy', {
      ...guard,
      schema: body(['from'], {
        from: peerRef, hashes: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 64 } },
        buckets: { type: 'array', maxItems: 256, items: { type: 'integer', minimum: 0, maximum: 255 } }, after: cursor,
        maxRecords: { type: 'integer', minimum: 1 }, maxBytes: { type: 'integer', minimum: 1 },
      }),
    }, async (req) => handlers.antiEntropy(req.body));
    app.post<{ Body: { from: PeerRef; records: MetaRecord[] } }>('/internal/anti-entropy/records', {
      ...guard, schema: body(['from', 'records'], { from: peerRef, records }),
    }, async (req, reply) => {
      handlers.records(req.body);
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
      every(d.options.gossipIntervalMs, () => round('full'));
      every(d.options.antiEntropyIntervalMs, antiEntropy);
      every(30_000, () => d.membership.refreshDns());
      const ttlMs = d.options.tombstoneTtlMs;
      if (ttlMs !== undefined) every(tombstoneCheckIntervalMs(ttlMs), async () => void collectTombstones());
      log.info({ peers: d.membership.urls().length - 1, intervalMs: d.options.gossipIntervalMs, fanout: d.options.fanout }, 'Gossip service started');
    },
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      if (nudgeTimer) clearTimeout(nudgeTimer);
      shutdown.abort();
    },
    registerRoutes,
    handlers,
    round,
    nudge,
    antiEntropy,
    collectTombstones,
    stats: () => ({ ...stats }),
    peerDigests: () => [...digests.values()].map((p) => ({ ...p, digest: { ...p.digest } })),
    conflicts: () => ({ total: conflictTotal, recent: recentConflicts.map((c) => ({ ...c })) }),
  };
}

function summary(r: MetaRecord): Record<string, unknown> {
  const base = { hlc: `${r.hlc.wallMs}.${r.hlc.logical}@${r.hlc.node}` };
  if (r.type === 'user') return { ...base, user: r.name };
  if (r.type === 'dead') return { ...base, dead: true };
  if (r.type === 'link') {
    const last = r.moves[r.moves.length - 1];
    return { ...base, ino: r.ino, parent: last?.parent ?? null, name: last?.name };
  }
  return { ...base, kind: r.kind, size: r.content.v.size, chunks: r.content.v.chunks.map((c) => c.id.slice(0, 12)) };
}
