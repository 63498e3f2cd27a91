/**
 * Who may touch a chunk: a capability signed by a controller for that chunk and operation
 * (x-redcloud-cap), or — for reads and deletes only — a cluster-signed internal call
 * (chunkserver-to-chunkserver copies, controller-driven deletes). Pure apart from crypto.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CAP_HEADER } from '../common/api.js';
import { RedCloudError } from '../common/errors.js';
import { CLUSTER_AUTH_HEADER, EMPTY_BODY_HASH, admitClusterCall } from '../common/cluster-auth.js';
import { type ChunkOp, type Signer, verifyCapability } from '../common/tokens.js';

/** The request as it arrived: method, path with query, fastify route pattern, headers. */
export interface ChunkRequest {
  method: string;
  url: string;
  route: string;
  headers: IncomingHttpHeaders;
}

export interface ChunkGrant {
  /** the capability's op, or 'cluster' for an internal call */
  via: ChunkOp | 'cluster';
  /** false when the capability forbids a receipt without the bytes (HEAD dedup) */
  dedup?: boolean;
}

/** Throws FORBIDDEN (capability) or UNAUTHORIZED (bad cluster signature); returns how access was granted. */
export function authorizeChunk(signer: Signer, req: ChunkRequest, chunkId: string, op: ChunkOp | 'head', nowMs: number): ChunkGrant {
  const { headers } = req;
  const cluster = headers[CLUSTER_AUTH_HEADER];
  if (cluster !== undefined && op !== 'w' && headers[CAP_HEADER] === undefined) {
    // bodiless GET/HEAD/DELETE: the signed body hash is that of nothing (checked by admitClusterCall's MAC)
    const claims = admitClusterCall(signer, cluster, { method: req.method, path: req.url, route: req.route }, nowMs);
    if (claims.b !== EMPTY_BODY_HASH) throw new RedCloudError('UNAUTHORIZED', 'Internal call refused: the body is not the one signed');
    return { via: 'cluster' };
  }
  const claims = verifyCapability(signer, headers[CAP_HEADER], chunkId, op, nowMs);
  return { via: claims.op, dedup: claims.nd !== 1 };
}
