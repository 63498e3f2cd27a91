/**
 * Commit-time check of write receipts: every chunk needs WRITE_QUORUM valid receipts (signed by a
 * chunkserver with CLUSTER_SECRET, for this chunk and size) from distinct chunkservers. Returns
 * the valid (chunk, server) pairs so they can be recorded as locations, and the first chunk short
 * of replicas. Chunks in `unchanged` (those the file's current version already references: a
 * partial rewrite through the mount re-sends only the chunks it changed) need no receipts.
 * Pure apart from HMAC.
 */
import { RedCloudError } from '../common/errors.js';
import { openReceipt, type Signer } from '../common/tokens.js';
import type { ChunkRef } from '../meta/types.js';

export interface ReceiptCheck {
  /** chunk id → distinct chunkserver ids with a valid receipt */
  valid: Map<string, string[]>;
  /** first chunk that lacks the quorum, if any */
  short?: { chunkId: string; have: number };
}

export function checkReceipts(
  signer: Signer, chunks: readonly ChunkRef[], receipts: Record<string, string[]>, writeQuorum: number,
  unchanged: ReadonlySet<string> = new Set(),
): ReceiptCheck {
  const valid = new Map<string, string[]>();
  let short: ReceiptCheck['short'];
  for (const chunk of chunks) {
    if (valid.has(chunk.id)) continue;
    const servers = new Set<string>();
    const given = Object.hasOwn(receipts, chunk.id) ? receipts[chunk.id]! : [];
    for (const receipt of given) {
      const claims = openReceipt(signer, receipt, chunk.id);
      if (claims && claims.n === chunk.size) servers.add(claims.s);
    }
    valid.set(chunk.id, [...servers].sort());
    if (!short && servers.size < writeQuorum && !unchanged.has(chunk.id)) short = { chunkId: chunk.id, have: servers.size };
  }
  return short ? { valid, short } : { valid };
}

export function quorumError(short: { chunkId: string; have: number }, writeQuorum: number): RedCloudError {
  return new RedCloudError('UNAVAILABLE', `chunk ${short.chunkId} has ${short.have} of ${writeQuorum} replicas`, {
    chunkId: short.chunkId, have: short.have, want: writeQuorum,
  });
}
