/**
 * Reading data: fetches one chunk from its replicas in order, verifying size and SHA-256, failing
 * over to the next replica on error, timeout or mismatch (p-retry, one attempt per replica), and
 * logs bad replicas. Downloads a whole file into a temp file beside the destination (positional
 * writes, at most `concurrency` chunks in memory), fsyncs and renames it; on failure the temp file
 * is removed and the destination is untouched.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import PQueue from 'p-queue';
import pRetry from 'p-retry';
import { CAP_HEADER, type ReadPlan, type ReadPlanChunk } from '../common/api.js';
import { RedCloudError, errors, toRedCloudError } from '../common/errors.js';
import { sha256Hex } from '../common/hash.js';
import { request, throwIfAborted } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import type { Progress } from './types.js';

export interface DownloadContext {
  requestTimeoutMs: number;
  concurrency: number;
  logger: Logger;
}

/** One attempt: GET the chunk from one replica and verify it. */
async function fetchFrom(ctx: DownloadContext, chunk: ReadPlanChunk, index: number, signal?: AbortSignal): Promise<Buffer> {
  const loc = chunk.locations[index]!;
  const url = `${loc.url.replace(/\/+$/, '')}/chunks/${chunk.id}`;
  const res = await request(url, { headers: { [CAP_HEADER]: chunk.cap }, timeoutMs: ctx.requestTimeoutMs, signal });
  let data: Buffer;
  try {
    data = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throwIfAborted(signal, `Reading chunk ${chunk.id}`);
    const e = toRedCloudError(err);
    throw new RedCloudError(e.code === 'ABORTED' ? 'TIMEOUT' : e.code === 'INTERNAL' ? 'UNAVAILABLE' : e.code, `${url}: ${e.message}`, { url });
  }
  if (data.length !== chunk.size) {
    throw errors.integrity(`Replica ${loc.id} sent ${data.length} bytes for chunk ${chunk.id} of ${chunk.size}`, { serverId: loc.id });
  }
  if (sha256Hex(data) !== chunk.id) {
    throw errors.integrity(`Replica ${loc.id} sent bytes that do not hash to chunk ${chunk.id}`, { serverId: loc.id });
  }
  return data;
}

/** Fetches one chunk, verified, trying its replicas in order (bounded: one attempt each). */
export async function fetchChunk(ctx: DownloadContext, chunk: ReadPlanChunk, signal?: AbortSignal): Promise<Buffer> {
  const locations = chunk.locations ?? [];
  if (locations.length === 0) throw errors.unavailable(`No live replica of chunk ${chunk.id}`, { chunkId: chunk.id });
  let last: RedCloudError | undefined;
  try {
    return await pRetry((attempt) => fetchFrom(ctx, chunk, attempt - 1, signal), {
      retries: locations.length - 1,
      minTimeout: 0,
      maxTimeout: 0,
      factor: 1,
      randomize: false,
      signal,
      shouldRetry: () => !signal?.aborted,
      onFailedAttempt: (err) => {
        const e = toRedCloudError(err);
        last = e;
        const loc = locations[err.attemptNumber - 1]!;
        const level = e.code === 'INTEGRITY' ? 'error' : 'warn';
        // POST /internal/report-bad is cluster-only: the client logs the bad replica.
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

export interface DownloadToFileOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Writes the file of `plan` to `localPath` atomically (temp file + fsync + rename). */
export async function downloadToFile(ctx: DownloadContext, plan: ReadPlan, localPath: string, opts: DownloadToFileOptions = {}): Promise<void> {
  const totalBytes = plan.entry.size;
  const sum = plan.chunks.reduce((n, c) => n + c.size, 0);
  if (sum !== totalBytes) throw errors.integrity(`Read plan of ${plan.entry.path} covers ${sum} bytes of ${totalBytes}`);
  const tmp = join(dirname(localPath), `.${basename(localPath)}.redcloud-${randomBytes(6).toString('hex')}.part`);
  const fh = await open(tmp, 'wx', 0o600);
  let closed = false;
  try {
    await writeChunks(ctx, plan, fh, opts);
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

async function writeChunks(ctx: DownloadContext, plan: ReadPlan, fh: import('node:fs/promises').FileHandle, opts: DownloadToFileOptions): Promise<void> {
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([abort.signal, opts.signal]) : abort.signal;
  const queue = new PQueue({ concurrency: ctx.concurrency });
  let doneBytes = 0;
  const tasks = plan.chunks.map((chunk) =>
    queue.add(async () => {
      const data = await fetchChunk(ctx, chunk, signal);
      throwIfAborted(signal, 'Download');
      await fh.write(data, 0, data.length, chunk.offset);
      doneBytes += data.length;
      opts.onProgress?.({ doneBytes, totalBytes: plan.entry.size });
    }, { signal }),
  );
  try {
    await Promise.all(tasks);
  } catch (err) {
    abort.abort(err);
    await Promise.allSettled(tasks);
    throwIfAborted(opts.signal, 'Download');
    throw err;
  }
  throwIfAborted(opts.signal, 'Download');
}
