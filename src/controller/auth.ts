/**
 * Bearer-token authentication of user routes: a hook that verifies the session token (signed with
 * CLUSTER_SECRET, so any controller's token is valid here), checks with the accounts that its
 * account still owns the name and the session is live (users.ts authenticate), and sets `req.user`.
 */
import type { FastifyRequest } from 'fastify';
import { RedCloudError } from '../common/errors.js';
import { type SessionClaims, type Signer, verifySessionToken } from '../common/tokens.js';

type Authed = FastifyRequest & { user?: string; session?: SessionClaims };

/** Session tokens whose signature this hook verified (a mount sends the same one with every request); beyond it the memo starts over. */
const VERIFIED_TOKENS_MAX = 256;

export function bearerAuth(signer: Signer, now: () => number, accounts: { authenticate(claims: SessionClaims): string }) {
  // token → its verified claims: the HMAC is computed once per token, expiry and the account are checked on every request
  const verified = new Map<string, SessionClaims>();
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new RedCloudError('UNAUTHORIZED', 'Not logged in: missing Authorization: Bearer token');
    const nowMs = now();
    let claims = verified.get(m[1]!);
    if (!claims || claims.exp <= nowMs) {
      claims = verifySessionToken(signer, m[1], nowMs);
      if (verified.size >= VERIFIED_TOKENS_MAX) verified.clear();
      verified.set(m[1]!, claims);
    }
    (req as Authed).user = accounts.authenticate(claims);
    (req as Authed).session = claims;
  };
}

export function userOf(req: FastifyRequest): string {
  const user = (req as Authed).user;
  if (!user) throw new RedCloudError('UNAUTHORIZED', 'Not logged in');
  return user;
}

export function sessionOf(req: FastifyRequest): SessionClaims {
  const claims = (req as Authed).session;
  if (!claims) throw new RedCloudError('UNAUTHORIZED', 'Not logged in');
  return claims;
}
