/**
 * The chunk routes (api.ts): PUT/GET/HEAD/DELETE /chunks/:id with streaming bodies. A PUT body
 * is handed over as the raw request stream (never buffered) and streamed into the store; a GET
 * answers with a file stream and its content-length.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PassThrough, Readable } from 'node:stream';
import { CLIENT_VERIFIES_HEADER, RECEIPT_HEADER, type ChunkPutResponse } from '../common/api.js';
import { assertChunkId } from '../common/hash.js';
import type { Logger } from '../common/logger.js';
import { issueReceipt, type Signer } from '../common/tokens.js';
import { pipeline } from 'node:stream';
import { authorizeChunk } from './auth.js';
import type { ChunkserverMetrics } from './metrics.js';
import type { ChunkStore } from './store.js';
import { VerifyingStream } from './verify-stream.js';

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
}

const idOf = (req: FastifyRequest) => assertChunkId((req.params as { id?: string }).id);

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
      authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'w', deps.now());
      const body = (req.body as Readable | undefined) ?? Readable.from([]);
      let result;
      try {
        result = await store.put(id, body, { signal: deps.shutdown, expectedSizeBytes: contentLength(req) });
      } catch (err) {
        metrics.puts.inc({ result: (err as { code?: string }).code ?? 'INTERNAL' });
        throw err;
      }
      metrics.puts.inc({ result: result.created ? 'created' : 'present' });
      if (result.created) metrics.bytesIn.inc(result.sizeBytes);
      const receipt = issueReceipt(signer, id, deps.nodeId, result.sizeBytes);
      const answer: ChunkPutResponse = { id, size: result.sizeBytes, receipt, created: result.created };
      return reply.code(result.created ? 201 : 200).header(RECEIPT_HEADER, receipt).send(answer);
    });

    scope.get('/chunks/:id', { exposeHeadRoute: false }, async (req, reply) => {
      const id = idOf(req);
      authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'r', deps.now());
      let chunk;
      try {
        chunk = await store.get(id);
      } catch (err) {
        metrics.gets.inc({ result: (err as { code?: string }).code ?? 'INTERNAL' });
        throw err;
      }
      metrics.gets.inc({ result: 'ok' });
      // Readers that hash what they get say so; hashing again here would only cost CPU.
      const out = req.headers[CLIENT_VERIFIES_HEADER] === '1' ? new PassThrough() : new VerifyingStream(id, deps.onCorrupt);
      pipeline(chunk.stream, out, (err) => {
        if (err) deps.logger.debug({ chunkId: id, err: err.message }, 'Chunk read did not complete');
        else metrics.bytesOut.inc(chunk.sizeBytes);
      });
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(chunk.sizeBytes))
        .send(out);
    });

    scope.head('/chunks/:id', async (req, reply) => {
      const id = idOf(req);
      const grant = authorizeChunk(signer, { method: req.method, url: req.url, route: req.routeOptions.url ?? '', headers: req.headers }, id, 'head', deps.now());
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
