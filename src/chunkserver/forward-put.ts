/**
 * The replica pipeline's forwarding step on a chunkserver: a PUT that carries a signed forward
 * list (forward-list.ts) naming hops after this one is split in two as it arrives, one stream
 * into the local store (which verifies, fsyncs and renames as for any PUT) and one PUT to the
 * next hop with the same capability and list. The bytes move at the pace of the slower side. A
 * next hop that fails or is cut off does not fail this one: its error becomes a link of the chain
 * the client gets back, and the client sends that copy itself. Each hop verifies what it got, so
 * a hop that forwards corrupt bytes only costs the next hop's copy, never a torn or wrong chunk.
 */
import { PassThrough, type Readable } from 'node:stream';
import { CAP_HEADER, type ChunkPutResponse } from '../common/api.js';
import { CHUNK_FORMAT_HEADER } from '../common/chunk-format.js';
import { errors, toRedCloudError } from '../common/errors.js';
import { FORWARD_HEADER, parseChain, type ChainLink, type ForwardHop } from '../common/forward-list.js';
import { request } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';

export interface ForwardOptions {
  id: string;
  hops: ForwardHop[];
  cap: string;
  forward: string;
  format?: string;
  sizeBytes?: number;
  timeoutMs: number;
  /** the daemon's shutdown and the upstream request's end */
  signal: AbortSignal;
  logger: Logger;
}

export interface Forwarding {
  /** the bytes for the local store */
  local: Readable;
  /** what the next hop and the ones after it answered (never rejects) */
  chain: Promise<ChainLink[]>;
  /** stops forwarding (the local copy failed) */
  cancel(): void;
}

export function forwardWhileStoring(source: Readable, o: ForwardOptions): Forwarding {
  const local = new PassThrough({ highWaterMark: 1 << 20 });
  const down = new PassThrough({ highWaterMark: 1 << 20 });
  source.pipe(local);
  source.pipe(down);
  source.once('error', (err) => {
    local.destroy(err);
    down.destroy(err);
  });
  const cancelled = new AbortController();
  const next = o.hops[0]!;
  const chain = (async (): Promise<ChainLink[]> => {
    const headers: Record<string, string> = { [CAP_HEADER]: o.cap, [FORWARD_HEADER]: o.forward, 'content-type': 'application/octet-stream' };
    if (o.format) headers[CHUNK_FORMAT_HEADER] = o.format;
    if (o.sizeBytes !== undefined) headers['content-length'] = String(o.sizeBytes);
    const url = `${next.u.replace(/\/+$/, '')}/chunks/${o.id}`;
    try {
      const res = await request(url, { method: 'PUT', body: down, headers, timeoutMs: o.timeoutMs, signal: AbortSignal.any([o.signal, cancelled.signal]) });
      const answer = (await res.json()) as Partial<ChunkPutResponse> | null;
      if (typeof answer?.receipt !== 'string') throw errors.unavailable(`${next.u} stored chunk ${o.id} without a receipt`);
      return [{ id: next.i, receipt: answer.receipt }, ...parseChain(answer.chain, o.hops.length - 1)];
    } catch (err) {
      source.unpipe(down);
      down.destroy();
      const e = toRedCloudError(err);
      if (!cancelled.signal.aborted) o.logger.warn({ chunkId: o.id, next: next.i, code: e.code, err: e.message }, 'Replica pipeline: forwarding to the next chunkserver failed');
      return [{ id: next.i, code: e.code, message: e.message }];
    }
  })();
  return { local, chain, cancel: () => cancelled.abort() };
}
