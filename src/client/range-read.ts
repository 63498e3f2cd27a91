/**
 * Reading a byte range of one chunk by its blocks (chunk-format.ts): the chunk's block list comes
 * from a replica once (GET /chunks/:id/blocks, checked against the id, then kept in a bounded
 * cache), and each read fetches only the 64 KiB blocks it covers with a Range GET and checks every
 * block against the list before a byte is returned. A replica that sends a bad list or a bad block
 * is reported and the next one tried (tryReplicas). A v1 chunk (whole SHA-256) is fetched and
 * verified whole, as before; so is any chunk whose range path failed on every replica (an older
 * chunkserver without the blocks route), so a range read never fails where a whole read works.
 */
import { CAP_HEADER, CLIENT_VERIFIES_HEADER, type ReadPlanChunk } from '../common/api.js';
import {
  BLOCK_HASH_BYTES, CHUNK_FORMAT_HEADER, blockCount, blockSpan, firstBadBlock, formatFromHeader, isTreeFormat, treeIdOf, type ChunkFormat, type TreeFormat,
} from '../common/chunk-format.js';
import { errors, RedCloudError, toRedCloudError } from '../common/errors.js';
import { request, throwIfAborted } from '../common/http-client.js';
import { fetchChunk, tryReplicas, type DownloadContext } from './download.js';

/** Bytes of block lists kept per client (2 KiB per 4 MiB chunk: 8 MiB covers 16 GiB of chunks). */
export const BLOCK_LISTS_MAX_BYTES = 8 * 1024 * 1024;

interface BlockList {
  format: ChunkFormat;
  hashes: Buffer;
}

/** Verified block lists by chunk id, least recently used dropped first, bounded in bytes. */
export class BlockLists {
  private readonly map = new Map<string, BlockList>();
  private bytes = 0;
  constructor(private readonly maxBytes = BLOCK_LISTS_MAX_BYTES) {}

  get(id: string): BlockList | undefined {
    const v = this.map.get(id);
    if (v) {
      this.map.delete(id);
      this.map.set(id, v);
    }
    return v;
  }

  set(id: string, v: BlockList): void {
    const old = this.map.get(id);
    if (old) this.bytes -= old.hashes.length + 64;
    this.map.delete(id);
    this.map.set(id, v);
    this.bytes += v.hashes.length + 64;
    for (const [k, e] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= e.hashes.length + 64;
    }
  }
}

async function readBody(body: AsyncIterable<Buffer>, maxBytes: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const piece of body) {
    n += piece.length;
    if (n > maxBytes) throw errors.integrity(`${what}: more than the ${maxBytes} bytes expected`);
    parts.push(piece);
  }
  return Buffer.concat(parts, n);
}

/** Network errors of a body read become UNAVAILABLE/TIMEOUT (as download.ts does); ours pass through. */
function asReadError(err: unknown, url: string, signal?: AbortSignal): RedCloudError {
  if (err instanceof RedCloudError) return err;
  throwIfAborted(signal, `Reading ${url}`);
  const e = toRedCloudError(err);
  return new RedCloudError(e.code === 'ABORTED' ? 'TIMEOUT' : e.code === 'INTERNAL' ? 'UNAVAILABLE' : e.code, `${url}: ${e.message}`, { url });
}

/** The block list of `chunk` from one replica, checked against the id; undefined for a v1 chunk. */
async function listFrom(base: string, serverId: string, chunk: ReadPlanChunk, timeoutMs: number, signal?: AbortSignal): Promise<BlockList> {
  const url = `${base}/chunks/${chunk.id}/blocks`;
  const res = await request(url, { headers: { [CAP_HEADER]: chunk.cap }, timeoutMs, signal });
  const format = formatFromHeader(res.headers.get(CHUNK_FORMAT_HEADER));
  const expected = blockCount(chunk.size) * BLOCK_HASH_BYTES;
  let hashes: Buffer;
  try {
    hashes = await readBody(res.body as AsyncIterable<Buffer>, expected, `Block list of chunk ${chunk.id} from ${serverId}`);
  } catch (err) {
    throw asReadError(err, url, signal);
  }
  if (format === undefined) throw errors.unavailable(`Replica ${serverId} named an unknown chunk format`, { serverId });
  if (!isTreeFormat(format)) return { format, hashes: Buffer.alloc(0) };
  if (hashes.length !== expected || treeIdOf(format, chunk.size, hashes) !== chunk.id) {
    throw errors.integrity(`Replica ${serverId} sent a block list that does not hash to chunk ${chunk.id}`, { serverId });
  }
  return { format, hashes };
}

/** Bytes [from, to) of `chunk` from replica `index`, every covered block verified; undefined when the chunk is v1. */
async function rangeFrom(
  ctx: DownloadContext, lists: BlockLists, chunk: ReadPlanChunk, index: number, from: number, to: number, timeoutMs: number, signal?: AbortSignal,
): Promise<Buffer | undefined> {
  const loc = chunk.locations[index]!;
  const base = loc.url.replace(/\/+$/, '');
  const list = lists.get(chunk.id) ?? (await listFrom(base, loc.id, chunk, timeoutMs, signal));
  lists.set(chunk.id, list);
  if (!isTreeFormat(list.format)) return undefined;
  const span = blockSpan(chunk.size, from, to);
  const url = `${base}/chunks/${chunk.id}`;
  const res = await request(url, {
    headers: { [CAP_HEADER]: chunk.cap, [CLIENT_VERIFIES_HEADER]: '1', range: `bytes=${span.start}-${span.end - 1}` }, timeoutMs, signal,
  });
  let bytes: Buffer;
  try {
    if (res.status !== 206) throw errors.unavailable(`Replica ${loc.id} did not serve a range (status ${res.status})`, { serverId: loc.id });
    bytes = await readBody(res.body as AsyncIterable<Buffer>, span.end - span.start, `Range of chunk ${chunk.id} from ${loc.id}`);
  } catch (err) {
    res.body.destroy();
    throw asReadError(err, url, signal);
  }
  if (bytes.length !== span.end - span.start) {
    throw errors.integrity(`Replica ${loc.id} sent ${bytes.length} bytes of blocks ${span.first}–${span.last} of chunk ${chunk.id}`, { serverId: loc.id });
  }
  const bad = firstBadBlock(list.format as TreeFormat, list.hashes, span.first, bytes);
  if (bad >= 0) throw errors.integrity(`Replica ${loc.id} sent block ${bad} of chunk ${chunk.id} that does not match its hash`, { serverId: loc.id, block: bad });
  return bytes.subarray(from - span.start, to - span.start);
}

/**
 * Bytes [from, to) of one chunk, verified: by its covered blocks for a tree chunk, whole for a v1
 * chunk (or when every replica failed the range path). Fails over as fetchChunk does.
 */
export async function fetchRange(
  ctx: DownloadContext, lists: BlockLists, chunk: ReadPlanChunk, from: number, to: number, signal?: AbortSignal, deadlineMs?: number,
): Promise<Buffer> {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= chunk.size && from <= to)) {
    throw errors.invalid(`Bad range [${from}, ${to}) of chunk ${chunk.id} of ${chunk.size} bytes`);
  }
  if (from === to) return Buffer.alloc(0);
  if (chunk.inline !== undefined) return (await fetchChunk(ctx, chunk, signal, deadlineMs)).subarray(from, to);
  const whole = async () => (await fetchChunk(ctx, chunk, signal, deadlineMs)).subarray(from, to);
  const known = lists.get(chunk.id);
  if (known && !isTreeFormat(known.format)) return whole();
  let part: Buffer | undefined;
  try {
    part = await tryReplicas(ctx, chunk, (i, timeoutMs) => rangeFrom(ctx, lists, chunk, i, from, to, timeoutMs, signal), signal, deadlineMs);
  } catch (err) {
    throwIfAborted(signal, `Reading chunk ${chunk.id}`);
    if (deadlineMs !== undefined && Date.now() >= deadlineMs) throw err;
    ctx.logger.warn({ chunkId: chunk.id, err: toRedCloudError(err).message }, 'Range read failed on every replica; reading the chunk whole');
  }
  return part ?? whole();
}
