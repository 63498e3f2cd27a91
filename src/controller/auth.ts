/**
 * Bearer-token authentication of user routes: a hook that verifies the session token (signed with
 * CLUSTER_SECRET, so any controller's token is valid here), checks with the accounts that its
 * account still owns the name and the session is live (users.ts authenticate), and sets `req.user`.
 */
import type { FastifyRequest } from 'fastify';
import { RedCloudError } from '../common/errors.js';
import { type SessionClaims, type Signer, verifySessionToken } from '../common/tokens.js';

type Authed = FastifyRequest & { user?: string; session?: SessionClaims };

export function bearerAuth(signer: Signer, now: () => number, accounts: { authenticate(claims: SessionClaims): string }) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new RedCloudError('UNAUTHORIZED', 'Not logged in: missing Authorization: Bearer token');
    const claims = verifySessionToken(signer, m[1], now());
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
