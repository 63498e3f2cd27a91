/**
 * The ChunkStore interface: content-addressed, immutable chunks that are whole or absent. Two
 * implementations pass one shared test suite: the disk store (disk-store.ts) and an in-memory
 * one for tests (memory-store.ts). Capacity decisions are pure and live in capacity.ts.
 */
import type { Readable } from 'node:stream';
import type { ChunkFormat } from '../common/chunk-format.js';

/** Hard cap on one chunk, whatever CHUNK_SIZE the controllers announce. */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

export interface PutResult {
  id: string;
  sizeBytes: number;
  /** false when the chunk was already stored (the put is idempotent) */
  created: boolean;
}

/** A chunk (or range) being read: streamed, or for a small range read whole into memory. */
export type ChunkReader = { stream: Readable; sizeBytes: number } | { bytes: Buffer; sizeBytes: number };

/** Ranges up to this size are read in one pread and answered from memory (a random 4 KiB read moves one 64 KiB block). */
export const RANGE_IN_MEMORY_MAX = 1024 * 1024;

export interface StoreUsage {
  /** bytes of stored chunks */
  usedBytes: number;
  chunkCount: number;
  /** CAPACITY_BYTES, or used + disk free when the quota is 0 */
  capacityBytes: number;
  /** bytes that new chunks may still take */
  freeBytes: number;
  /** true when the store refuses new chunks */
  full: boolean;
}

export type ChangeListener = (change: { type: 'added' | 'removed'; id: string }) => void;

export interface PutOptions {
  signal?: AbortSignal;
  /** the content-length, when known: lets a full store refuse before reading a byte */
  expectedSizeBytes?: number;
  /**
   * Write (and verify) the bytes even when the chunk is already stored, so that the answer, the
   * space check and the time taken do not tell whether it was (a PUT with a no-dedup capability).
   */
  rewrite?: boolean;
  /** the format the id claims (chunk-format.ts); 'sha256' (v1) when absent */
  format?: ChunkFormat;
}

/** A stored chunk's format and, for a tree format, its block list (n × 32 bytes). */
export interface ChunkBlocks {
  format: ChunkFormat;
  hashes: Buffer;
}

export interface ChunkStore {
  /** Loads the inventory and removes stale temp files. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Streams `source` into the store; 422 INTEGRITY if it does not hash to `id`, 507 NO_SPACE, 413 TOO_LARGE. */
  put(id: string, source: Readable | AsyncIterable<Uint8Array>, opts?: PutOptions): Promise<PutResult>;
  /** 404 NOT_FOUND when absent. With `range`, bytes [start, end) only (end ≤ size); a range up to RANGE_IN_MEMORY_MAX may come as bytes. */
  get(id: string, range?: { start: number; end: number }): Promise<ChunkReader>;
  /** The stored format (from the index, no I/O), or undefined when absent. */
  formatOf(id: string): ChunkFormat | undefined;
  /** The stored format and block list; 404 NOT_FOUND when absent. */
  blocks(id: string): Promise<ChunkBlocks>;
  has(id: string): boolean;
  /** Size of a stored chunk, or undefined. */
  sizeOf(id: string): number | undefined;
  /** Returns true when something was deleted. */
  delete(id: string): Promise<boolean>;
  list(): string[];
  /** Re-hashes a stored chunk (and checks its block list); false when its bytes no longer match its id. `onBytes` may throttle. */
  verify(id: string, opts?: { signal?: AbortSignal; onBytes?: (n: number) => Promise<void> | void }): Promise<boolean>;
  usage(): StoreUsage;
  /** Re-reads the disk's free space (usage() answers from the last reading). */
  refreshUsage(): Promise<StoreUsage>;
  onChange(listener: ChangeListener): () => void;
}
