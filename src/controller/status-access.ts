/**
 * Who sees the cluster view with STATUS_PAGE=login: a logged-in account named in
 * STATUS_PAGE_USERS, or any logged-in account when the list holds `*` (the default; registration
 * is open, so that keeps out only those who cannot reach the port). Pure rule plus its hook, which
 * runs after the session check (auth.ts bearerAuth) and answers 403 FORBIDDEN to anyone else.
 */
import type { FastifyRequest } from 'fastify';
import { RedCloudError } from '../common/errors.js';
import { userOf } from './auth.js';

export const ANY_ACCOUNT = '*';

export function mayViewCluster(viewers: readonly string[], user: string): boolean {
  return viewers.includes(ANY_ACCOUNT) || viewers.includes(user);
}

export function viewerCheck(viewers: readonly string[]) {
  return async (req: FastifyRequest): Promise<void> => {
    const user = userOf(req);
    if (!mayViewCluster(viewers, user)) {
      throw new RedCloudError('FORBIDDEN', `Account ${user} may not see the cluster view (STATUS_PAGE_USERS names who may)`);
    }
  };
}
