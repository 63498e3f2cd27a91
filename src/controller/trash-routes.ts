/**
 * The trash routes of the token's user (src/common/api.ts): list, restore, empty. The work is the
 * namespace's trash (trash.ts); these only check the bodies and name the user.
 */
import type { FastifyInstance } from 'fastify';
import type { ReadPlan, TrashItem } from '../common/api.js';
import { bearerAuth, userOf } from './auth.js';
import { closedSignal, readPlanOf, type RouteDeps } from './routes.js';

const path = { type: 'string', minLength: 1, maxLength: 65_536 } as const;
const obj = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required, properties });
const trashSchemas = {
  list: obj([], {}),
  read: obj(['id'], { id: { type: 'string', minLength: 1, maxLength: 256 } }),
  restore: obj(['path'], { path, to: path }),
  empty: obj([], { path }),
};

type B<T> = { Body: T };

export function registerTrashRoutes(app: FastifyInstance, d: RouteDeps): void {
  const trash = d.namespace.trash;
  const opts = (schema: Record<string, unknown>) => ({ onRequest: bearerAuth(d.signer, d.now, d.users), schema });
  app.get('/v1/trash', opts({ querystring: trashSchemas.list }), async (req): Promise<{ items: TrashItem[]; ttlMs: number }> =>
    ({ items: trash.list(userOf(req)), ttlMs: d.trashTtlMs ?? 0 }));
  // a trashed file's read plan by its entry id (TrashItem.id): read without restoring (the mount's .trash/)
  app.get<{ Querystring: { id: string } }>('/v1/trash/read', opts({ querystring: trashSchemas.read }), async (req, reply): Promise<ReadPlan> =>
    readPlanOf(d, trash.file(userOf(req), req.query.id), closedSignal(reply.raw)));
  app.post<B<{ path: string; to?: string }>>('/v1/trash/restore', opts({ body: trashSchemas.restore }), async (req) => {
    const restored = trash.restore(userOf(req), req.body.path, req.body.to);
    d.logger.info({ user: userOf(req), path: req.body.path, to: req.body.to, entries: restored.length }, 'Restored from the trash');
    return { restored };
  });
  app.post<B<{ path?: string }>>('/v1/trash/empty', opts({ body: trashSchemas.empty }), async (req) => {
    const removed = trash.empty(userOf(req), req.body.path);
    d.logger.info({ user: userOf(req), path: req.body.path, entries: removed }, 'Emptied the trash');
    return { removed };
  });
}
