/**
 * The disk ChunkStore: $DATA_DIR/chunks/<first 2 hex>/<id>, and beside a chunk of a tree format
 * (chunk-format.ts) its block list in <id>.<format> (n × 32 bytes; a v1 'sha256' chunk has none,
 * so a data dir written before block hashes opens as it is). A put streams into
 * $DATA_DIR/tmp while hashing and counting, refuses oversize, wrong-hash and no-space writes
 * (removing the temp file), fsyncs the file (beside the block list's write and fsync), renames it
 * into place and fsyncs the directory, so
 * a chunk is whole or absent (the block list is renamed into place before the chunk). The in-memory
 * index (id → size, id → tree format) answers has/list/usage.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChunkHasher, isChunkFormat, isTreeFormat, type ChunkFormat, type TreeFormat } from '../common/chunk-format.js';
import { errors, RedCloudError, toRedCloudError } from '../common/errors.js';
import { assertChunkId, isChunkId } from '../common/hash.js';
import type { Logger } from '../common/logger.js';
import { availableBytes, capacityOf, type CapacityInput } from './capacity.js';
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../common/private-files.js';
import { HashMeter } from './meter.js';
import {
  MAX_CHUNK_BYTES, RANGE_IN_MEMORY_MAX, type ChangeListener, type ChunkBlocks, type ChunkReader, type ChunkStore, type PutOptions, type PutResult, type StoreUsage,
} from './store.js';

export interface DiskStoreOptions {
  dataDir: string;
  /** CAPACITY_BYTES, 0 = the disk */
  quotaBytes: number;
  minFreeBytes: number;
  logger: Logger;
  /** Free bytes of the disk; defaults to fs.statfs of dataDir. Injected by tests. */
  diskFreeBytes?: (dir: string) => Promise<number>;
}

async function statfsFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export function createDiskStore(opts: DiskStoreOptions): ChunkStore {
  const chunksDir = join(opts.dataDir, 'chunks');
  const tmpDir = join(opts.dataDir, 'tmp');
  const log = opts.logger.child({ component: 'store' });
  const diskFree = opts.diskFreeBytes ?? statfsFreeBytes;
  const index = new Map<string, number>();
  /** chunks of a tree format (absent: v1 'sha256') */
  const formats = new Map<string, TreeFormat>();
  const listeners = new Set<ChangeListener>();
  let usedBytes = 0;
  let reservedBytes = 0;
  let diskFreeBytes = 0;
  let largestChunkBytes = 0;

  const pathOf = (id: string) => join(chunksDir, id.slice(0, 2), id);
  const blocksPathOf = (id: string, format: TreeFormat) => `${pathOf(id)}.${format}`;
  const formatOf = (id: string): ChunkFormat => formats.get(id) ?? 'sha256';
  const capInput = (): CapacityInput => ({
    quotaBytes: opts.quotaBytes, minFreeBytes: opts.minFreeBytes, usedBytes, reservedBytes, diskFreeBytes, largestChunkBytes,
  });
  const emit = (type: 'added' | 'removed', id: string) => {
    for (const l of listeners) l({ type, id });
  };
  const usage = (): StoreUsage => ({ usedBytes, chunkCount: index.size, ...capacityOf(capInput()) });
  const refreshUsage = async (): Promise<StoreUsage> => {
    diskFreeBytes = await diskFree(opts.dataDir);
    return usage();
  };

  async function loadIndex(): Promise<void> {
    for (const sub of await readdir(chunksDir)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      const names = await readdir(join(chunksDir, sub));
      const lists = new Map<string, TreeFormat>();
      for (const name of names) {
        const [id, format, ...rest] = name.split('.');
        if (rest.length === 0 && isChunkId(id) && isChunkFormat(format) && isTreeFormat(format)) lists.set(id, format);
      }
      for (const name of names) {
        if (lists.get(name.split('.')[0]!) !== undefined && name.includes('.')) continue; // a block list
        if (!isChunkId(name) || name.slice(0, 2) !== sub) {
          log.warn({ file: join(sub, name) }, 'Ignoring a file that is not a chunk');
          continue;
        }
        const s = await stat(join(chunksDir, sub, name));
        const format = lists.get(name);
        if (format) formats.set(name, format);
        index.set(name, s.size);
        usedBytes += s.size;
        largestChunkBytes = Math.max(largestChunkBytes, s.size);
      }
    }
  }

  /** Hashes a body for a chunk we already hold, without writing it. */
  async function drainAndCheck(id: string, source: Readable | AsyncIterable<Uint8Array>, format: ChunkFormat, signal?: AbortSignal): Promise<PutResult> {
    const meter = new HashMeter((n) => {
      if (n > MAX_CHUNK_BYTES) throw errors.tooLarge(`Chunk is larger than ${MAX_CHUNK_BYTES} bytes`);
    }, format);
    const sink = new Writable({ highWaterMark: 1 << 20, write: (_c, _e, cb) => cb() });
    await pipeline(source, meter, sink, { signal });
    if (meter.digestHex() !== id) throw errors.integrity('Chunk bytes do not hash to its id', { id });
    return { id, sizeBytes: index.get(id) ?? meter.bytes, created: false };
  }

  async function writeNew(id: string, source: Readable | AsyncIterable<Uint8Array>, opts2: PutOptions): Promise<PutResult> {
    const format = opts2.format ?? 'sha256';
    const tmp = join(tmpDir, `${id}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const tmpBlocks = `${tmp}.blocks`;
    let reserved = 0;
    const reserve = (n: number) => {
      if (n <= reserved) return;
      if (availableBytes(capInput()) < n - reserved) {
        throw errors.noSpace('No space left for this chunk on this chunkserver', { id, freeBytes: availableBytes(capInput()) });
      }
      reservedBytes += n - reserved;
      reserved = n;
    };
    try {
      diskFreeBytes = await diskFree(opts.dataDir);
      // A declared size that cannot fit is refused before a byte is read, but only bytes that
      // have arrived are reserved: a stalled upload holds no more space than it has sent.
      const declared = opts2.expectedSizeBytes ?? 0;
      if (declared > availableBytes(capInput())) {
        throw errors.noSpace('No space left for this chunk on this chunkserver', { id, freeBytes: availableBytes(capInput()) });
      }
      const meter = new HashMeter((n) => {
        if (n > MAX_CHUNK_BYTES) throw errors.tooLarge(`Chunk is larger than ${MAX_CHUNK_BYTES} bytes`);
        reserve(n);
      }, format);
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx', mode: PRIVATE_FILE_MODE, highWaterMark: 1 << 20 }), { signal: opts2.signal });
      if (meter.digestHex() !== id) throw errors.integrity('Chunk bytes do not hash to its id', { id, sizeBytes: meter.bytes });
      const dir = join(chunksDir, id.slice(0, 2));
      // the chunk's fsync, the block list's write + fsync and the mkdir run side by side (one disk
      // flush of latency instead of two in a row); both files are synced before either is renamed
      await allOrFirstError([
        fsyncPath(tmp),
        isTreeFormat(format) ? writeSynced(tmpBlocks, meter.hash.blocks()) : Promise.resolve(),
        mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE }),
      ]);
      if (isTreeFormat(format)) await rename(tmpBlocks, blocksPathOf(id, format));
      await rename(tmp, pathOf(id));
      await fsyncPath(dir);
      const created = !index.has(id);
      if (isTreeFormat(format)) formats.set(id, format);
      if (created) {
        index.set(id, meter.bytes);
        usedBytes += meter.bytes;
        largestChunkBytes = Math.max(largestChunkBytes, meter.bytes);
        emit('added', id);
      }
      return { id, sizeBytes: meter.bytes, created };
    } catch (err) {
      for (const f of [tmp, tmpBlocks]) await rm(f, { force: true }).catch((e: unknown) => log.error({ err: e, tmp: f }, 'Could not remove a temp file'));
      throw toRedCloudError(err);
    } finally {
      reservedBytes -= reserved;
    }
  }

  return {
    async open() {
      await ensurePrivateDir(chunksDir);
      await rm(tmpDir, { recursive: true, force: true });
      await ensurePrivateDir(tmpDir);
      await loadIndex();
      await refreshUsage();
      log.info({ chunkCount: index.size, usedBytes }, 'Chunk store opened');
    },
    async close() {
      listeners.clear();
    },
    async put(id, source, putOpts = {}) {
      assertChunkId(id);
      if (putOpts.expectedSizeBytes !== undefined && putOpts.expectedSizeBytes > MAX_CHUNK_BYTES) {
        throw errors.tooLarge(`Chunk is larger than ${MAX_CHUNK_BYTES} bytes`, { sizeBytes: putOpts.expectedSizeBytes });
      }
      if (index.has(id) && !putOpts.rewrite) {
        try {
          return await drainAndCheck(id, source, putOpts.format ?? 'sha256', putOpts.signal);
        } catch (err) {
          throw toRedCloudError(err);
        }
      }
      return writeNew(id, source, putOpts);
    },
    async get(id, range) {
      assertChunkId(id);
      if (!index.has(id)) throw errors.notFound('No such chunk here', { id });
      let fh;
      try {
        fh = await open(pathOf(id), 'r');
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') throw errors.notFound('No such chunk here', { id });
        throw toRedCloudError(err);
      }
      const recorded = index.get(id);
      if (range && recorded !== undefined && range.end - range.start <= RANGE_IN_MEMORY_MAX) return readRangeOf(id, fh, range, recorded);
      const { size } = await fh.stat();
      if (range && !(range.start >= 0 && range.end > range.start && range.end <= size)) {
        await fh.close();
        throw errors.invalid(`Range [${range.start}, ${range.end}) is outside the chunk of ${size} bytes`, { id, size });
      }
      const stream = range
        ? fh.createReadStream({ highWaterMark: 1 << 20, start: range.start, end: range.end - 1 })
        : fh.createReadStream({ highWaterMark: 1 << 20 });
      const reader: ChunkReader = { stream, sizeBytes: range ? range.end - range.start : size };
      return reader;
    },
    async blocks(id): Promise<ChunkBlocks> {
      assertChunkId(id);
      if (!index.has(id)) throw errors.notFound('No such chunk here', { id });
      const format = formatOf(id);
      if (!isTreeFormat(format)) return { format, hashes: Buffer.alloc(0) };
      try {
        return { format, hashes: await readFile(blocksPathOf(id, format)) };
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') throw errors.notFound('No such chunk here', { id });
        throw toRedCloudError(err);
      }
    },
    has: (id) => index.has(id),
    formatOf: (id) => (index.has(id) ? formatOf(id) : undefined),
    sizeOf: (id) => index.get(id),
    async delete(id) {
      assertChunkId(id);
      const size = index.get(id);
      if (size === undefined) return false;
      const format = formats.get(id);
      index.delete(id);
      formats.delete(id);
      usedBytes -= size;
      emit('removed', id);
      for (const file of [pathOf(id), ...(format ? [blocksPathOf(id, format)] : [])]) {
        await unlink(file).catch((err: { code?: string }) => {
          if (err.code !== 'ENOENT') throw toRedCloudError(err);
        });
      }
      return true;
    },
    list: () => [...index.keys()],
    async verify(id, vOpts = {}) {
      assertChunkId(id);
      if (!index.has(id)) throw errors.notFound('No such chunk here', { id });
      const format = formatOf(id);
      const meter = new ChunkHasher(format);
      const onBytes = vOpts.onBytes;
      const stream = createReadStream(pathOf(id), { highWaterMark: 1 << 20, signal: vOpts.signal });
      try {
        for await (const piece of stream) {
          meter.update(piece as Buffer);
          if (onBytes) await onBytes((piece as Buffer).length);
        }
      } catch (err) {
        if (err instanceof RedCloudError) throw err;
        if ((err as { code?: string }).code === 'ENOENT') throw errors.notFound('No such chunk here', { id });
        throw toRedCloudError(err);
      }
      if (meter.digestHex() !== id) return false;
      if (!isTreeFormat(format)) return true;
      // the served block list must be the one the bytes give (a rotten list would fail every range read)
      const stored = await readFile(blocksPathOf(id, format)).catch(() => Buffer.alloc(0));
      return stored.equals(meter.blocks());
    },
    usage,
    refreshUsage,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Bytes [start, end) of an open chunk file in one pread, the file closed after: a file shorter than
 * the size recorded for it is UNAVAILABLE here (the reader tries another replica; the scrubber
 * finds the damage), a range past the recorded size INVALID.
 */
async function readRangeOf(id: string, fh: FileHandle, range: { start: number; end: number }, recorded: number): Promise<ChunkReader> {
  try {
    if (!(range.start >= 0 && range.end > range.start && range.end <= recorded)) {
      throw errors.invalid(`Range [${range.start}, ${range.end}) is outside the chunk of ${recorded} bytes`, { id, size: recorded });
    }
    const len = range.end - range.start;
    const bytes = Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(bytes, 0, len, range.start);
    if (bytesRead !== len) throw errors.unavailable(`Chunk ${id} is shorter on disk than the ${recorded} bytes recorded`, { id });
    return { bytes, sizeBytes: len };
  } finally {
    await fh.close();
  }
}

async function writeSynced(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Waits for every one (so no temp file appears after the caller's cleanup), then throws the first failure. */
async function allOrFirstError(work: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** fsync of a directory, or of a file written and closed before (fsync covers the file, whichever descriptor asks). */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
