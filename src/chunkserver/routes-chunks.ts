/**
 * The chunk routes (api.ts): PUT/GET/HEAD/DELETE /chunks/:id with streaming bodies. A PUT body
 * is handed over as the raw request stream (never buffered) and streamed into the store; a GET
 * answers with a file stream and its content-length. A write capability marked no-dedup (`nd`:
 * the user owns no file with that chunk) learns nothing about whether the chunk is here: HEAD is
 * refused outright and PUT always writes the bytes and answers 201. PUTs are bounded per client
 * address (PUTS_PER_CLIENT_MAX) and a body that stalls for PUT_STALL_TIMEOUT is cut off.
 * Block-verified chunks (chunk-format.ts): a PUT names the format its id claims in
 * x-redcloud-chunk-format (none: v1 'sha256'); a GET answers with the stored format, serves one
 * `Range: bytes=a-b` to readers that verify (206), and GET /chunks/:id/blocks serves the block list.
 * A PUT with a signed forward list (x-redcloud-forward) also streams the chunk on to the next hop
 * the list names (forward-put.ts) and answers that hop's receipts in `chain`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PassThrough, Readable } from 'node:stream';
import { CAP_HEADER, CLIENT_VERIFIES_HEADER, RECEIPT_HEADER, type ChunkPutResponse } from '../common/api.js';
import { CHUNK_FORMAT_HEADER, formatFromHeader } from '../common/chunk-format.js';
import { RedCloudError, errors } from '../common/errors.js';
import { assertChunkId } from '../common/hash.js';
import type { Logger } from '../common/logger.js';
import { issueReceipt, type Signer } from '../common/tokens.js';
import { pipeline } from 'node:stream';
import { authorizeChunk } from './auth.js';
import type { ChunkserverMetrics } from './metrics.js';
import type { PutAdmission } from './put-admission.js';
import { StallGuard } from './stall-guard.js';
import type { ChunkStore } from './store.js';
import { VerifyingStream } from './verify-stream.js';
import { FORWARD_HEADER, hopsAfter, type ChainLink } from '../common/forward-list.js';
import { forwardWhileStoring } from './forward-put.js';

export interface ChunkRouteDeps {
  store: ChunkStore;
  signer: Signer;
  nodeId: string;
  now: () => number;
  logger: Logger;
  metrics: ChunkserverMetrics;
  /** fired when the daemon stops: in-flight transfers are cut */
  shutdown: AbortSignal;
  /** a served chunk turned out corrupt: remove and report it */
  onCorrupt: (id: string) => void;
  /** PUTS_PER_CLIENT_MAX and the in-flight count */
  admission: PutAdmission;
  /** PUT_STALL_TIMEOUT */
  putStallTimeoutMs: number;
  /** timeout of the PUT to the next hop of a replica pipeline (REQUEST_TIMEOUT) */
  forwardTimeoutMs?: number;
}

/**
 * A PUT body that stalled for PUT_STALL_TIMEOUT: answered 408 and disconnected (as http-server's
 * cutSlowBody does for a whole request that takes too long); the store's pipeline then fails and
 * gives back what the body had reserved.
 */
function cutStalledPut(req: FastifyRequest, id: string, deps: ChunkRouteDeps): void {
  const socket = req.raw.socket;
  if (!socket || socket.destroyed) return;
  deps.logger.warn({ chunkId: id, remote: req.ip, stallMs: deps.putStallTimeoutMs }, 'Chunk upload stalled; cut off');
  if (socket.writable) {
    const text = JSON.stringify({ code: 'TIMEOUT', message: `Chunk body sent nothing for ${deps.putStallTimeoutMs} ms` });
    socket.write(`HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\n\r\n${text}`);
  }
  socket.destroy();
}

const idOf = (req: FastifyRequest) => assertChunkId((req.params as { id?: string }).id);

/** The one `bytes=a-b` range of a Range header (a suffix or open range too), as [start, end); undefined when absent. */
export function parseRange(raw: string | undefined, sizeBytes: number): { start: number; end: number } | undefined {
  if (raw === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(raw.trim());
  if (!m || (m[1] === '' && m[2] === '')) throw errors.invalid('Only one byte range (bytes=a-b) is served');
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, sizeBytes - Number(m[2]));
    end = sizeBytes;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? sizeBytes : Math.min(sizeBytes, Number(m[2]) + 1);
  }
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start < end)) {
    throw errors.invalid(`Range ${raw} is not satisfiable for a chunk of ${sizeBytes} bytes`);
  }
  return { start, end };
}

function contentLength(req: FastifyRequest): number | undefined {
  const raw = req.headers['content-length'];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export async function registerChunkRoutes(app: FastifyInstance, deps: ChunkRouteDeps): Promise<void> {
  const { store, signer, metrics } = deps;
  await app.register(async (scope) => {
    const raw = (_req: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void) => done(null, payload);
    // Whatever the content type (text/plain included), chunk bodies are bytes, handed over unread.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', raw);

    scope.put('/chunks/:id', async (req, reply) => {
      const id = idOf(req);
      const grant = authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'w', deps.now());
      // A no-dedup capability (the user owns no file with this chunk) gets the same answer whether
      // or not the chunk is stored here: the bytes are always written, verified and answered 201.
      const blind = grant.dedup === false;
      // A replica pipeline's PUT: the hops after this one, from the list the controller signed.
      const forwardToken = req.headers[FORWARD_HEADER];
      let hops;
      try {
        hops = forwardToken === undefined ? [] : hopsAfter(signer, forwardToken, id, deps.nodeId, deps.now());
      } catch (err) {
        void reply.header('connection', 'close'); // the body is not read
        throw err;
      }
      let release: () => void;
      try {
        release = deps.admission.enter(req.ip);
      } catch (err) {
        metrics.puts.inc({ result: 'THROTTLED' });
        void reply.header('connection', 'close'); // the body is not read
        throw err;
      }
      const format = formatFromHeader(req.headers[CHUNK_FORMAT_HEADER]);
      if (format === undefined) {
        release();
        void reply.header('connection', 'close');
        throw errors.invalid(`Unknown chunk format in ${CHUNK_FORMAT_HEADER}`);
      }
      const body = (req.body as Readable | undefined) ?? Readable.from([]);
      const guard = new StallGuard(deps.putStallTimeoutMs, () => cutStalledPut(req, id, deps));
      pipeline(body, guard, () => undefined); // an error of either side ends the store's pipeline
      const upstreamGone = new AbortController();
      reply.raw.once('close', () => upstreamGone.abort());
      const fwd = hops.length === 0 ? undefined : forwardWhileStoring(guard, {
        id, hops, cap: String(req.headers[CAP_HEADER] ?? ''), forward: String(forwardToken), format: req.headers[CHUNK_FORMAT_HEADER] as string | undefined,
        sizeBytes: contentLength(req), timeoutMs: deps.forwardTimeoutMs ?? 30_000, signal: AbortSignal.any([deps.shutdown, upstreamGone.signal]), logger: deps.logger,
      });
      let result;
      let chain: ChainLink[] | undefined;
      try {
        result = await store.put(id, fwd?.local ?? guard, { signal: deps.shutdown, expectedSizeBytes: contentLength(req), rewrite: blind, format });
        chain = fwd && (await fwd.chain);
      } catch (err) {
        fwd?.cancel();
        metrics.puts.inc({ result: (err as { code?: string }).code ?? 'INTERNAL' });
        throw err;
      } finally {
        guard.disarm();
        release();
      }
      metrics.puts.inc({ result: result.created ? 'created' : 'present' });
      if (result.created) metrics.bytesIn.inc(result.sizeBytes);
      const receipt = issueReceipt(signer, id, deps.nodeId, result.sizeBytes);
      const created = result.created || blind;
      const answer: ChunkPutResponse = { id, size: result.sizeBytes, receipt, created, ...(chain ? { chain } : {}) };
      return reply.code(created ? 201 : 200).header(RECEIPT_HEADER, receipt).send(answer);
    });

    scope.get('/chunks/:id', { exposeHeadRoute: false }, async (req, reply) => {
      const id = idOf(req);
      authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'r', deps.now());
      const verifies = req.headers[CLIENT_VERIFIES_HEADER] === '1';
      let chunk;
      let range;
      let format;
      try {
        const size = store.sizeOf(id);
        if (size === undefined) throw errors.notFound('No such chunk here', { id });
        range = parseRange(req.headers.range, size);
        // a range is verified by its blocks, which only the reader can check
        if (range && !verifies) throw errors.invalid(`Range reads need ${CLIENT_VERIFIES_HEADER}: 1`);
        format = store.formatOf(id) ?? 'sha256';
        chunk = await store.get(id, range);
      } catch (err) {
        metrics.gets.inc({ result: (err as { code?: string }).code ?? 'INTERNAL' });
        throw err;
      }
      metrics.gets.inc({ result: range ? 'range' : 'ok' });
      if (range) void reply.code(206).header('content-range', `bytes ${range.start}-${range.end - 1}/${store.sizeOf(id) ?? '*'}`);
      void reply.header('content-type', 'application/octet-stream').header('content-length', String(chunk.sizeBytes)).header(CHUNK_FORMAT_HEADER, format);
      if ('bytes' in chunk) {
        // a small range, read whole (a range is only served to a reader that verifies it)
        metrics.bytesOut.inc(chunk.sizeBytes);
        return reply.send(chunk.bytes);
      }
      // Readers that hash what they get say so; hashing again here would only cost CPU.
      const out = verifies ? new PassThrough() : new VerifyingStream(id, deps.onCorrupt, format);
      pipeline(chunk.stream, out, (err) => {
        if (err) deps.logger.debug({ chunkId: id, err: err.message }, 'Chunk read did not complete');
        else metrics.bytesOut.inc(chunk.sizeBytes);
      });
      return reply.send(out);
    });

    // The block list of a tree-format chunk (n × 32 bytes, checked by the reader against the id);
    // an empty body with format 'sha256' for a v1 chunk, which is only verified whole.
    scope.get('/chunks/:id/blocks', { exposeHeadRoute: false }, async (req, reply) => {
      const id = idOf(req);
      authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'r', deps.now());
      const { format, hashes } = await store.blocks(id);
      return reply
        .header('content-type', 'application/octet-stream')
        .header(CHUNK_FORMAT_HEADER, format)
        .send(hashes);
    });

    scope.head('/chunks/:id', async (req, reply) => {
      const id = idOf(req);
      const grant = authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'head', deps.now());
      // Existence is not for users who own no file with this chunk: refused before looking.
      if (grant.via === 'w' && grant.dedup === false) throw new RedCloudError('FORBIDDEN', 'This capability needs the bytes: PUT the chunk');
      const sizeBytes = store.sizeOf(id);
      if (sizeBytes === undefined) return reply.code(404).send();
      void reply.header('content-type', 'application/octet-stream').header('content-length', String(sizeBytes));
      if (grant.via === 'w' && grant.dedup !== false) void reply.header(RECEIPT_HEADER, issueReceipt(signer, id, deps.nodeId, sizeBytes));
      return reply.code(200).send();
    });

    scope.delete('/chunks/:id', async (req, reply) => {
      const id = idOf(req);
      authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'd', deps.now());
      if (await store.delete(id)) {
        metrics.deletes.inc();
        deps.logger.debug({ chunkId: id }, 'Chunk deleted');
      }
      return reply.code(204).send();
    });
  });
}
