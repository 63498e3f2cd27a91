/**
 * The snapshot routes (src/common/snapshot-api.ts) for the token's user, and the read-only scope:
 * a `/v1/fs/` request carrying the `x-redcloud-snapshot: NAME` header reads snapshot NAME's tree
 * (its owner replaces the user for that request, so every read route — stat, list, read plans,
 * xattrs, find — works unchanged) and any other method is refused as READ_ONLY (EROFS at a mount).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../common/errors.js';
import type { Signer } from '../common/tokens.js';
import { SNAPSHOT_HEADER, type SnapshotChange, type SnapshotInfo } from '../common/snapshot-api.js';
import type { EntryInfo } from '../common/api.js';
import { bearerAuth, userOf } from './auth.js';
import type { Snapshots } from './snapshots.js';
import type { Users } from './users.js';

type B<T> = { Body: T };
type Q<T> = { Querystring: T };

const name = { type: 'string', minLength: 1, maxLength: 128 } as const;
const path = { type: 'string', minLength: 1, maxLength: 65_536 } as const;
const obj = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required, properties });

/** Reads a snapshot may answer: GET routes, and reporting a bad replica met while reading one. */
const readsInSnapshot = (req: FastifyRequest): boolean => req.method === 'GET' || req.method === 'HEAD' || req.routeOptions.url === '/v1/fs/report-bad';

/** The scope hook: register before the routes it applies to. */
export function registerSnapshotScope(app: FastifyInstance, snapshots: Snapshots): void {
  app.addHook('preHandler', async (req) => {
    const header = req.headers[SNAPSHOT_HEADER];
    if (header === undefined || !req.routeOptions.url?.startsWith('/v1/fs/')) return;
    const snap = Array.isArray(header) ? header[0]! : header;
    if (!readsInSnapshot(req)) {
      throw errors.readOnly(`Snapshot ${snap} is read-only (${req.method} ${req.routeOptions.url}); restore it with redcloud snapshot restore ${snap} --to PATH`, { snapshot: snap });
    }
    (req as FastifyRequest & { user?: string }).user = snapshots.ownerOf(userOf(req), snap);
  });
}

export function registerSnapshotRoutes(app: FastifyInstance, d: { snapshots: Snapshots; signer: Signer; now: () => number; users: Users }): void {
  const auth = bearerAuth(d.signer, d.now, d.users);
  const s = d.snapshots;
  app.post<B<{ path: string; name: string }>>('/v1/snapshots/create', { onRequest: auth, schema: { body: obj(['path', 'name'], { path, name }) } },
    async (req, reply): Promise<SnapshotInfo> => reply.code(201).send(await s.create(userOf(req), req.body.path, req.body.name)));
  app.get('/v1/snapshots', { onRequest: auth, schema: { querystring: obj([], {}) } }, async (req): Promise<{ snapshots: SnapshotInfo[] }> =>
    ({ snapshots: s.list(userOf(req)) }));
  app.post<B<{ name: string }>>('/v1/snapshots/remove', { onRequest: auth, schema: { body: obj(['name'], { name }) } }, async (req) =>
    ({ removed: await s.remove(userOf(req), req.body.name) }));
  app.post<B<{ name: string; to?: string }>>('/v1/snapshots/restore', { onRequest: auth, schema: { body: obj(['name'], { name, to: path }) } },
    async (req): Promise<EntryInfo> => s.restore(userOf(req), req.body.name, req.body.to));
  app.get<Q<{ a: string; b?: string }>>('/v1/snapshots/diff', { onRequest: auth, schema: { querystring: obj(['a'], { a: name, b: name }) } },
    async (req): Promise<{ changes: SnapshotChange[] }> => ({ changes: s.diff(userOf(req), req.query.a, req.query.b) }));
}
