/**
 * The read side of the driver: a bounded LRU of chunks in RAM (by content id, so never stale), an
 * optional on-disk tier below it (disk-chunk-cache.ts: ranges served by pread, kept across
 * remounts), fetches shared between concurrent readers of the same chunk, and background
 * read-ahead of the next chunks of a file, each started at a different replica (chunk i at replica
 * i mod RF), so a sequential reader pulls from every replica in parallel. Chunk fetches go through RedCloudClient.fetchChunk
 * (hash-verified, replica failover) with their own deadline, so one caller giving up does not
 * cancel another's read; every fetched chunk also lands in the disk tier, written in the background.
 * A random read (`whole: false`) that no tier holds fetches only the 64 KiB blocks it covers
 * (RedCloudClient.fetchRange, each block verified) and caches nothing: the kernel's page cache
 * keeps it, and a sequential reader still fetches and caches whole chunks.
 */
import type { ReadPlanChunk } from '../src/common/api.js';
import type { Logger } from '../src/common/logger.js';
import type { RedCloudClient } from '../src/client/types.js';
import type { DiskChunkCache } from './disk-chunk-cache.js';
import { SizedLru } from './lru.js';
import { rotated } from './read-pattern.js';
import { inlineChunkData } from '../src/client/inline.js';

export interface ChunkCacheOptions {
  capacityBytes: number;
  /** chunks fetched ahead of a sequential reader */
  readAheadChunks: number;
  /** deadline of one chunk fetch (all replicas) */
  fetchTimeoutMs: number;
  /** background read-ahead fetches in flight at most */
  readAheadInflightMax?: number;
}

/** Fetched chunks waiting for their disk-tier write at most (each holds its bytes in memory). */
export const DISK_WRITES_INFLIGHT_MAX = 16;

export class ChunkCache {
  private readonly lru: SizedLru<Buffer>;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly diskWrites = new Set<Promise<void>>();
  private readAheadInflight = 0;
  private readonly shutdown = new AbortController();
  /** counters for tests and metrics; diskHits: reads (whole or range) served by the disk tier */
  readonly stats = { fetches: 0, hits: 0, shared: 0, readAheads: 0, diskHits: 0, diskWritesSkipped: 0, rangeFetches: 0 };

  constructor(
    private readonly components: { client: RedCloudClient; logger: Logger; disk?: DiskChunkCache | undefined },
    readonly options: ChunkCacheOptions,
  ) {
    this.lru = new SizedLru<Buffer>(options.capacityBytes, (b) => b.length);
    void components.disk?.start(); // index an earlier mount's files while the mount comes up
  }

  get cachedBytes(): number {
    return this.lru.sizeBytes;
  }

  /** Bytes [from, to) of one chunk: a slice of the RAM copy, a pread from the disk tier, or a fetch (whole, or of the covering blocks when `whole` is false). */
  async read(chunk: ReadPlanChunk, from: number, to: number, opts: { whole?: boolean; spread?: number } = {}): Promise<Buffer> {
    // an inline chunk (bytes in the read plan): decoded and verified once, kept in RAM, never on disk
    if (chunk.inline !== undefined) return (await this.get(chunk)).subarray(from, to);
    const hit = this.lru.get(chunk.id);
    if (hit) {
      this.stats.hits++;
      return hit.subarray(from, to);
    }
    const pending = this.inflight.get(chunk.id);
    if (pending) {
      this.stats.shared++;
      return (await pending).subarray(from, to);
    }
    const disk = this.components.disk;
    if (disk?.mayHave(chunk.id)) {
      const part = await disk.readRange(chunk.id, from, to);
      if (part) {
        this.stats.diskHits++;
        return part;
      }
    }
    if (opts.whole === false && to - from < chunk.size) return this.fetchRange(chunk, from, to);
    return (await this.get(chunk, opts.spread)).subarray(from, to);
  }

  /**
   * The bytes of one chunk: from RAM, from a load already in flight, or loaded now (disk tier, else
   * fetched, starting at replica `spread` mod the replica count and failing over through the rest).
   */
  get(chunk: ReadPlanChunk, spread = 0): Promise<Buffer> {
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
    const from = spread === 0 ? chunk : { ...chunk, locations: rotated(chunk.locations, spread) };
    const p = this.load(from).then((data) => {
      this.lru.set(chunk.id, data);
      return data;
    }).finally(() => this.inflight.delete(chunk.id));
    this.inflight.set(chunk.id, p);
    return p;
  }

  private async load(chunk: ReadPlanChunk): Promise<Buffer> {
    if (chunk.inline !== undefined) return inlineChunkData(chunk);
    const disk = this.components.disk;
    if (disk?.mayHave(chunk.id)) {
      const data = await disk.readAll(chunk.id);
      if (data) {
        this.stats.diskHits++;
        return data;
      }
    }
    this.stats.fetches++;
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.fetchTimeoutMs), this.shutdown.signal]);
    // each replica gets a share of the fetch's deadline: a blackholed first one costs only its share
    const data = await this.components.client.fetchChunk(chunk, { signal, deadlineMs: Date.now() + this.options.fetchTimeoutMs });
    if (disk && !this.shutdown.signal.aborted) this.putOnDisk(disk, chunk.id, data);
    return data;
  }

  private fetchRange(chunk: ReadPlanChunk, from: number, to: number): Promise<Buffer> {
    this.stats.rangeFetches++;
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.fetchTimeoutMs), this.shutdown.signal]);
    return this.components.client.fetchRange(chunk, from, to, { signal, deadlineMs: Date.now() + this.options.fetchTimeoutMs });
  }

  /** Writes a fetched chunk to the disk tier in the background (bounded: beyond the bound it is not kept). */
  private putOnDisk(disk: DiskChunkCache, id: string, data: Buffer): void {
    if (this.diskWrites.size >= DISK_WRITES_INFLIGHT_MAX) {
      this.stats.diskWritesSkipped++;
      return;
    }
    const w = disk.put(id, data).finally(() => this.diskWrites.delete(w));
    this.diskWrites.add(w);
  }

  /** Starts background fetches of chunks[from … from+readAhead-1] that are neither cached nor in flight. */
  readAhead(chunks: readonly ReadPlanChunk[], from: number): void {
    const max = this.options.readAheadInflightMax ?? Math.max(1, this.options.readAheadChunks * 2);
    const end = Math.min(chunks.length, from + this.options.readAheadChunks);
    for (let i = Math.max(0, from); i < end; i++) {
      const chunk = chunks[i]!;
      if (this.lru.has(chunk.id) || this.inflight.has(chunk.id)) continue;
      // read-ahead hides network latency; a chunk on local disk is read by range when asked for
      if (this.components.disk?.has(chunk.id)) continue;
      if (this.readAheadInflight >= max) return;
      if (!chunk.cap) continue;
      this.readAheadInflight++;
      this.stats.readAheads++;
      // chunk i starts at replica i mod RF: a sequential reader's read-ahead loads from every replica at once
      this.get(chunk, i)
        .catch((err: unknown) => this.components.logger.debug({ err, chunkId: chunk.id }, 'Read-ahead failed'))
        .finally(() => this.readAheadInflight--);
    }
  }

  /** Waits for nothing in flight (tests) — resolves when every current fetch and disk write settled. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0 || this.diskWrites.size > 0) {
      await Promise.allSettled([...this.inflight.values(), ...this.diskWrites]);
    }
  }

  /** Drops the RAM copies and aborts fetches; resolves when the disk writes in flight settled. */
  async stop(): Promise<void> {
    this.shutdown.abort();
    this.lru.clear();
    await Promise.allSettled([...this.diskWrites]);
    await this.components.disk?.stop();
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
