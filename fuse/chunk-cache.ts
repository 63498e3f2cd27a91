/**
 * The read side of the driver: a bounded LRU of chunks (by content id, so never stale), fetches
 * shared between concurrent readers of the same chunk, and background read-ahead of the next
 * chunks of a file. Chunk fetches go through RedCloudClient.fetchChunk (hash-verified, replica
 * failover) with their own deadline, so one caller giving up does not cancel another's read.
 */
import type { ReadPlanChunk } from '../src/common/api.js';
import type { Logger } from '../src/common/logger.js';
import type { RedCloudClient } from '../src/client/types.js';
import { ByteLru } from './lru.js';

export interface ChunkCacheOptions {
  capacityBytes: number;
  /** chunks fetched ahead of a sequential reader */
  readAheadChunks: number;
  /** deadline of one chunk fetch (all replicas) */
  fetchTimeoutMs: number;
  /** background read-ahead fetches in flight at most */
  readAheadInflightMax?: number;
}

export class ChunkCache {
  private readonly lru: ByteLru;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readAheadInflight = 0;
  private readonly shutdown = new AbortController();
  /** counters for tests and metrics */
  readonly stats = { fetches: 0, hits: 0, shared: 0, readAheads: 0 };

  constructor(
    private readonly components: { client: RedCloudClient; logger: Logger },
    readonly options: ChunkCacheOptions,
  ) {
    this.lru = new ByteLru(options.capacityBytes);
  }

  get cachedBytes(): number {
    return this.lru.sizeBytes;
  }

  /** The bytes of one chunk: from the cache, from a fetch already in flight, or fetched now. */
  get(chunk: ReadPlanChunk): Promise<Buffer> {
    const hit = this.lru.get(chunk.id);
    if (hit) {
      this.stats.hits++;
      return Promise.resolve(hit);
    }
    const pending = this.inflight.get(chunk.id);
    if (pending) {
      this.stats.shared++;
      return pending;
    }
    this.stats.fetches++;
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.fetchTimeoutMs), this.shutdown.signal]);
    const p = this.components.client.fetchChunk(chunk, { signal }).then(
      (data) => {
        this.lru.set(chunk.id, data);
        return data;
      },
    ).finally(() => this.inflight.delete(chunk.id));
    this.inflight.set(chunk.id, p);
    return p;
  }

  /** Starts background fetches of chunks[from … from+readAhead-1] that are neither cached nor in flight. */
  readAhead(chunks: readonly ReadPlanChunk[], from: number): void {
    const max = this.options.readAheadInflightMax ?? Math.max(1, this.options.readAheadChunks * 2);
    const end = Math.min(chunks.length, from + this.options.readAheadChunks);
    for (let i = Math.max(0, from); i < end; i++) {
      const chunk = chunks[i]!;
      if (this.lru.has(chunk.id) || this.inflight.has(chunk.id)) continue;
      if (this.readAheadInflight >= max) return;
      if (!chunk.cap) continue;
      this.readAheadInflight++;
      this.stats.readAheads++;
      this.get(chunk)
        .catch((err: unknown) => this.components.logger.debug({ err, chunkId: chunk.id }, 'Read-ahead failed'))
        .finally(() => this.readAheadInflight--);
    }
  }

  /** Waits for nothing in flight (tests) — resolves when every current fetch settled. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  stop(): void {
    this.shutdown.abort();
    this.lru.clear();
  }
}

/** Index of the chunk containing byte `offset` (chunks sorted by offset), or -1. Pure. */
export function chunkIndexAt(chunks: readonly { offset: number; size: number }[], offset: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = chunks[mid]!;
    if (offset < c.offset) hi = mid - 1;
    else if (offset >= c.offset + c.size) lo = mid + 1;
    else return mid;
  }
  return -1;
}
