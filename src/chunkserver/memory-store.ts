/**
 * An in-memory ChunkStore for tests: same contract as the disk store (whole-or-absent chunks,
 * INTEGRITY, NO_SPACE against a quota, TOO_LARGE), with a fixed simulated disk size.
 */
import { Readable } from 'node:stream';
import { errors, RedCloudError, toRedCloudError } from '../common/errors.js';
import { blockHashesOf, chunkIdOf, isTreeFormat, type ChunkFormat } from '../common/chunk-format.js';
import { assertChunkId } from '../common/hash.js';
import { availableBytes, capacityOf, type CapacityInput } from './capacity.js';
import { MAX_CHUNK_BYTES, type ChangeListener, type ChunkStore, type StoreUsage } from './store.js';

export interface MemoryStoreOptions {
  quotaBytes: number;
  minFreeBytes: number;
  /** simulated size of the disk */
  diskBytes?: number;
}

export function createMemoryStore(opts: MemoryStoreOptions): ChunkStore & { corrupt(id: string): void } {
  const chunks = new Map<string, Buffer>();
  const formats = new Map<string, ChunkFormat>();
  const listeners = new Set<ChangeListener>();
  const diskBytes = opts.diskBytes ?? 1024 ** 4;
  let usedBytes = 0;
  let reservedBytes = 0;
  let largestChunkBytes = 0;
  const capInput = (): CapacityInput => ({
    quotaBytes: opts.quotaBytes, minFreeBytes: opts.minFreeBytes, usedBytes, reservedBytes, diskFreeBytes: diskBytes - usedBytes - reservedBytes, largestChunkBytes,
  });
  const emit = (type: 'added' | 'removed', id: string) => {
    for (const l of listeners) l({ type, id });
  };
  const usage = (): StoreUsage => ({ usedBytes, chunkCount: chunks.size, ...capacityOf(capInput()) });

  return {
    async open() {},
    async close() {
      listeners.clear();
    },
    async put(id, source, putOpts = {}) {
      assertChunkId(id);
      const parts: Buffer[] = [];
      let total = 0;
      let reserved = 0;
      try {
        if ((putOpts.expectedSizeBytes ?? 0) > MAX_CHUNK_BYTES) throw errors.tooLarge(`Chunk is larger than ${MAX_CHUNK_BYTES} bytes`);
        for await (const piece of source) {
          putOpts.signal?.throwIfAborted();
          total += piece.length;
          if (total > MAX_CHUNK_BYTES) throw errors.tooLarge(`Chunk is larger than ${MAX_CHUNK_BYTES} bytes`);
          if ((putOpts.rewrite || !chunks.has(id)) && total > reserved) {
            if (availableBytes(capInput()) < total - reserved) throw errors.noSpace('No space left for this chunk', { id });
            reservedBytes += total - reserved;
            reserved = total;
          }
          parts.push(Buffer.from(piece));
        }
        const data = Buffer.concat(parts);
        const format = putOpts.format ?? 'sha256';
        if (chunkIdOf(format, data) !== id) throw errors.integrity('Chunk bytes do not hash to its id', { id });
        if (chunks.has(id)) return { id, sizeBytes: data.length, created: false };
        chunks.set(id, data);
        formats.set(id, format);
        usedBytes += data.length;
        largestChunkBytes = Math.max(largestChunkBytes, data.length);
        emit('added', id);
        return { id, sizeBytes: data.length, created: true };
      } catch (err) {
        throw err instanceof RedCloudError ? err : toRedCloudError(err);
      } finally {
        reservedBytes -= reserved;
      }
    },
    async get(id, range) {
      assertChunkId(id);
      const data = chunks.get(id);
      if (!data) throw errors.notFound('No such chunk here', { id });
      if (range && !(range.start >= 0 && range.end > range.start && range.end <= data.length)) {
        throw errors.invalid(`Range [${range.start}, ${range.end}) is outside the chunk of ${data.length} bytes`, { id });
      }
      if (range) return { bytes: data.subarray(range.start, range.end), sizeBytes: range.end - range.start };
      return { stream: Readable.from([data]), sizeBytes: data.length };
    },
    async blocks(id) {
      assertChunkId(id);
      const data = chunks.get(id);
      if (!data) throw errors.notFound('No such chunk here', { id });
      const format = formats.get(id) ?? 'sha256';
      return { format, hashes: isTreeFormat(format) ? blockHashesOf(format, data) : Buffer.alloc(0) };
    },
    has: (id) => chunks.has(id),
    formatOf: (id) => (chunks.has(id) ? formats.get(id) ?? 'sha256' : undefined),
    sizeOf: (id) => chunks.get(id)?.length,
    async delete(id) {
      assertChunkId(id);
      const data = chunks.get(id);
      if (!data) return false;
      chunks.delete(id);
      formats.delete(id);
      usedBytes -= data.length;
      emit('removed', id);
      return true;
    },
    list: () => [...chunks.keys()],
    async verify(id, vOpts = {}) {
      const data = chunks.get(id);
      if (!data) throw errors.notFound('No such chunk here', { id });
      if (vOpts.onBytes) await vOpts.onBytes(data.length);
      return chunkIdOf(formats.get(id) ?? 'sha256', data) === id;
    },
    usage,
    refreshUsage: async () => usage(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Flips the first byte of a stored chunk (scrubber tests). */
    corrupt(id) {
      const data = chunks.get(id);
      if (data && data.length > 0) data[0] = data[0]! ^ 0xff;
    },
  };
}
