/**
 * Stores chunks on chunkservers for an upload: asks a controller for placement in batches, HEADs
 * the targets the controller says already hold a chunk (the HEAD's receipt counts), PUTs to the
 * others in parallel (p-queue bounds the transfers), and collects the receipts. A placement with
 * a forward list (REPLICA_PIPELINE) is sent once, to the first target (pipeline-store.ts); the
 * copies the pipeline could not make are then sent directly. Memory is bounded: at most `concurrency` chunks are held at once. A chunk
 * succeeds with `writeQuorum` receipts; the first chunk that cannot aborts the whole upload.
 * Committing is the caller's job, so a failed upload commits nothing.
 */
import PQueue from 'p-queue';
import { PLACEMENT_BATCH_MAX } from './limits.js';
import { CAP_HEADER, PLACEMENT_WAIT_HEADER, RECEIPT_HEADER, type ChunkLocation, type PlacementChunk, type PlacementResponse } from '../common/api.js';
import { RedCloudError, errors, toRedCloudError } from '../common/errors.js';
import { request, requestJson, throwIfAborted } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import type { ChunkRef } from '../meta/types.js';
import { CHUNK_FORMAT_HEADER, type ChunkFormat } from '../common/chunk-format.js';
import type { ControllerPool } from './controllers.js';
import { Semaphore } from './semaphore.js';
import { storeByPipeline } from './pipeline-store.js';

export interface UploadContext {
  controllers: ControllerPool;
  authHeaders: () => Record<string, string>;
  requestTimeoutMs: number;
  concurrency: number;
  logger: Logger;
  placementBatch?: number;
  /** the format the chunk ids are in, named on every PUT (absent or 'sha256': v1, no header, as before) */
  chunkFormat?: ChunkFormat;
}

export interface ChunkToStore {
  ref: ChunkRef;
  data: Buffer;
  /** called once nothing reads `data` any more (stored, or skipped as a duplicate); not after a failure */
  release?: () => void;
}

export interface StoreOptions {
  signal?: AbortSignal;
  /** called once each placement answer arrived (phase timings of the caller) */
  onPlaced?: () => void;
  /** called with the size of each chunk once it reached quorum */
  onStored?: (sizeBytes: number) => void;
}

/** Receipts by chunk id. */
export type Receipts = Record<string, string[]>;

/** Stores every chunk of `chunks` (consumed lazily); resolves with the receipts or throws. */
export async function storeChunks(ctx: UploadContext, chunks: AsyncIterable<ChunkToStore>, opts: StoreOptions = {}): Promise<Receipts> {
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([abort.signal, opts.signal]) : abort.signal;
  const transfers = new PQueue({ concurrency: ctx.concurrency });
  const slots = new Semaphore(ctx.concurrency);
  const batchMax = Math.min(ctx.placementBatch ?? PLACEMENT_BATCH_MAX, PLACEMENT_BATCH_MAX);
  const receipts: Receipts = {};
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];
  let failure: RedCloudError | undefined;
  let batch: ChunkToStore[] = [];

  const fail = (err: unknown): void => {
    failure ??= toRedCloudError(err);
    abort.abort(failure);
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0 || failure) return;
    const taken = batch;
    batch = [];
    const placement = await place(ctx, taken.map((c) => c.ref), signal);
    opts.onPlaced?.();
    taken.forEach((chunk, i) => {
      const target = placement.chunks[i]!;
      const task = storeOne(ctx, transfers, chunk, target, placement.writeQuorum, signal).then(
        (got) => {
          receipts[chunk.ref.id] = got;
          chunk.release?.();
          opts.onStored?.(chunk.ref.size);
        },
        fail,
      );
      pending.push(task.finally(() => slots.release()));
    });
  };

  try {
    for await (const chunk of chunks) {
      if (failure) break;
      if (seen.has(chunk.ref.id)) {
        chunk.release?.();
        opts.onStored?.(chunk.ref.size);
        continue;
      }
      seen.add(chunk.ref.id);
      await slots.acquire(signal);
      batch.push(chunk);
      if (batch.length >= batchMax || slots.available() === 0) await flush();
    }
    await flush();
  } catch (err) {
    fail(err);
  }
  await Promise.all(pending);
  if (failure) throw failure;
  throwIfAborted(opts.signal, 'Upload');
  return receipts;
}

async function place(ctx: UploadContext, refs: ChunkRef[], signal: AbortSignal): Promise<PlacementResponse> {
  // The first controller asked may wait for chunkservers (PLACEMENT_WAIT, at most half this
  // request's timeout); the ones failed over to after it answered UNAVAILABLE answer at once, so
  // a cluster without chunkservers costs one wait, not one per controller and round.
  let waitMs = Math.floor(ctx.requestTimeoutMs / 2);
  const res = await ctx.controllers.call(
    (base, attempt) => {
      const headers = { ...ctx.authHeaders(), [PLACEMENT_WAIT_HEADER]: String(waitMs) };
      waitMs = 0;
      return requestJson<PlacementResponse>(`${base}/v1/fs/placement`, { method: 'POST', body: { chunks: refs }, headers, timeoutMs: ctx.requestTimeoutMs, signal: attempt });
    },
    signal,
  );
  if (!Array.isArray(res?.chunks) || res.chunks.length !== refs.length) {
    throw errors.unavailable(`Placement answered ${res?.chunks?.length ?? 'no'} chunks for ${refs.length}`);
  }
  res.chunks.forEach((c, i) => {
    if (c.id !== refs[i]!.id) throw errors.unavailable(`Placement answered chunk ${c.id} where ${refs[i]!.id} was asked`);
  });
  if (!Number.isInteger(res.writeQuorum) || res.writeQuorum < 1) res.writeQuorum = 1;
  return res;
}

/** Uploads one chunk to all its targets; resolves with its receipts once it has quorum. */
async function storeOne(ctx: UploadContext, transfers: PQueue, chunk: ChunkToStore, placement: PlacementChunk, writeQuorum: number, signal: AbortSignal): Promise<string[]> {
  let targets = placement.targets ?? [];
  const got: string[] = [];
  const failed: RedCloudError[] = [];
  if (placement.forward !== undefined && targets.length > 1 && placement.present?.length === 0) {
    // Replica pipeline: one PUT to the first hop; the copies it could not forward are sent directly.
    const forward = placement.forward;
    const piped = await transfers.add(() => storeByPipeline(ctx, targets, chunk, placement.cap, forward, ctx.chunkFormat, signal), { signal, throwOnTimeout: true });
    got.push(...piped.receipts);
    failed.push(...piped.errors);
    targets = targets.filter((t) => piped.missing.includes(t.id));
    if (piped.missing.length > 0 && !signal.aborted) ctx.logger.warn({ chunkId: chunk.ref.id, missing: piped.missing }, 'Replica pipeline fell short; sending those copies directly');
  }
  const results = await Promise.allSettled(
    targets.map((t) => {
      // HEAD only where the controller says the chunk already is (every target if it does not say)
      const head = placement.present ? placement.present.includes(t.id) : true;
      return transfers.add(() => storeOnTarget(ctx, t, chunk, placement.cap, signal, head), { signal, throwOnTimeout: true });
    }),
  );
  for (const [i, r] of results.entries()) {
    if (r.status === 'fulfilled') got.push(r.value);
    else {
      const e = toRedCloudError(r.reason);
      failed.push(e);
      if (!signal.aborted) ctx.logger.warn({ chunkId: chunk.ref.id, server: targets[i]!.id, code: e.code, err: e.message }, 'Chunk upload to a replica failed');
    }
  }
  targets = placement.targets ?? [];
  if (got.length >= writeQuorum) return got;
  throwIfAborted(signal, 'Upload');
  const codes = new Set(failed.map((e) => e.code));
  const code = codes.size === 1 ? [...codes][0]! : 'UNAVAILABLE';
  throw new RedCloudError(
    code === 'NOT_FOUND' ? 'UNAVAILABLE' : code,
    `Chunk ${chunk.ref.id.slice(0, 12)}… stored on ${got.length} of ${targets.length} chunkservers, ${writeQuorum} needed` +
      (failed[0] ? `: ${failed[0].message}` : ''),
    { chunkId: chunk.ref.id, stored: got.length, writeQuorum },
  );
}

/** HEAD when the chunk may be there already (its receipt counts: no PUT), else PUT. Resolves with the receipt. */
async function storeOnTarget(ctx: UploadContext, target: ChunkLocation, chunk: ChunkToStore, cap: string, signal: AbortSignal, head: boolean): Promise<string> {
  const url = `${target.url.replace(/\/+$/, '')}/chunks/${chunk.ref.id}`;
  const headers: Record<string, string> = { [CAP_HEADER]: cap };
  if (head) {
    try {
      const res = await request(url, { method: 'HEAD', headers, timeoutMs: ctx.requestTimeoutMs, signal });
      const receipt = res.headers.get(RECEIPT_HEADER);
      if (receipt) return receipt;
    } catch (err) {
      const e = toRedCloudError(err);
      if (e.code !== 'NOT_FOUND') throw e;
    }
  }
  if (ctx.chunkFormat && ctx.chunkFormat !== 'sha256') headers[CHUNK_FORMAT_HEADER] = ctx.chunkFormat;
  const res = await request(url, { method: 'PUT', body: chunk.data, headers, timeoutMs: ctx.requestTimeoutMs, signal });
  const fromHeader = res.headers.get(RECEIPT_HEADER);
  let fromBody: string | undefined;
  try {
    fromBody = ((await res.json()) as { receipt?: string } | null)?.receipt;
  } catch {
    /* no JSON body: the header must do */
  }
  const receipt = fromHeader ?? fromBody;
  if (!receipt) throw errors.unavailable(`${target.url} stored chunk ${chunk.ref.id} without a receipt`);
  return receipt;
}
