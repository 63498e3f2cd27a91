/**
 * Filesystem operations on a bare metadata store for the gossip, repair and GC unit tests: the
 * real namespace (src/controller/namespace.ts) with WRITE_QUORUM 0, so a test writes "a file of
 * N bytes" without chunkservers (its one chunk id is derived from N, or given).
 */
import { createHash } from 'node:crypto';
import { silentLogger } from '../../../src/common/logger.js';
import { Signer } from '../../../src/common/tokens.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';
import { createNamespace, type Namespace } from '../../../src/controller/namespace.js';

export const OWNER = 'alice';

/** A valid chunk id standing for `size` bytes. */
export const chunkIdFor = (size: number): string => createHash('sha256').update(`chunk-${size}`).digest('hex');

export interface FsOps {
  ns: Namespace;
  /** creates or replaces `path` as a file of `size` bytes (one chunk, unless size is 0) */
  write(path: string, size: number, chunkId?: string): void;
  /** creates or replaces `path` as a file of these chunks, one byte each */
  writeChunks(path: string, chunkIds: string[]): void;
  remove(path: string): void;
  /** the size of the file at `path`, or undefined when there is none */
  sizeAt(path: string): number | undefined;
}

export function fsOps(store: MetadataStore, now: () => number, owner = OWNER): FsOps {
  const ns = createNamespace({ store, signer: new Signer('test'), logger: silentLogger(), now, writeQuorum: 0 });
  return {
    ns,
    write(path, size, chunkId = chunkIdFor(size)) {
      ns.commit(owner, { path, size, chunks: size > 0 ? [{ id: chunkId, size }] : [], receipts: {} });
    },
    writeChunks(path, chunkIds) {
      ns.commit(owner, { path, size: chunkIds.length, chunks: chunkIds.map((id) => ({ id, size: 1 })), receipts: {} });
    },
    remove: (path) => void ns.remove(owner, path),
    sizeAt(path) {
      try {
        return ns.stat(owner, path).size;
      } catch {
        return undefined;
      }
    },
  };
}
