/**
 * Who may touch a chunk: a capability signed by a controller for that chunk and operation
 * (x-redcloud-cap), or — for reads and deletes only — a cluster-signed internal call
 * (chunkserver-to-chunkserver copies, controller-driven deletes). Pure apart from crypto.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CAP_HEADER } from '../common/api.js';
import { CLUSTER_AUTH_HEADER, type ChunkOp, type Signer, verifyCapability, verifyClusterAuth } from '../common/tokens.js';

export interface ChunkGrant {
  /** the capability's op, or 'cluster' for an internal call */
  via: ChunkOp | 'cluster';
  /** false when the capability forbids a receipt without the bytes (HEAD dedup) */
  dedup?: boolean;
}

/** Throws FORBIDDEN (capability) or UNAUTHORIZED (bad cluster signature); returns how access was granted. */
export function authorizeChunk(signer: Signer, headers: IncomingHttpHeaders, chunkId: string, op: ChunkOp | 'head', nowMs: number): ChunkGrant {
  const cluster = headers[CLUSTER_AUTH_HEADER];
  if (cluster !== undefined && op !== 'w' && headers[CAP_HEADER] === undefined) {
    verifyClusterAuth(signer, cluster, nowMs);
    return { via: 'cluster' };
  }
  const claims = verifyCapability(signer, headers[CAP_HEADER], chunkId, op, nowMs);
  return { via: claims.op, dedup: claims.nd !== 1 };
}
