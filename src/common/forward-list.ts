/**
 * The replica pipeline's forward list: a controller signs, per chunk, the chunkservers it placed
 * the chunk on, in order. The client PUTs the chunk once to the first hop with the list in
 * FORWARD_HEADER; each hop finds itself in the list and streams the bytes on to the next one
 * only, so a chunkserver can forward nothing to an address the controller did not place. Each
 * hop answers its own receipt and, in `chain`, what the hops after it answered. Pure apart from HMAC.
 */
import { RedCloudError } from './errors.js';
import type { Signer } from './tokens.js';

export const FORWARD_HEADER = 'x-redcloud-forward';
/** hops in one list (REPLICATION_FACTOR is small; a bound on what a hop parses) */
export const FORWARD_HOPS_MAX = 16;

export interface ForwardHop {
  /** chunkserver id */
  i: string;
  /** its base URL */
  u: string;
}

export interface ForwardClaims {
  /** chunk id */
  c: string;
  h: ForwardHop[];
  exp: number;
}

/** What one hop after the first answered, in the first hop's PUT response (ChunkPutResponse.chain). */
export interface ChainLink {
  /** chunkserver id of the hop */
  id: string;
  receipt?: string;
  /** when it did not store the chunk: the error's code and message */
  code?: string;
  message?: string;
}

export function issueForwardList(signer: Signer, chunkId: string, hops: { id: string; url: string }[], nowMs: number, ttlMs: number): string {
  const claims: ForwardClaims = { c: chunkId, h: hops.map((t) => ({ i: t.id, u: t.url })), exp: nowMs + ttlMs };
  return signer.sign('forward', claims);
}

/**
 * The hops after `selfId` in the signed list `token` for `chunkId` (empty when it is the last).
 * Throws FORBIDDEN when the list is forged, expired, for another chunk, malformed, or does not
 * name this chunkserver.
 */
export function hopsAfter(signer: Signer, token: unknown, chunkId: string, selfId: string, nowMs: number): ForwardHop[] {
  const claims = signer.open<ForwardClaims>('forward', token);
  if (!claims) throw new RedCloudError('FORBIDDEN', 'Invalid forward list signature');
  if (claims.c !== chunkId) throw new RedCloudError('FORBIDDEN', 'Forward list is for another chunk');
  if (typeof claims.exp !== 'number' || claims.exp <= nowMs) throw new RedCloudError('FORBIDDEN', 'Forward list expired');
  const hops = claims.h;
  if (!Array.isArray(hops) || hops.length > FORWARD_HOPS_MAX || !hops.every((h) => typeof h?.i === 'string' && typeof h?.u === 'string' && /^https?:\/\//.test(h.u))) {
    throw new RedCloudError('FORBIDDEN', 'Malformed forward list');
  }
  const at = hops.findIndex((h) => h.i === selfId);
  if (at < 0) throw new RedCloudError('FORBIDDEN', 'Forward list does not name this chunkserver');
  return hops.slice(at + 1);
}

/** Validates a `chain` from outside (a first hop's answer): at most `max` well-formed links. */
export function parseChain(raw: unknown, max: number): ChainLink[] {
  if (!Array.isArray(raw)) return [];
  return raw.slice(0, max).filter((l): l is ChainLink => typeof l === 'object' && l !== null && typeof (l as ChainLink).id === 'string')
    .map((l) => ({ id: l.id, ...(typeof l.receipt === 'string' ? { receipt: l.receipt } : {}), ...(typeof l.code === 'string' ? { code: l.code } : {}), ...(typeof l.message === 'string' ? { message: l.message.slice(0, 500) } : {}) }));
}
