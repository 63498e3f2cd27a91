/**
 * Bearer-token authentication of user routes: a preHandler that verifies the session token
 * (signed with CLUSTER_SECRET, so any controller's token is valid here) and sets `req.user`.
 */
import type { FastifyRequest } from 'fastify';
import { RedCloudError } from '../common/errors.js';
import { type Signer, verifySessionToken } from '../common/tokens.js';

export function bearerAuth(signer: Signer, now: () => number) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new RedCloudError('UNAUTHORIZED', 'Not logged in: missing Authorization: Bearer token');
    (req as FastifyRequest & { user?: string }).user = verifySessionToken(signer, m[1], now()).u;
  };
}

export function userOf(req: FastifyRequest): string {
  const user = (req as FastifyRequest & { user?: string }).user;
  if (!user) throw new RedCloudError('UNAUTHORIZED', 'Not logged in');
  return user;
}
