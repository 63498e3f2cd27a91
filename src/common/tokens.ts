/**
 * Signed, expiring tokens, all keyed from CLUSTER_SECRET with a separate derived key per purpose:
 * - session tokens (`login`), valid on every controller since every controller can verify them;
 * - chunk capabilities: a controller's permission to read, write or delete one chunk;
 * - write receipts: a chunkserver's proof that it stored a chunk, checked by the controller on commit;
 * - forward lists: the replica pipeline's hops for one chunk (forward-list.ts);
 * (cluster auth, the header of internal calls, is in cluster-auth.ts, with keys from `derive`.)
 * Format: base64url(JSON payload) "." base64url(HMAC-SHA256). Pure apart from crypto; the clock is passed in.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RedCloudError } from './errors.js';

export type Purpose = 'session' | 'capability' | 'receipt' | 'cluster' | 'forward';

export class Signer {
  private readonly keys = new Map<Purpose, Buffer>();
  readonly #secret: string;

  constructor(secret: string) {
    if (!secret) throw new RedCloudError('INVALID', 'CLUSTER_SECRET must not be empty');
    this.#secret = secret;
    for (const purpose of ['session', 'capability', 'receipt', 'cluster', 'forward'] as const) {
      this.keys.set(purpose, createHmac('sha256', secret).update(`redcloud/${purpose}/v1`).digest());
    }
  }

  /** A key for `label`, derived from CLUSTER_SECRET (cluster-auth.ts's per-role keys). */
  derive(label: string): Buffer {
    return createHmac('sha256', this.#secret).update(label).digest();
  }

  private mac(purpose: Purpose, data: string): Buffer {
    return createHmac('sha256', this.keys.get(purpose)!).update(data).digest();
  }

  sign(purpose: Purpose, payload: object): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(purpose, body).toString('base64url')}`;
  }

  /** Returns the payload if the signature is valid for `purpose`, else null. Expiry is the caller's. */
  open<T>(purpose: Purpose, token: unknown): T | null {
    if (typeof token !== 'string' || token.length > 4096) return null;
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.mac(purpose, body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
    } catch {
      return null;
    }
  }
}

// ---- session tokens ----------------------------------------------------------------------------

export interface SessionClaims {
  /** user name */
  u: string;
  /** the account (accountId of its user record): a token of an account that lost its name is refused */
  a: string;
  /** issued at, ms since epoch */
  iat: number;
  /** expires at, ms since epoch */
  exp: number;
  /** issuing controller */
  iss: string;
}

export function issueSessionToken(
  signer: Signer, user: string, account: string, issuer: string, nowMs: number, ttlMs: number,
): { token: string; expiresAt: number } {
  const claims: SessionClaims = { u: user, a: account, iat: nowMs, exp: nowMs + ttlMs, iss: issuer };
  return { token: signer.sign('session', claims), expiresAt: claims.exp };
}

/**
 * Verifies a session token's signature, shape and expiry; throws UNAUTHORIZED with the reason.
 * Whether its account still owns the name and the session was not revoked is the caller's (users.ts).
 */
export function verifySessionToken(signer: Signer, token: unknown, nowMs: number): SessionClaims {
  const claims = signer.open<SessionClaims>('session', token);
  if (!claims || typeof claims.u !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
    throw new RedCloudError('UNAUTHORIZED', 'Invalid session token: log in again');
  }
  if (typeof claims.a !== 'string') throw new RedCloudError('UNAUTHORIZED', 'Session token from an older version: log in again');
  if (claims.exp <= nowMs) throw new RedCloudError('UNAUTHORIZED', 'Session expired: log in again');
  return claims;
}

// ---- chunk capabilities ------------------------------------------------------------------------

/** r: GET/HEAD, w: PUT (and HEAD), d: DELETE */
export type ChunkOp = 'r' | 'w' | 'd';

export interface CapabilityClaims {
  /** chunk id */
  c: string;
  op: ChunkOp;
  exp: number;
  /** 1: a HEAD with this write capability gets no receipt (the bytes must be PUT: proof of possession) */
  nd?: 1;
}

export function issueCapability(signer: Signer, chunkId: string, op: ChunkOp, nowMs: number, ttlMs: number, opts: { noDedup?: boolean } = {}): string {
  const claims: CapabilityClaims = { c: chunkId, op, exp: nowMs + ttlMs, ...(opts.noDedup ? { nd: 1 as const } : {}) };
  return signer.sign('capability', claims);
}

/**
 * Checks that `cap` allows `op` on `chunkId` now. A write capability also allows HEAD (the
 * uploader's "do you already have it?"). Throws FORBIDDEN saying why.
 */
export function verifyCapability(signer: Signer, cap: unknown, chunkId: string, op: ChunkOp | 'head', nowMs: number): CapabilityClaims {
  if (cap === undefined || cap === null || cap === '') throw new RedCloudError('FORBIDDEN', 'Missing chunk capability');
  const claims = signer.open<CapabilityClaims>('capability', cap);
  if (!claims) throw new RedCloudError('FORBIDDEN', 'Invalid chunk capability signature');
  if (claims.c !== chunkId) throw new RedCloudError('FORBIDDEN', 'Chunk capability is for another chunk');
  const allowed = op === 'head' ? claims.op === 'r' || claims.op === 'w' : claims.op === op;
  if (!allowed) throw new RedCloudError('FORBIDDEN', `Chunk capability does not allow this operation (${claims.op} given)`);
  if (typeof claims.exp !== 'number' || claims.exp <= nowMs) throw new RedCloudError('FORBIDDEN', 'Chunk capability expired');
  return claims;
}

// ---- write receipts ----------------------------------------------------------------------------

export interface ReceiptClaims {
  /** chunk id */
  c: string;
  /** chunkserver id that stored it */
  s: string;
  /** size in bytes */
  n: number;
}

export function issueReceipt(signer: Signer, chunkId: string, serverId: string, size: number): string {
  return signer.sign('receipt', { c: chunkId, s: serverId, n: size } satisfies ReceiptClaims);
}

/** Returns the receipt's claims, or null if it is forged or not for `chunkId`. */
export function openReceipt(signer: Signer, receipt: unknown, chunkId: string): ReceiptClaims | null {
  const claims = signer.open<ReceiptClaims>('receipt', receipt);
  return claims && claims.c === chunkId && typeof claims.s === 'string' ? claims : null;
}
