/**
 * The controller's HTTP routes (src/common/api.ts): accounts, the namespace and data-path plans
 * for the token's user, cluster status, and the cluster-authenticated internal routes.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type {
  ChunkLocation, ChunkserverStatus, ClusterStatus, GarbageStatus, CommitRequest, CreateOwner, HeartbeatRequest, HeartbeatResponse, LoginResponse, MknodRequest, PlacementRequest,
  PlacementResponse, ReadPlan, SetAttrRequest, SetXattrRequest, StatfsInfo,
} from '../common/api.js';
import type { ReplicationFactor } from '../common/config.js';
import { RedCloudError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { clusterAuth } from '../common/http-server.js';
import { requestJson } from '../common/http-client.js';
import { clusterSigner } from '../common/cluster-auth.js';
import { issueCapability, type Signer, verifyCapability } from '../common/tokens.js';
import { PLACEMENT_WAIT_HEADER, type ControllerStatus, type ReadPlanChunk } from '../common/api.js';
import { bearerAuth, sessionOf, userOf } from './auth.js';
import type { Namespace } from './namespace.js';
import { quotaStatfs, type Quotas } from './quota.js';
import { planLocations } from './holders.js';
import { chooseTargets, wantedReplicas } from './placement.js';
import { issueForwardList } from '../common/forward-list.js';
import { clusterSpace, serverUsedBytes } from './space.js';
import { probeChunk } from './probe-chunks.js';
import type { Registry } from './registry.js';
import { schemas } from './schemas.js';
import type { MetadataStore } from './metadata-store.js';
import { createReportThrottle, type ReportThrottle } from './report-throttle.js';
import { createLoginThrottle, createRateLimit, type LoginThrottle } from './throttle.js';
import { canonicalUserName, type Users } from './users.js';
import { registerTrashRoutes } from './trash-routes.js';

export interface RouteDeps {
  logger: Logger;
  signer: Signer;
  now: () => number;
  store: MetadataStore;
  namespace: Namespace;
  users: Users;
  registry: Registry;
  nodeId: string;
  /** timeout of calls this controller makes to chunkservers (REQUEST_TIMEOUT) */
  requestTimeoutMs?: number;
  selfUrl: () => string;
  /** every controller URL known, itself first */
  controllers: () => string[];
  /** other controllers' status (gossip adds these) */
  peers?: () => ControllerStatus[];
  replicationFactor: ReplicationFactor;
  writeQuorum: number;
  /** PLACEMENT_WAIT: how long a placement short of WRITE_QUORUM chunkservers waits for more (default 0) */
  placementWaitMs?: number;
  capabilityTtlMs: number;
  /** REPLICA_PIPELINE: placements carry a signed forward list (default off) */
  replicaPipeline?: boolean;
  chunkSizeBytes: number;
  /** client bad-replica reports (default: createReportThrottle(now) with the default limits) */
  reportThrottle?: ReportThrottle;
  /** PLACEMENT_CHUNKS_MAX (default 1024) */
  placementChunksMax?: number;
  /** per-user quotas and usage (quota.ts); without them statfs shows no limits */
  quotas?: Pick<Quotas, 'limits' | 'usage' | 'copies'>;
  /** failed-login throttling (default: createLoginThrottle(now) with the default limits) */
  loginThrottle?: LoginThrottle;
  /** whether register is open now (register-gate.ts), shown by /v1/status */
  registrationGate?: () => { ok: true } | { ok: false; reason: string };
  /** start-up warnings shown by /v1/status (e.g. the development CLUSTER_SECRET) */
  warnings?: readonly string[];
  /** registrations per remote address (default: 20 per 10 minutes) */
  registerLimit?: { take(address: string): void };
  /** the repair service's garbage schedule (GC_GRACE, next collection), shown by /v1/status */
  gcSchedule?: (garbageChunks: number) => { graceMs: number; nextCollectionMs?: number; postponed?: string };
  /** TRASH_TTL (ms), shown with the trash */
  trashTtlMs?: number;
}

/** PLACEMENT_CHUNKS_MAX's default, and how many chunks are placed between yields to the event loop. */
const PLACEMENT_CHUNKS_MAX_DEFAULT = 1024;
const PLACEMENT_SLICE = 128;

type Q<T> = { Querystring: T };
type B<T> = { Body: T };

export function registerRoutes(app: FastifyInstance, d: RouteDeps): void {
  registerAccountRoutes(app, d);
  registerFsRoutes(app, d);
  registerDataRoutes(app, d);
  registerInternalRoutes(app, d);
  registerTrashRoutes(app, d);
}

function registerAccountRoutes(app: FastifyInstance, d: RouteDeps): void {
  const auth = bearerAuth(d.signer, d.now, d.users);
  const registrations = d.registerLimit ?? createRateLimit(d.now, 20, 10 * 60_000);
  app.post<B<{ user: string; password: string }>>('/v1/register', { schema: { body: schemas.credentials } }, async (req, reply) => {
    registrations.take(req.ip);
    const user = await d.users.register(req.body.user, req.body.password);
    d.namespace.ensureRoot(user);
    d.logger.info({ user }, 'Registered user');
    return reply.code(201).send({ user });
  });
  const throttle = d.loginThrottle ?? createLoginThrottle(d.now);
  /** Runs a password check under the login throttle (counted before it runs; see throttle.ts). */
  async function throttled<T>(rawUser: string, address: string, reply: FastifyReply, check: () => Promise<T>): Promise<T> {
    let user = '(invalid)';
    try {
      user = canonicalUserName(rawUser);
    } catch { /* counted under the address only (login-sync sends no invalid names) */ }
    let admission;
    try {
      admission = throttle.begin({ user, address });
    } catch (err) {
      const info = err instanceof RedCloudError ? err.info : undefined;
      void reply.header('retry-after', String(Math.max(1, Math.ceil(Number(info?.retryAfterMs ?? 1000) / 1000))));
      logLocks((err as { lockedKeys?: unknown }).lockedKeys, address);
      throw err;
    }
    logLocks(admission.locked, address);
    try {
      const out = await check();
      admission.done(true);
      return out;
    } catch (err) {
      admission.done(false);
      if (!(err instanceof RedCloudError && err.code === 'UNAUTHORIZED')) throw err;
      d.logger.info({ user, remote: address }, 'Failed login');
      // the attempt that locked the user (or address) says so: the next one, even with the right password, is refused until then
      const retryAfterMs = throttle.lockedForMs({ user, address });
      if (retryAfterMs <= 0) throw err;
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      void reply.header('retry-after', String(seconds));
      throw new RedCloudError('UNAUTHORIZED', `${err.message}; too many failed logins: try again in ${seconds} s`, { ...err.info, retryAfterMs });
    }
  }
  /** One line per lock (when it starts), never per refused attempt. */
  function logLocks(locked: unknown, address: string): void {
    if (!Array.isArray(locked)) return;
    for (const key of locked as string[]) {
      d.logger.warn({ [key.startsWith('u:') ? 'user' : 'remote']: key.slice(2), remote: address }, 'Login locked after repeated attempts');
    }
  }
  app.post<B<{ user: string; password: string }>>('/v1/login', { schema: { body: schemas.credentials } }, async (req, reply): Promise<LoginResponse> => {
    const session = await throttled(req.body.user, req.ip, reply, () => d.users.login(req.body.user, req.body.password));
    return { ...session, controllers: d.controllers() };
  });
  app.post('/v1/logout', { onRequest: auth, schema: { querystring: schemas.emptyQuery } }, async (req, reply) => {
    d.users.logout(sessionOf(req));
    d.logger.info({ user: userOf(req) }, 'Logged out (sessions revoked)');
    return reply.code(204).send();
  });
  app.post<B<{ user: string; password: string }>>('/v1/account/delete', { schema: { body: schemas.credentials } }, async (req, reply) => {
    await throttled(req.body.user, req.ip, reply, () => d.users.deleteAccount(req.body.user, req.body.password));
    d.logger.info({ user: canonicalUserName(req.body.user) }, 'Deleted account');
    return reply.code(204).send();
  });
  const noQuery = { querystring: schemas.emptyQuery };
  app.get('/v1/whoami', { onRequest: auth, schema: noQuery }, async (req) => ({ user: userOf(req), controllers: d.controllers() }));
  const garbageStatus = garbageReporter(d);
  app.get('/v1/status', { onRequest: auth, schema: noQuery }, async (req): Promise<ClusterStatus> =>
    ({ ...clusterStatus(d, garbageStatus), trash: { ...d.namespace.trash.usage(userOf(req)), ttlMs: d.trashTtlMs ?? 0 } }));
}

/** What GET /v1/status answers (the status page's view starts from it too: status-page.ts); garbage when `garbage` is given. */
export function clusterStatus(d: RouteDeps, garbage?: (servers: readonly ChunkserverStatus[]) => GarbageStatus): ClusterStatus {
  const chunkservers = d.registry.list();
  const live = d.registry.healthyIds();
  const self: ControllerStatus = { id: d.nodeId, url: d.selfUrl(), alive: true, lastSeenMs: d.now(), lag: 0 };
  return {
    controller: d.nodeId,
    controllers: [self, ...(d.peers?.() ?? [])],
    chunkservers,
    chunks: {
      total: d.store.referencedChunkCount(),
      underReplicated: d.store.underReplicatedCount(Math.max(1, wantedReplicas(d.replicationFactor, live.length)), live),
      replicationFactor: d.replicationFactor,
    },
    ...(d.registrationGate ? { registration: registrationView(d.registrationGate()) } : {}),
    ...(d.warnings && d.warnings.length > 0 ? { warnings: [...d.warnings] } : {}),
    space: clusterSpace(chunkservers, d.replicationFactor),
    ...(garbage ? { garbage: garbage(chunkservers) } : {}),
  };
}

const registrationView = (g: { ok: true } | { ok: false; reason: string }): { open: boolean; reason?: string } =>
  (g.ok ? { open: true } : { open: false, reason: g.reason });

function registerFsRoutes(app: FastifyInstance, d: RouteDeps): void {
  const ns = d.namespace;
  const opts = (schema: Record<string, unknown>) => ({ onRequest: bearerAuth(d.signer, d.now, d.users), schema });
  app.get<Q<{ path: string }>>('/v1/fs/stat', opts({ querystring: schemas.pathQuery }), async (req) => ns.stat(userOf(req), req.query.path));
  app.get<Q<{ path: string }>>('/v1/fs/list', opts({ querystring: schemas.pathQuery }), async (req) => ({ entries: ns.list(userOf(req), req.query.path) }));
  app.get<Q<{ tag: string[]; path?: string }>>('/v1/fs/find', opts({ querystring: schemas.findQuery }), async (req) =>
    ({ entries: ns.find(userOf(req), req.query.tag, req.query.path) }));
  app.get('/v1/fs/tags', opts({ querystring: schemas.emptyQuery }), async (req) => ({ tags: ns.tagCounts(userOf(req)) }));
  app.post<B<CommitRequest>>('/v1/fs/commit', opts({ body: schemas.commit }), async (req) => {
    const info = ns.commit(userOf(req), req.body);
    d.logger.debug({ user: userOf(req), path: info.path, size: info.size, chunks: info.chunkCount }, 'Committed file');
    return info;
  });
  app.post<B<CreateOwner & { path: string; mode?: number; parents?: boolean }>>('/v1/fs/mkdir', opts({ body: schemas.mkdir }), async (req) =>
    ns.mkdir(userOf(req), req.body.path, req.body));
  app.post<B<CreateOwner & { path: string; target: string }>>('/v1/fs/symlink', opts({ body: schemas.symlink }), async (req) =>
    ns.symlink(userOf(req), req.body.path, req.body.target, req.body));
  app.post<B<MknodRequest>>('/v1/fs/mknod', opts({ body: schemas.mknod }), async (req) => ns.mknod(userOf(req), req.body));
  app.post<B<{ from: string; to: string }>>('/v1/fs/link', opts({ body: schemas.link }), async (req) => ns.link(userOf(req), req.body.from, req.body.to));
  app.get<Q<{ path: string; name: string }>>('/v1/fs/xattr', opts({ querystring: schemas.xattrQuery }), async (req) =>
    ({ value: ns.getXattr(userOf(req), req.query.path, req.query.name) }));
  app.get<Q<{ path: string }>>('/v1/fs/xattrs', opts({ querystring: schemas.pathQuery }), async (req) => ({ names: ns.listXattrs(userOf(req), req.query.path) }));
  app.post<B<SetXattrRequest>>('/v1/fs/xattr', opts({ body: schemas.setXattr }), async (req, reply) => {
    ns.setXattr(userOf(req), req.body);
    return reply.code(204).send();
  });
  app.post<B<{ path: string; name: string }>>('/v1/fs/xattr/remove', opts({ body: schemas.removeXattr }), async (req, reply) => {
    ns.removeXattr(userOf(req), req.body.path, req.body.name);
    return reply.code(204).send();
  });
  app.get('/v1/fs/statfs', opts({ querystring: schemas.emptyQuery }), async (req): Promise<StatfsInfo> => {
    const user = userOf(req);
    if (!d.quotas) return { ...usableCapacity(d), files: ns.fileCount(user) };
    // O(1): the store's kept counters (usage-counters.ts); the quota as the size when set (quota.ts)
    return quotaStatfs(usableCapacity(d), d.quotas.usage(user), d.quotas.limits(user), d.quotas.copies());
  });
  app.post<B<{ path: string; recursive?: boolean }>>('/v1/fs/remove', opts({ body: schemas.remove }), async (req) => {
    const owner = userOf(req);
    // the directory after the change (its new mtime/ctime), so a mount need not stat it again
    return ns.removeEntry(owner, req.body.path, { recursive: req.body.recursive });
  });
  app.post<B<{ paths: string[] }>>('/v1/fs/remove-many', opts({ body: schemas.removeMany }), async (req) =>
    ({ results: ns.removeMany(userOf(req), req.body.paths) }));
  app.post<B<{ from: string; to: string }>>('/v1/fs/rename', opts({ body: schemas.rename }), async (req) =>
    ns.rename(userOf(req), req.body.from, req.body.to));
  app.post<B<SetAttrRequest>>('/v1/fs/setattr', opts({ body: schemas.setattr }), async (req) => ns.setattr(userOf(req), req.body));
  app.post<B<{ path: string; add?: string[]; remove?: string[] }>>('/v1/fs/tags', opts({ body: schemas.tags }), async (req) =>
    ns.tags(userOf(req), req.body.path, req.body.add, req.body.remove));
}

/** statfs's bytes: what the cluster can still store at its replication factor, distinct disks counted once (space.ts). */
export function usableCapacity(d: Pick<RouteDeps, 'registry' | 'replicationFactor'>): { availBytes: number; totalBytes: number } {
  const space = clusterSpace(d.registry.list(), d.replicationFactor);
  return { availBytes: space.availBytes, totalBytes: space.totalBytes };
}

/** How long /v1/status reuses its count of garbage (a scan of every chunk location; a status page may poll). */
const GARBAGE_COUNT_TTL_MS = 5000;

/** Unreferenced chunks still stored, their estimated bytes, and when this controller collects next (the count reused for GARBAGE_COUNT_TTL_MS). */
function garbageReporter(d: RouteDeps): (servers: readonly ChunkserverStatus[]) => GarbageStatus {
  let counted: { atMs: number; chunks: number; replicas: number } | undefined;
  return (servers) => {
    const nowMs = d.now();
    if (!counted || nowMs - counted.atMs >= GARBAGE_COUNT_TTL_MS || nowMs < counted.atMs) {
      const unref = d.store.unreferencedChunkLocations();
      counted = { atMs: nowMs, chunks: unref.length, replicas: unref.reduce((n, c) => n + c.locations.length, 0) };
    }
    const { chunks, replicas } = counted;
    const allReplicas = servers.reduce((n, s) => n + s.chunkCount, 0);
    const allBytes = servers.reduce((n, s) => n + serverUsedBytes(s), 0);
    const bytesEstimate = allReplicas > 0 ? Math.round((allBytes * Math.min(replicas, allReplicas)) / allReplicas) : 0;
    return { chunks, replicas, bytesEstimate, ...(d.gcSchedule?.(chunks) ?? { graceMs: 0 }) };
  };
}

/** The read plan of a file (a path's, or a trashed entry's): its chunks with their locations and read capabilities. */
export async function readPlanOf(d: RouteDeps, file: ReturnType<RouteDeps['namespace']['file']>, signal: AbortSignal): Promise<ReadPlan> {
  const nowMs = d.now();
  const server = (id: string) => d.registry.get(id);
  let offset = 0;
  // confirmed by heartbeats, then the holders the commit's receipts named (unconfirmed), and
  // when neither names a healthy server, whichever healthy chunkserver has it (findChunks)
  const inline = file.inlineChunks;
  const chunks = file.chunks.map((ch): ReadPlanChunk => {
    // an inline chunk's bytes are in the record: no location, no capability, no probe
    const out: ReadPlanChunk = inline && Object.hasOwn(inline, ch.id) ? { id: ch.id, size: ch.size, offset, locations: [], cap: '', inline: inline[ch.id]! } : {
      id: ch.id, size: ch.size, offset, locations: planLocations(d.registry.locationsOf(ch.id), file.holders?.[ch.id], server),
      cap: issueCapability(d.signer, ch.id, 'r', nowMs, d.capabilityTtlMs),
    };
    offset += ch.size;
    return out;
  });
  const lost = chunks.filter((ch) => ch.inline === undefined && !ch.locations.some((l) => server(l.id)?.healthy)).slice(0, PROBE_CHUNKS_MAX);
  if (lost.length > 0) await findChunks(d, lost, signal);
  return { entry: file.info, chunks, ...(file.inline !== undefined ? { inline: file.inline } : {}), ...(file.extents ? { extents: file.extents } : {}) };
}

function registerDataRoutes(app: FastifyInstance, d: RouteDeps): void {
  const auth = bearerAuth(d.signer, d.now, d.users);
  app.get<Q<{ path: string }>>('/v1/fs/read', { onRequest: auth, schema: { querystring: schemas.pathQuery } }, async (req, reply): Promise<ReadPlan> =>
    readPlanOf(d, d.namespace.file(userOf(req), req.query.path), closedSignal(reply.raw)));
  app.post<B<PlacementRequest>>('/v1/fs/placement', { onRequest: auth, schema: { body: schemas.placement } }, async (req, reply): Promise<PlacementResponse> => {
    const max = d.placementChunksMax ?? PLACEMENT_CHUNKS_MAX_DEFAULT;
    if (req.body.chunks.length > max) {
      throw new RedCloudError('TOO_LARGE', `At most ${max} chunks per placement request (PLACEMENT_CHUNKS_MAX); ask in batches`, { limit: max, chunks: req.body.chunks.length });
    }
    const user = userOf(req);
    // Fewer than WRITE_QUORUM chunkservers (a controller that just started, a cluster coming up):
    // wait for the next heartbeat or peer view, bounded by PLACEMENT_WAIT and the client's waitMs.
    const asked = Number(req.headers[PLACEMENT_WAIT_HEADER]);
    const waitMs = Math.min(d.placementWaitMs ?? 0, Number.isFinite(asked) && asked >= 0 ? asked : Number.POSITIVE_INFINITY);
    const startMs = performance.now(); // real time: the wait is real even under a test's clock
    const waited = (): number => Math.round(performance.now() - startMs);
    const gone = closedSignal(reply.raw);
    let plan = await placeChunks(d, user, req.body.chunks);
    while (typeof plan === 'string') {
      const leftMs = waitMs - waited();
      if (leftMs <= 0 || gone.aborted || !(await d.registry.changed(leftMs, gone))) {
        if (waitMs > 0) d.logger.warn({ waitedMs: waited(), user }, `Placement waited for chunkservers in vain: ${plan}`);
        throw new RedCloudError('UNAVAILABLE', plan);
      }
      plan = await placeChunks(d, user, req.body.chunks);
      if (typeof plan !== 'string') d.logger.info({ waitedMs: waited(), user }, 'Placement waited for chunkservers');
    }
    return { chunks: plan, writeQuorum: d.writeQuorum, chunkSizeBytes: d.chunkSizeBytes };
  });
  const reportThrottle = d.reportThrottle ?? createReportThrottle(d.now);
  // A client that met a replica whose bytes do not hash to the chunk id reports it. Its read
  // capability proves it may read the chunk; the controller does not take its word but asks the
  // chunkserver to re-verify, which quarantines (deletes and reports) a bad copy; repair follows.
  // Throttled per caller and coalesced per replica (report-throttle.ts): each verify hashes a chunk.
  app.post<B<{ chunkId: string; serverId: string; cap: string }>>('/v1/fs/report-bad', { onRequest: auth, schema: { body: schemas.clientReportBad } },
    async (req, reply) => {
      const { chunkId, serverId, cap } = req.body;
      verifyCapability(d.signer, cap, chunkId, 'r', d.now());
      const server = d.registry.get(serverId);
      if (!server) throw new RedCloudError('NOT_FOUND', `No chunkserver ${serverId}`);
      let decision;
      try {
        decision = reportThrottle.admit(userOf(req), chunkId, serverId);
      } catch (err) {
        const retryAfterMs = err instanceof RedCloudError ? Number(err.info?.retryAfterMs ?? 1000) : 1000;
        void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
        throw err;
      }
      if (decision === 'coalesced') return reply.code(202).send({ accepted: true });
      d.logger.warn({ chunkId, server: serverId, user: userOf(req) }, 'Client reported a bad replica; asking the chunkserver to verify it');
      requestJson<{ ok: boolean }>(`${server.url}/internal/verify`, {
        method: 'POST', body: { chunkId }, timeoutMs: d.requestTimeoutMs ?? 10_000,
        sign: clusterSigner(d.signer, 'controller', d.nodeId, d.now),
      }).then(
        (res) => d.logger.info({ chunkId, server: serverId, ok: res.ok }, res.ok ? 'Reported replica verified intact' : 'Reported replica was corrupt'),
        (err: unknown) => d.logger.warn({ chunkId, server: serverId, err: (err as Error).message }, 'Could not have a reported replica verified'),
      );
      return reply.code(202).send({ accepted: true });
    });
}

/** Aborts when the response is finished or its connection closed (a client that gave up). */
export function closedSignal(res: NodeJS.EventEmitter): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => ac.abort());
  return ac.signal;
}

/** Targets of each chunk, or why some chunk has fewer than WRITE_QUORUM. */
async function placeChunks(d: RouteDeps, user: string, refs: PlacementRequest['chunks']): Promise<PlacementResponse['chunks'] | string> {
  const candidates = d.registry.list().map((s) => ({ id: s.id, healthy: s.healthy, full: s.full }));
  const nowMs = d.now();
  // A user may claim a chunk without sending its bytes (HEAD → receipt) only if their own files
  // already reference it; anyone else must PUT the bytes (verified against the id), so knowing
  // a chunk id never lets a user borrow another user's data.
  const mayDedup = (id: string): boolean => d.store.isChunkOwnedBy(id, user);
  const out: PlacementResponse['chunks'] = [];
  for (const [i, ch] of refs.entries()) {
    // other requests (and /health) get the event loop between slices of a large placement
    if (i > 0 && i % PLACEMENT_SLICE === 0) await new Promise((r) => setImmediate(r));
    const targets = chooseTargets(ch.id, candidates, d.replicationFactor);
    if (targets.length < d.writeQuorum) return `Only ${targets.length} chunkserver(s) can take chunk ${ch.id}; WRITE_QUORUM is ${d.writeQuorum}`;
    const dedup = mayDedup(ch.id);
    const holders = dedup ? new Set(d.store.locationsOf(ch.id)) : new Set<string>();
    out.push({
      id: ch.id, size: ch.size, cap: issueCapability(d.signer, ch.id, 'w', nowMs, d.capabilityTtlMs, { noDedup: !dedup }),
      targets: targets.map((id) => ({ id, url: d.registry.get(id)?.url ?? '' })).filter((t) => t.url !== ''),
      present: targets.filter((id) => holders.has(id)),
    });
    const placed = out[out.length - 1]!;
    if (d.replicaPipeline && placed.targets.length > 1 && placed.present!.length === 0) {
      placed.forward = issueForwardList(d.signer, ch.id, placed.targets, nowMs, d.capabilityTtlMs);
    }
  }
  return out;
}

/** Chunks of one read plan looked for on the healthy chunkservers (the rest keep what they have). */
const PROBE_CHUNKS_MAX = 256;
/** Chunks looked for at once (each asks every healthy chunkserver). */
const PROBE_CONCURRENCY = 8;

/**
 * Chunks no location places on a healthy server: HEAD them on the healthy chunkservers, put
 * where they were found first in their locations, and remember it (a confirmed location).
 */
async function findChunks(d: RouteDeps, chunks: { id: string; locations: ChunkLocation[] }[], signal: AbortSignal): Promise<void> {
  const healthy = d.registry.list().filter((s) => s.healthy).map((s) => ({ id: s.id, url: s.url }));
  if (healthy.length === 0) return;
  const probe = { signer: d.signer, nodeId: d.nodeId, now: d.now, timeoutMs: Math.min(d.requestTimeoutMs ?? 10_000, 2000) };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length && !signal.aborted) {
      const ch = chunks[next++]!;
      const found = await probeChunk(probe, ch.id, healthy, signal);
      for (const s of found) d.store.addLocations(s.id, [ch.id]);
      ch.locations = [...found, ...ch.locations.filter((l) => !found.some((f) => f.id === l.id))];
      d.logger.info({ chunkId: ch.id, found: found.map((s) => s.id), asked: healthy.length },
        found.length > 0 ? 'Found a chunk no location named' : 'No healthy chunkserver has the chunk');
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, chunks.length) }, worker));
}

function registerInternalRoutes(app: FastifyInstance, d: RouteDeps): void {
  const internal = clusterAuth(d.signer, d.logger, d.now);
  app.post<B<HeartbeatRequest>>('/internal/heartbeat', { ...internal, schema: { body: schemas.heartbeat } }, async (req): Promise<HeartbeatResponse> => {
    const { needInventory } = d.registry.heartbeat(req.body);
    return { controllers: d.controllers(), needInventory };
  });
  // the chunkservers this controller heard from lately (registry-view.ts): peers adopt fresher entries
  app.get('/internal/chunkservers', { ...internal, schema: { querystring: schemas.emptyQuery } }, async () => ({ servers: d.registry.view() }));
  app.post<B<{ chunkId: string; serverId: string; reason?: string }>>('/internal/report-bad', { ...internal, schema: { body: schemas.reportBad } },
    async (req, reply) => {
      d.logger.warn({ chunkId: req.body.chunkId, server: req.body.serverId, reason: req.body.reason }, 'Bad replica reported');
      d.registry.reportBad(req.body.chunkId, req.body.serverId);
      return reply.code(204).send();
    });
}

