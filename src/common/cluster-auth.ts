/**
 * Cluster auth: the header every internal call between daemons carries, and the proof a
 * controller gives of being at its URL (whoami). Pure apart from crypto; the clock is passed in.
 *
 * A header authenticates one request: its MAC covers the method, the path with its query, a
 * SHA-256 of the body, the caller's role and id, the time and a random nonce. The receiver refuses
 * it outside ±CLUSTER_AUTH_SKEW_MS, refuses a nonce it saw before within that window (ReplayCache,
 * bounded memory), and refuses a role the route table (CLUSTER_ROUTES) does not allow there.
 * Each role signs with its own key derived from CLUSTER_SECRET, so a chunkserver's credential
 * cannot call gossip or anti-entropy.
 * Format: "v2." base64url(JSON {r, n, t, x, b}) "." base64url(HMAC-SHA256(role key, method \n path \n payload)).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { RedCloudError } from './errors.js';
import type { Signer } from './tokens.js';

export const CLUSTER_AUTH_HEADER = 'x-redcloud-cluster';
/** A header is accepted this long before or after its time (clock skew between nodes). */
export const CLUSTER_AUTH_SKEW_MS = 2 * 60_000;
/** Nonces remembered at most (a full cache refuses new calls with 503 rather than forget one early). */
export const REPLAY_CACHE_MAX = 200_000;

export type ClusterRole = 'controller' | 'chunkserver';
export const CLUSTER_ROLES: readonly ClusterRole[] = ['controller', 'chunkserver'];

/**
 * Which role may call which internal route, by method and fastify route pattern. A route not
 * listed refuses every cluster credential. The one table: controllers' and chunkservers' routes.
 */
export const CLUSTER_ROUTES: Readonly<Record<string, readonly ClusterRole[]>> = {
  // on controllers
  'POST /internal/heartbeat': ['chunkserver'],
  'POST /internal/report-bad': ['chunkserver'],
  'POST /internal/gossip': ['controller'],
  'POST /internal/gossip/push': ['controller'],
  'POST /internal/anti-entropy': ['controller'],
  'POST /internal/anti-entropy/records': ['controller'],
  'GET /internal/chunkservers': ['controller'],
  'POST /internal/login-attempts': ['controller'],
  // on chunkservers
  'POST /internal/replicate': ['controller'],
  'GET /internal/inventory': ['controller'],
  'POST /internal/verify': ['controller'],
  'GET /chunks/:id': ['controller', 'chunkserver'],
  'HEAD /chunks/:id': ['controller', 'chunkserver'],
  'DELETE /chunks/:id': ['controller'],
};

export function roleMayCall(role: ClusterRole, method: string, route: string): boolean {
  return CLUSTER_ROUTES[`${method.toUpperCase()} ${route}`]?.includes(role) ?? false;
}

export interface ClusterClaims {
  /** role */
  r: ClusterRole;
  /** node id */
  n: string;
  /** time, ms since epoch */
  t: number;
  /** nonce, 16 random bytes base64url */
  x: string;
  /** body hash, base64url SHA-256 */
  b: string;
}

const NONCE_RE = /^[A-Za-z0-9_-]{22}$/;
const HASH_RE = /^[A-Za-z0-9_-]{43}$/;

/** base64url SHA-256 of a request body (undefined or empty: of nothing). */
export function bodyHash(body: Uint8Array | string | undefined): string {
  return createHash('sha256').update(body ?? '').digest('base64url');
}

export const EMPTY_BODY_HASH = bodyHash(undefined);

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

const keyCache = new WeakMap<Signer, Map<string, Buffer>>();

/** The key of `label` ('controller', 'chunkserver', 'whoami'), derived from the signer's CLUSTER_SECRET. */
function keyOf(signer: Signer, label: string): Buffer {
  let keys = keyCache.get(signer);
  if (!keys) keyCache.set(signer, (keys = new Map()));
  let k = keys.get(label);
  if (!k) keys.set(label, (k = signer.derive(`redcloud/cluster/${label}/v2`)));
  return k;
}

function macOf(key: Buffer, method: string, path: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${method.toUpperCase()}\n${path}\n${payload}`).digest();
}

export interface ClusterCall {
  method: string;
  /** path with query, as sent on the request line */
  path: string;
}

/** The header value for one call by `node` in `role` now. */
export function signClusterCall(signer: Signer, role: ClusterRole, node: string, call: ClusterCall & { body?: Uint8Array | string }, nowMs: number, nonce = newNonce()): string {
  const claims: ClusterClaims = { r: role, n: node, t: nowMs, x: nonce, b: bodyHash(call.body) };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `v2.${payload}.${macOf(keyOf(signer, role), call.method, call.path, payload).toString('base64url')}`;
}

const unauthorized = (why: string): RedCloudError => new RedCloudError('UNAUTHORIZED', `Internal call refused: ${why}`);

/**
 * Checks a header's MAC for this method and path, its shape and its time. Body and replay are
 * the caller's (checkBody, ReplayCache). Throws UNAUTHORIZED saying why.
 */
export function verifyClusterCall(signer: Signer, header: unknown, call: ClusterCall, nowMs: number): ClusterClaims {
  if (typeof header !== 'string' || header.length > 1024) throw unauthorized('no valid cluster signature (wrong CLUSTER_SECRET?)');
  const parts = header.split('.');
  if (parts.length !== 3 || parts[0] !== 'v2') throw unauthorized('no valid cluster signature (wrong CLUSTER_SECRET, or a node of an older version?)');
  const [, payload, mac] = parts as [string, string, string];
  let claims: ClusterClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ClusterClaims;
  } catch {
    throw unauthorized('no valid cluster signature');
  }
  if (typeof claims !== 'object' || claims === null || !CLUSTER_ROLES.includes(claims.r)) throw unauthorized('no valid cluster signature');
  const given = Buffer.from(mac, 'base64url');
  const expected = macOf(keyOf(signer, claims.r), call.method, call.path, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthorized('no valid cluster signature for this request (wrong CLUSTER_SECRET, or replayed to another route)');
  }
  if (typeof claims.n !== 'string' || typeof claims.x !== 'string' || !NONCE_RE.test(claims.x) || typeof claims.b !== 'string' || !HASH_RE.test(claims.b)) {
    throw unauthorized('malformed cluster signature');
  }
  if (typeof claims.t !== 'number' || !Number.isFinite(claims.t) || Math.abs(nowMs - claims.t) > CLUSTER_AUTH_SKEW_MS) {
    throw unauthorized('cluster signature is too old or from the future (check clocks)');
  }
  return claims;
}

/** The body that arrived must be the one signed. */
export function checkBody(claims: ClusterClaims, hash: string): void {
  if (claims.b.length !== hash.length || !timingSafeEqual(Buffer.from(claims.b), Buffer.from(hash))) {
    throw unauthorized('the body is not the one signed');
  }
}

/**
 * Nonces seen within the window. `admit` answers false for a nonce seen before; entries are
 * dropped once their header could no longer be accepted anyway. Bounded: when `max` live
 * entries are held, new calls are refused (UNAVAILABLE) instead of forgetting a live nonce.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly max = REPLAY_CACHE_MAX, private readonly skewMs = CLUSTER_AUTH_SKEW_MS) {}

  get size(): number {
    return this.seen.size;
  }

  /** Records `nonce` of a header stamped `tMs`; false if it was seen already. */
  admit(nonce: string, tMs: number, nowMs: number): boolean {
    this.sweep(nowMs);
    if (this.seen.has(nonce)) return false;
    if (this.seen.size >= this.max) throw new RedCloudError('UNAVAILABLE', 'Too many internal calls in the replay window; retry shortly');
    this.seen.set(nonce, tMs + this.skewMs);
    return true;
  }

  /** Drops expired entries from the oldest inserted on (stops at the first live one: bounded work). */
  private sweep(nowMs: number): void {
    let budget = 64;
    for (const [nonce, until] of this.seen) {
      if (until >= nowMs || budget-- <= 0) break;
      this.seen.delete(nonce);
    }
  }
}

const replayCaches = new WeakMap<Signer, ReplayCache>();

/** The process's replay cache for headers checked with `signer` (one per daemon, shared by all routes). */
export function replayCacheOf(signer: Signer): ReplayCache {
  let c = replayCaches.get(signer);
  if (!c) replayCaches.set(signer, (c = new ReplayCache()));
  return c;
}

/**
 * Everything about one call's header except its body: MAC, time, role allowed on `route`,
 * nonce not seen before. Returns the claims; the body is checked once it has arrived (checkBody).
 */
export function admitClusterCall(signer: Signer, header: unknown, call: ClusterCall & { route: string }, nowMs: number, cache = replayCacheOf(signer)): ClusterClaims {
  const claims = verifyClusterCall(signer, header, call, nowMs);
  if (!roleMayCall(claims.r, call.method, call.route)) throw unauthorized(`a ${claims.r} may not call ${call.method.toUpperCase()} ${call.route}`);
  if (!cache.admit(claims.x, claims.t, nowMs)) throw unauthorized('cluster signature already used (replay)');
  return claims;
}

/** For http-client's `sign` option: signs each request of `node` in `role`. */
export function clusterSigner(signer: Signer, role: ClusterRole, node: string, now: () => number) {
  return (method: string, path: string, body: Uint8Array | string | undefined): Record<string, string> =>
    ({ [CLUSTER_AUTH_HEADER]: signClusterCall(signer, role, node, { method, path, body }, now()) });
}

// ---- whoami: a controller proves it is at a URL ---------------------------------------------------

export interface WhoamiAnswer {
  id: string;
  url: string;
  nonce: string;
  mac: string;
}

function whoamiMac(signer: Signer, nonce: string, url: string, id: string): Buffer {
  return createHmac('sha256', keyOf(signer, 'whoami')).update(`whoami\n${nonce}\n${url}\n${id}`).digest();
}

/** A controller's answer to a challenge: a MAC over the nonce, its own URL and id (never a URL it is told). */
export function answerWhoami(signer: Signer, nonce: string, selfUrl: string, selfId: string): WhoamiAnswer {
  return { id: selfId, url: selfUrl, nonce, mac: whoamiMac(signer, nonce, selfUrl, selfId).toString('base64url') };
}

/** Checks a whoami answer to `nonce`; returns the prover's id and URL, or null when it proves nothing. */
export function checkWhoami(signer: Signer, answer: unknown, nonce: string): { id: string; url: string } | null {
  if (typeof answer !== 'object' || answer === null) return null;
  const a = answer as Partial<WhoamiAnswer>;
  if (typeof a.id !== 'string' || typeof a.url !== 'string' || typeof a.mac !== 'string' || a.nonce !== nonce) return null;
  if (a.id.length > 128 || a.url.length > 512) return null;
  const given = Buffer.from(a.mac, 'base64url');
  const expected = whoamiMac(signer, nonce, a.url, a.id);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return { id: a.id, url: a.url };
}
