/**
 * Reading data: reads one chunk from its replicas in order, checking its size and id (in the
 * format the replica names, chunk-format.ts: a v1 chunk by its SHA-256, a tree chunk by its blocks),
 * failing over to the next replica on error, timeout or mismatch (p-retry, one attempt per
 * replica), and logs bad replicas. Given the operation's deadline, each attempt gets a share of
 * what remains of it (attempt-share.ts), so a replica that never answers cannot use it all up. A chunk fetched into memory (the mount) is hashed whole on the
 * thread pool; a whole-file download streams every chunk straight to its place in a temp file
 * beside the destination, hashing as it goes (no chunk held in memory; a retried chunk
 * overwrites its range), fsyncs and renames it; on failure the temp file is removed and the
 * destination is untouched.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import PQueue from 'p-queue';
import pRetry from 'p-retry';
import { CAP_HEADER, CLIENT_VERIFIES_HEADER, type ReadPlan, type ReadPlanChunk } from '../common/api.js';
import { RedCloudError, errors, toRedCloudError } from '../common/errors.js';
import { CHUNK_FORMAT_HEADER, ChunkHasher, chunkIdOf, formatFromHeader, type ChunkFormat } from '../common/chunk-format.js';
import { sha256HexAsync } from '../common/hash.js';
import { request, throwIfAborted } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import { ATTEMPT_FLOOR_MS, attemptTimeoutMs } from './attempt-share.js';
import type { Progress } from './types.js';
import { allOrAbort } from './all-or-abort.js';
import { writeExtents, type FetchRange } from './extent-download.js';
import { inlineChunkData } from './inline.js';

export interface DownloadContext {
  requestTimeoutMs: number;
  concurrency: number;
  logger: Logger;
  /** tells the cluster that a replica sent bytes that do not hash to the chunk id (fire and forget) */
  reportBad?: (chunk: ReadPlanChunk, serverId: string) => void;
}

/** Where one attempt's bytes go, in order as they arrive, and the hash of what it received. */
interface ChunkSink {
  write(piece: Buffer, at: number): void | Promise<void>;
  /** the id of the bytes written in the sink's format (called once, after the last piece) */
  digest(): Promise<string>;
}
/** A sink for one attempt, hashing in the format the replica named. */
type NewSink = (format: ChunkFormat) => ChunkSink;

/**
 * One attempt: GETs the chunk from one replica into a fresh sink. Throws INTEGRITY when the
 * replica sends too many or too few bytes or bytes that do not hash to the id; the caller then
 * retries with the next replica, whose bytes overwrite these.
 */
async function receiveFrom(
  ctx: DownloadContext, chunk: ReadPlanChunk, index: number, newSink: NewSink, timeoutMs: number, signal?: AbortSignal,
): Promise<void> {
  const loc = chunk.locations[index]!;
  const url = `${loc.url.replace(/\/+$/, '')}/chunks/${chunk.id}`;
  const res = await request(url, { headers: { [CAP_HEADER]: chunk.cap, [CLIENT_VERIFIES_HEADER]: '1' }, timeoutMs, signal });
  const format = formatFromHeader(res.headers.get(CHUNK_FORMAT_HEADER));
  if (format === undefined) {
    res.body.destroy();
    throw errors.unavailable(`Replica ${loc.id} named an unknown chunk format`, { serverId: loc.id });
  }
  const sink = newSink(format);
  let received = 0;
  try {
    for await (const piece of res.body as AsyncIterable<Buffer>) {
      if (received + piece.length > chunk.size) {
        throw errors.integrity(`Replica ${loc.id} sent more than the ${chunk.size} bytes of chunk ${chunk.id}`, { serverId: loc.id });
      }
      await sink.write(piece, received);
      received += piece.length;
    }
  } catch (err) {
    if (err instanceof RedCloudError) throw err;
    throwIfAborted(signal, `Reading chunk ${chunk.id}`);
    const e = toRedCloudError(err);
    throw new RedCloudError(e.code === 'ABORTED' ? 'TIMEOUT' : e.code === 'INTERNAL' ? 'UNAVAILABLE' : e.code, `${url}: ${e.message}`, { url });
  }
  if (received !== chunk.size) {
    throw errors.integrity(`Replica ${loc.id} sent ${received} bytes for chunk ${chunk.id} of ${chunk.size}`, { serverId: loc.id });
  }
  if ((await sink.digest()) !== chunk.id) {
    throw errors.integrity(`Replica ${loc.id} sent bytes that do not hash to chunk ${chunk.id}`, { serverId: loc.id });
  }
}

/** The timeout of attempt `index` (0-based) of `count`: a share of what remains before `deadlineMs`, else REQUEST_TIMEOUT. */
function attemptTimeout(ctx: DownloadContext, index: number, count: number, deadlineMs: number | undefined, chunkId: string): number {
  if (deadlineMs === undefined) return ctx.requestTimeoutMs;
  const ms = attemptTimeoutMs(deadlineMs - Date.now(), count - index, { floorMs: ATTEMPT_FLOOR_MS, capMs: ctx.requestTimeoutMs });
  if (ms <= 0) throw errors.timeout(`Reading chunk ${shortId(chunkId)}: the read's deadline passed`, { chunkId });
  return ms;
}
const shortId = (id: string): string => id.slice(0, 12);

/**
 * Runs `attempt(index, timeoutMs)` against a chunk's replicas in order until one succeeds (bounded:
 * one attempt each; with `deadlineMs`, each attempt within its share of the time left); a replica
 * that sent bad bytes (INTEGRITY) is reported.
 */
export async function tryReplicas<T>(
  ctx: DownloadContext, chunk: ReadPlanChunk, attempt: (index: number, timeoutMs: number) => Promise<T>, signal?: AbortSignal, deadlineMs?: number,
): Promise<T> {
  const locations = chunk.locations ?? [];
  if (locations.length === 0) throw errors.unavailable(`No live replica of chunk ${chunk.id}`, { chunkId: chunk.id });
  let last: RedCloudError | undefined;
  try {
    return await pRetry((n) => attempt(n - 1, attemptTimeout(ctx, n - 1, locations.length, deadlineMs, chunk.id)), {
      retries: locations.length - 1,
      minTimeout: 0,
      maxTimeout: 0,
      factor: 1,
      randomize: false,
      signal,
      shouldRetry: () => !signal?.aborted && !(deadlineMs !== undefined && Date.now() >= deadlineMs),
      onFailedAttempt: (err) => {
        const e = toRedCloudError(err);
        last = e;
        const loc = locations[err.attemptNumber - 1]!;
        const level = e.code === 'INTEGRITY' ? 'error' : 'warn';
        if (e.code === 'INTEGRITY') ctx.reportBad?.(chunk, loc.id);
        ctx.logger[level]({ chunkId: chunk.id, serverId: loc.id, url: loc.url, code: e.code, err: e.message, retriesLeft: err.retriesLeft },
          e.code === 'INTEGRITY' ? 'Bad replica' : 'Chunk read failed, trying the next replica');
      },
    });
  } catch (err) {
    throwIfAborted(signal, `Reading chunk ${chunk.id}`);
    const e = toRedCloudError(err);
    if (locations.length === 1) throw e;
    throw new RedCloudError(e.code, `All ${locations.length} replicas of chunk ${chunk.id} failed; last: ${(last ?? e).message}`, { chunkId: chunk.id });
  }
}

/** Reads one chunk, verified, into a new sink per attempt, trying its replicas in order. */
function receiveChunk(ctx: DownloadContext, chunk: ReadPlanChunk, newSink: NewSink, signal?: AbortSignal, deadlineMs?: number): Promise<void> {
  return tryReplicas(ctx, chunk, (index, timeoutMs) => receiveFrom(ctx, chunk, index, newSink, timeoutMs, signal), signal, deadlineMs);
}

/**
 * Fetches one chunk into memory, verified, failing over between its replicas, each attempt within
 * its share of the time left before `deadlineMs` (epoch ms; the caller's signal should fire then
 * too). The whole chunk is hashed at the end on the thread pool, so the event loop (the mount's
 * FUSE queue) stays free. `into` (at least chunk.size bytes) receives the bytes instead of a new
 * buffer, e.g. one a cache reuses; the answer is then a view of it.
 */
export async function fetchChunk(ctx: DownloadContext, chunk: ReadPlanChunk, signal?: AbortSignal, deadlineMs?: number, into?: Buffer): Promise<Buffer> {
  // an inline chunk's bytes came with the plan (its inode record)
  if (chunk.inline !== undefined) return inlineChunkData(chunk);
  if (into && into.length < chunk.size) throw errors.invalid(`A ${into.length}-byte buffer cannot hold chunk ${chunk.id} of ${chunk.size} bytes`);
  const data = into ? into.subarray(0, chunk.size) : Buffer.allocUnsafe(chunk.size);
  await receiveChunk(ctx, chunk, (format) => ({
    write: (piece, at) => {
      piece.copy(data, at);
    },
    // v1: SHA-256 on the thread pool; a tree (BLAKE3 blocks) costs ~1 ms per 4 MiB on the loop
    digest: async () => (format === 'sha256' ? sha256HexAsync(data) : chunkIdOf(format, data)),
  }), signal, deadlineMs);
  return data;
}

export interface DownloadToFileOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** verified range reads, for a file in extents (extent-download.ts) */
  fetchRange?: FetchRange;
}

/** Writes the file of `plan` to `localPath` atomically (temp file + fsync + rename). */
export async function downloadToFile(ctx: DownloadContext, plan: ReadPlan, localPath: string, opts: DownloadToFileOptions = {}): Promise<void> {
  const totalBytes = plan.entry.size;
  const inline = inlineBytes(plan);
  const sum = inline ? inline.length : plan.chunks.reduce((n, c) => n + c.size, 0);
  if (plan.extents && !opts.fetchRange) throw errors.invalid(`Read plan of ${plan.entry.path} is in extents; a range reader is needed`);
  if (!plan.extents && sum !== totalBytes) throw errors.integrity(`Read plan of ${plan.entry.path} covers ${sum} bytes of ${totalBytes}`);
  const tmp = join(dirname(localPath), `.${basename(localPath)}.redcloud-${randomBytes(6).toString('hex')}.part`);
  const fh = await open(tmp, 'wx', 0o600);
  let closed = false;
  try {
    if (inline) {
      await fh.write(inline, 0, inline.length, 0);
      opts.onProgress?.({ doneBytes: inline.length, totalBytes });
    } else if (plan.extents) await writeExtents(plan, fh, opts.fetchRange!, ctx.concurrency, opts);
    else await writeChunks(ctx, plan, fh, opts);
    await fh.truncate(totalBytes);
    await fh.chmod((plan.entry.mode & 0o7777) || 0o644);
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(tmp, localPath);
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw toRedCloudError(err);
  }
}

/**
 * A small file's bytes carried by its read plan (content inline in the inode record: no chunk, no
 * chunkserver), or undefined for a file in chunks. INTEGRITY if they are not the entry's size.
 */
export function inlineBytes(plan: ReadPlan): Buffer | undefined {
  if (typeof plan.inline !== 'string') return undefined;
  const data = Buffer.from(plan.inline, 'base64');
  if (data.length !== plan.entry.size || plan.chunks.length > 0) {
    throw errors.integrity(`Read plan of ${plan.entry.path} has ${data.length} inline bytes (and ${plan.chunks.length} chunks) for a size of ${plan.entry.size}`);
  }
  return data;
}

/** Bytes gathered before one positional write of a streamed chunk. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Streams a chunk to its place in the file as it arrives, hashing on the way and coalescing socket
 * pieces into 1 MiB writes, so a download holds no whole chunk (less memory than buffering, and
 * as fast here). A retry from the next replica rewrites the range.
 */
async function writeChunkAt(ctx: DownloadContext, chunk: ReadPlanChunk, fh: FileHandle, signal: AbortSignal): Promise<void> {
  if (chunk.inline !== undefined) {
    const data = inlineChunkData(chunk);
    await fh.write(data, 0, data.length, chunk.offset);
    return;
  }
  const batch = Buffer.allocUnsafe(Math.min(WRITE_BATCH_BYTES, chunk.size));
  await receiveChunk(ctx, chunk, (format) => {
    const hash = new ChunkHasher(format);
    let batchStart = 0;
    let batchLength = 0;
    const flush = async (): Promise<void> => {
      if (batchLength > 0) await fh.write(batch, 0, batchLength, chunk.offset + batchStart);
      batchLength = 0;
    };
    return {
      write: async (piece, at) => {
        hash.update(piece);
        if (batchLength > 0 && batchLength + piece.length > batch.length) await flush();
        if (batchLength === 0) batchStart = at;
        if (piece.length >= batch.length) {
          await fh.write(piece, 0, piece.length, chunk.offset + at);
          return;
        }
        piece.copy(batch, batchLength);
        batchLength += piece.length;
      },
      digest: async () => {
        await flush();
        return hash.digestHex();
      },
    };
  }, signal);
}

async function writeChunks(ctx: DownloadContext, plan: ReadPlan, fh: FileHandle, opts: DownloadToFileOptions): Promise<void> {
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([abort.signal, opts.signal]) : abort.signal;
  const queue = new PQueue({ concurrency: ctx.concurrency });
  let doneBytes = 0;
  const tasks = plan.chunks.map((chunk) =>
    queue.add(async () => {
      await writeChunkAt(ctx, chunk, fh, signal);
      throwIfAborted(signal, 'Download');
      doneBytes += chunk.size;
      opts.onProgress?.({ doneBytes, totalBytes: plan.entry.size });
    }, { signal }),
  );
  await allOrAbort(tasks, abort, opts.signal);
  throwIfAborted(opts.signal, 'Download');
}
