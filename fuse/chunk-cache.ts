/**
 * The read side of the driver: a bounded LRU of chunks in RAM (by content id, so never stale), an
 * optional on-disk tier below it (disk-chunk-cache.ts: ranges served by pread, kept across
 * remounts), fetches shared between concurrent readers of the same chunk, and background
 * read-ahead of the next chunks of a file, each started at a different replica (chunk i at replica
 * i mod RF), so a sequential reader pulls from every replica in parallel. Chunk fetches go through RedCloudClient.fetchChunk
 * (hash-verified, replica failover) with their own deadline, so one caller giving up does not
 * cancel another's read; every fetched chunk also lands in the disk tier, written in the background.
 * A random read (`whole: false`) that no tier holds fetches only the 64 KiB blocks it covers
 * (RedCloudClient.fetchRange, each block verified) and keeps those blocks in the same RAM LRU (key
 * `id#block`), so later reads near it are answered without a chunkserver (as MooseFS's mount keeps
 * the blocks it read); a sequential reader still fetches and caches whole chunks.
 * Whole chunks are fetched into buffers reused after eviction (a fresh 4 MiB buffer costs ~3 ms of
 * page faults, and V8 answers a stream of them with full collections): such a buffer is never
 * handed out to be kept: `read` gives a copy of its part, `view` a view the caller copies out at
 * once (the FUSE read, into the kernel's buffer); one handed out whole (`get`) or being written to
 * the disk tier is not reused.
 */
import type { ReadPlanChunk } from '../src/common/api.js';
import type { Logger } from '../src/common/logger.js';
import type { RedCloudClient } from '../src/client/types.js';
import type { DiskChunkCache } from './disk-chunk-cache.js';
import { SizedLru } from './lru.js';
import { rotated } from './read-pattern.js';
import { inlineChunkData } from '../src/client/inline.js';
import { BLOCK_BYTES, blockSpan } from '../src/common/chunk-format.js';
import { BufferPool } from '../src/common/buffer-pool.js';

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
/** Chunks smaller than this are fetched into buffers of their own, not reused ones. */
export const REUSED_BUFFER_MIN_BYTES = 1024 * 1024;
/** Evicted chunk buffers kept for the next fetches. */
const REUSED_BUFFERS_KEPT = 4;

export class ChunkCache {
  private readonly lru: SizedLru<Buffer>;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly diskWrites = new Set<Promise<void>>();
  private readAheadInflight = 0;
  private readonly shutdown = new AbortController();
  /** buffers whole chunks are fetched into, sized by the largest chunk so far (takeBuffer) */
  private pool: BufferPool | undefined;
  /** reusable buffers never to be reused: handed out whole (`get`) */
  private readonly handedOut = new WeakSet<ArrayBufferLike>();
  /** reusable buffers not to be reused yet: being written to the disk tier */
  private readonly writing = new Set<ArrayBufferLike>();
  /** counters for tests and metrics; diskHits: reads (whole or range) served by the disk tier */
  readonly stats = { fetches: 0, hits: 0, shared: 0, readAheads: 0, diskHits: 0, diskWritesSkipped: 0, rangeFetches: 0, blockHits: 0, buffersReused: 0 };

  constructor(
    private readonly components: { client: RedCloudClient; logger: Logger; disk?: DiskChunkCache | undefined },
    readonly options: ChunkCacheOptions,
  ) {
    this.lru = new SizedLru<Buffer>(options.capacityBytes, (b) => b.length, (_id, b) => this.reuse(b));
    void components.disk?.start(); // index an earlier mount's files while the mount comes up
  }

  get cachedBytes(): number {
    return this.lru.sizeBytes;
  }

  /** Bytes [from, to) of one chunk: a slice of the RAM copy (a copy of it where its buffer may be reused), a pread from the disk tier, or a fetch (whole, or of the covering blocks when `whole` is false). */
  async read(chunk: ReadPlanChunk, from: number, to: number, opts: { whole?: boolean; spread?: number } = {}): Promise<Buffer> {
    const view = await this.view(chunk, from, to, opts);
    if (!this.pool?.owns(view)) return view;
    const copy = Buffer.allocUnsafe(view.length);
    view.copy(copy);
    return copy;
  }

  /**
   * As `read`, without the copy: a view into a buffer that may be reused once the event loop
   * turns (a fetch writes into it from a socket callback), so copy it out in the continuation
   * that receives it, before awaiting anything.
   */
  async view(chunk: ReadPlanChunk, from: number, to: number, opts: { whole?: boolean; spread?: number } = {}): Promise<Buffer> {
    // an inline chunk (bytes in the read plan): decoded and verified once, kept in RAM, never on disk
    if (chunk.inline !== undefined) return (await this.obtain(chunk)).subarray(from, to);
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
    if (opts.whole === false && to - from < chunk.size) return this.readBlocks(chunk, from, to);
    return (await this.obtain(chunk, opts.spread)).subarray(from, to);
  }

  /** Bytes [from, to) of a chunk by its covering blocks: from the RAM copies of those blocks, else fetched (shared with a concurrent fetch of the same blocks) and kept. */
  private async readBlocks(chunk: ReadPlanChunk, from: number, to: number): Promise<Buffer> {
    const span = blockSpan(chunk.size, from, to);
    const cached = this.cachedBlocks(chunk.id, span.first, span.last);
    if (cached) {
      this.stats.blockHits++;
      return cached.subarray(from - span.start, to - span.start);
    }
    const key = `${chunk.id}@${span.first}-${span.last}`;
    let pending = this.inflight.get(key);
    if (pending) this.stats.shared++;
    else {
      pending = this.fetchRange(chunk, span.start, span.end).then((bytes) => {
        this.keepBlocks(chunk.id, span.first, bytes);
        return bytes;
      }).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return (await pending).subarray(from - span.start, to - span.start);
  }

  /** Blocks first…last of chunk `id` from RAM, joined, or undefined unless every one is there. */
  private cachedBlocks(id: string, first: number, last: number): Buffer | undefined {
    if (first === last) return this.lru.get(`${id}#${first}`);
    const parts: Buffer[] = [];
    for (let i = first; i <= last; i++) {
      const b = this.lru.get(`${id}#${i}`);
      if (!b) return undefined;
      parts.push(b);
    }
    return Buffer.concat(parts);
  }

  /** Keeps verified whole blocks (starting at block `first`) in RAM, each in its own buffer so evicting one frees it. */
  private keepBlocks(id: string, first: number, bytes: Buffer): void {
    const n = Math.ceil(bytes.length / BLOCK_BYTES);
    if (n === 1) {
      this.lru.set(`${id}#${first}`, bytes);
      return;
    }
    for (let i = 0; i < n; i++) this.lru.set(`${id}#${first + i}`, Buffer.from(bytes.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES)));
  }

  /**
   * The bytes of one chunk: from RAM, from a load already in flight, or loaded now (disk tier, else
   * fetched, starting at replica `spread` mod the replica count and failing over through the rest).
   */
  async get(chunk: ReadPlanChunk, spread = 0): Promise<Buffer> {
    const data = await this.obtain(chunk, spread);
    this.handedOut.add(data.buffer);
    return data;
  }

  /** As `get`, for this cache's own use: the buffer may be reused once evicted. */
  private obtain(chunk: ReadPlanChunk, spread = 0): Promise<Buffer> {
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
    const into = this.takeBuffer(chunk.size);
    let data: Buffer;
    try {
      // each replica gets a share of the fetch's deadline: a blackholed first one costs only its share
      data = await this.components.client.fetchChunk(chunk, { signal, deadlineMs: Date.now() + this.options.fetchTimeoutMs, ...(into ? { into } : {}) });
    } catch (err) {
      if (into) this.pool!.give(into);
      throw err;
    }
    if (disk && !this.shutdown.signal.aborted) this.putOnDisk(disk, chunk.id, data);
    return data;
  }

  /** A reused buffer for a chunk of `size` bytes (undefined: a small chunk gets its own). */
  private takeBuffer(size: number): Buffer | undefined {
    if (size < REUSED_BUFFER_MIN_BYTES) return undefined;
    if (!this.pool || this.pool.sizeBytes < size) this.pool = new BufferPool(size, REUSED_BUFFERS_KEPT);
    if (size * 2 < this.pool.sizeBytes) return undefined;
    if (this.pool.freeCount > 0) this.stats.buffersReused++;
    return this.pool.take();
  }

  /** An evicted chunk's buffer goes back to the pool unless it was handed out whole or its disk write is still running. */
  private reuse(data: Buffer): void {
    if (this.pool?.owns(data) && !this.handedOut.has(data.buffer) && !this.writing.has(data.buffer)) this.pool.give(data);
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
    this.writing.add(data.buffer);
    const w = disk.put(id, data).finally(() => {
      this.diskWrites.delete(w);
      this.writing.delete(data.buffer);
    });
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
      this.obtain(chunk, i)
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
