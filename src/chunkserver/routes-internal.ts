/**
 * The cluster-authenticated routes of a chunkserver: POST /internal/replicate (pull a chunk from
 * other chunkservers), GET /internal/inventory (every chunk id held here) and POST
 * /internal/verify (re-hash one stored chunk now, quarantining it if bad: a client reported it).
 */
import type { FastifyInstance } from 'fastify';
import type { ChunkLocation, ChunkPutResponse } from '../common/api.js';
import { errors } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { clusterAuth } from '../common/http-server.js';
import { issueReceipt, type Signer } from '../common/tokens.js';
import type { Replicator } from './replicator.js';
import type { ChunkStore } from './store.js';

export interface InternalRouteDeps {
  store: ChunkStore;
  replicator: Replicator;
  signer: Signer;
  nodeId: string;
  logger: Logger;
  now: () => number;
  /** deletes a corrupt chunk and reports it to the controllers */
  quarantine: (id: string, reason: string) => Promise<void>;
}

const replicateSchema = {
  body: {
    type: 'object',
    required: ['chunkId', 'sources'],
    additionalProperties: false,
    properties: {
      chunkId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      sources: {
        type: 'array',
        maxItems: 64,
        items: {
          type: 'object',
          required: ['id', 'url'],
          properties: { id: { type: 'string', maxLength: 200 }, url: { type: 'string', pattern: '^https?://', maxLength: 500 } },
        },
      },
    },
  },
} as const;

export async function registerInternalRoutes(app: FastifyInstance, deps: InternalRouteDeps): Promise<void> {
  // the cluster signature is checked before the body is parsed and validated (a wrong secret is
  // 401 whatever the body), the body against the signed hash before validation
  const guard = clusterAuth(deps.signer, deps.logger, deps.now);

  app.post('/internal/replicate', { schema: replicateSchema, ...guard }, async (req) => {
    const { chunkId, sources } = req.body as { chunkId: string; sources: ChunkLocation[] };
    const result = await deps.replicator.replicate(chunkId, sources);
    const answer: ChunkPutResponse = {
      id: chunkId, size: result.sizeBytes, receipt: issueReceipt(deps.signer, chunkId, deps.nodeId, result.sizeBytes), created: result.created,
    };
    return answer;
  });

  app.get('/internal/inventory', { ...guard }, async () => ({ chunks: deps.store.list() }));

  app.post('/internal/verify', {
    ...guard,
    schema: { body: { type: 'object', required: ['chunkId'], additionalProperties: false, properties: { chunkId: replicateSchema.body.properties.chunkId } } },
  }, async (req) => {
    const { chunkId } = req.body as { chunkId: string };
    if (deps.store.sizeOf(chunkId) === undefined) throw errors.notFound(`No chunk ${chunkId} here`);
    const ok = await deps.store.verify(chunkId);
    if (!ok) await deps.quarantine(chunkId, 'verify on request: content does not match its hash');
    return { ok };
  });
}
