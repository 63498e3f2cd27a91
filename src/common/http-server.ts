/**
 * The HTTP server shell every daemon shares (fastify): errors answer `{ code, message }` with the
 * status from the error table, bad JSON and schema failures are 400 INVALID, oversized bodies 413
 * TOO_LARGE, unknown routes 404; slow clients time out; `GET /health` and `GET /metrics`
 * (Prometheus text, with request latencies) are registered; `clusterAuth` guards internal routes.
 * `buildServer` returns the app without listening, so routes can be tested with `inject`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RedCloudError, toRedCloudError } from './errors.js';
import { setLocalAddress } from './http-client.js';
import type { Logger } from './logger.js';
import { createHash } from 'node:crypto';
import { Transform, pipeline } from 'node:stream';
import { CLUSTER_AUTH_HEADER, type ClusterClaims, EMPTY_BODY_HASH, admitClusterCall, checkBody } from './cluster-auth.js';
import type { Signer } from './tokens.js';

export interface ServerOptions {
  logger: Logger;
  /** Largest JSON body, bytes. */
  bodyLimitBytes: number;
  metrics: Registry;
  /** What `/health` answers besides `{ status: 'ok' }`. */
  health: () => Record<string, unknown>;
  /** Requests slower than this are cut (slow-client protection). */
  requestTimeoutMs?: number;
  /** Largest request head (request line + headers), bytes; larger ones get 431. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Serve HTTPS with this key pair (src/common/tls.ts loadServerTls); plain HTTP without. */
  tls?: { key: Buffer; cert: Buffer };
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/**
 * node's requestTimeout only covers the request head once a request is dispatched: a client that
 * sends headers and then trickles (or stalls) its body is answered 408 TIMEOUT and disconnected
 * when the whole request has not arrived within `timeoutMs`.
 */
function cutSlowBody(req: FastifyRequest, reply: FastifyReply, timeoutMs: number): void {
  const raw = req.raw;
  if (raw.complete) return;
  const timer = setTimeout(() => {
    const socket = raw.socket;
    // (an injected request, as in unit tests, has a stand-in socket without destroy: nothing to cut)
    if (raw.complete || !socket || socket.destroyed || typeof socket.destroy !== 'function') return;
    if (socket.writable && !reply.raw.headersSent) {
      const text = JSON.stringify({ code: 'TIMEOUT', message: 'Request body took too long to arrive' });
      socket.write(`HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\n\r\n${text}`);
    }
    socket.destroy();
  }, timeoutMs);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  raw.once('end', clear);
  raw.once('close', clear);
}

/** Connection-level errors (header overflow, slow clients, garbage) answered as `{ code, message }`. */
function clientErrorHandler(error: Error, socket: import('node:net').Socket): void {
  const err = error as Error & { code?: string; rawPacket?: unknown };
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // An answer to HEAD carries no body (the client would read it as garbage).
  const head = Buffer.isBuffer(err.rawPacket) && err.rawPacket.toString('latin1', 0, 5) === 'HEAD ';
  const [status, reason, body] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'Request Timeout', { code: 'TIMEOUT', message: 'Request took too long to arrive' }]
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', { code: 'TOO_LARGE', message: 'Request headers are too large' }]
      : [400, 'Bad Request', { code: 'INVALID', message: 'Malformed HTTP request' }];
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\n\r\n${head ? '' : text}`);
  }
  socket.destroy();
}

export function createMetricsRegistry(labels: Record<string, string>): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function buildServer(opts: ServerOptions): FastifyInstance {
  const requestTimeoutMs = opts.requestTimeoutMs ?? 120_000;
  const app = Fastify({
    ...(opts.tls ? { https: { key: opts.tls.key, cert: opts.tls.cert, maxHeaderSize: opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs) } } : {}),
    bodyLimit: opts.bodyLimitBytes,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: 0,
    keepAliveTimeout: 65_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // node checks request timeouts every connectionsCheckingInterval (default 30 s): keep it finer.
    http: { maxHeaderSize: opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs) },
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }) as unknown as FastifyInstance;
  const latency = new Histogram({
    name: 'redcloud_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [opts.metrics],
  });

  app.addHook('onResponse', async (req, reply) => {
    latency.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.addHook('onRequest', async (req, reply) => cutSlowBody(req, reply, requestTimeoutMs));
  app.setErrorHandler((err, req, reply) => sendError(opts.logger, err, req, reply));
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.get('/health', async () => ({ status: 'ok', ...opts.health() }));
  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', opts.metrics.contentType);
    return opts.metrics.metrics();
  });
  return app;
}

function sendError(log: Logger, err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const e = err as { code?: string; statusCode?: number; validation?: unknown; message?: string };
  let rc: RedCloudError;
  if (err instanceof RedCloudError) {
    rc = err;
  } else if (e.validation) {
    rc = new RedCloudError('INVALID', `Invalid request: ${e.message}`);
  } else if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    rc = new RedCloudError('TOO_LARGE', 'Request body is too large');
  } else if (typeof e.code === 'string' && e.code.startsWith('FST_ERR_CTP')) {
    rc = new RedCloudError('INVALID', `Invalid request body: ${e.message}`);
  } else if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    rc = new RedCloudError('INVALID', e.message ?? 'Bad request');
  } else {
    rc = toRedCloudError(err);
  }
  if (rc.status >= 500 && rc.code !== 'UNAVAILABLE' && rc.code !== 'NO_SPACE' && rc.code !== 'QUOTA_EXCEEDED') {
    log.error({ err, method: req.method, url: req.url.split('?')[0] }, 'Request failed');
  }
  void reply.code(rc.status).send(rc.toJSON());
}

type ClusterRequest = FastifyRequest & { clusterNode?: string; clusterClaims?: ClusterClaims; clusterBodyHash?: string };

/**
 * Hooks for internal routes (spread them into the route options): `onRequest` checks the header
 * before the body is read (MAC over method and path, time, the role allowed on this route,
 * nonce never seen: src/common/cluster-auth.ts), `preParsing` hashes the body as it arrives, and
 * `preValidation` refuses a body other than the signed one. Sets `req.clusterNode`.
 * Refusals are 401, logged once per address and route per REFUSAL_LOG_INTERVAL_MS.
 */
export function clusterAuth(signer: Signer, log: Logger, now: () => number) {
  // One warning per remote address and route per REFUSAL_LOG_INTERVAL_MS (a misconfigured node
  // retrying every few hundred ms must not flood the log); the count of the quiet ones is reported.
  const lastLogged = new Map<string, { atMs: number; suppressed: number }>();
  const refused = (req: FastifyRequest, err: unknown): unknown => {
    const url = req.url.split('?')[0]!.slice(0, 200);
    const key = `${req.ip} ${url}`;
    const nowMs = now();
    const seen = lastLogged.get(key);
    if (seen && nowMs - seen.atMs < REFUSAL_LOG_INTERVAL_MS) {
      seen.suppressed += 1;
    } else {
      if (lastLogged.size >= 10_000) lastLogged.clear();
      log.warn({ remote: req.ip, url, suppressed: seen?.suppressed ?? 0, reason: (err as Error).message }, 'Refused internal call with a bad cluster signature');
      lastLogged.set(key, { atMs: nowMs, suppressed: 0 });
    }
    return err;
  };
  return {
    onRequest: async (req: FastifyRequest): Promise<void> => {
      try {
        const claims = admitClusterCall(signer, req.headers[CLUSTER_AUTH_HEADER], { method: req.method, path: req.url, route: req.routeOptions.url ?? '' }, now());
        const r = req as ClusterRequest;
        r.clusterClaims = claims;
        r.clusterNode = claims.n;
      } catch (err) {
        throw refused(req, err);
      }
    },
    preParsing: async (req: FastifyRequest, _reply: FastifyReply, payload: NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> => {
      const hash = createHash('sha256');
      const r = req as ClusterRequest;
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
        flush(cb) {
          r.clusterBodyHash = hash.digest('base64url');
          cb();
        },
      });
      pipeline(payload, hashing, () => undefined); // an aborted upload ends the hashing stream too
      return hashing;
    },
    preValidation: async (req: FastifyRequest): Promise<void> => {
      const r = req as ClusterRequest;
      try {
        // a body nobody read (GET, DELETE, an empty POST) was not parsed: the handler sees none
        checkBody(r.clusterClaims!, r.clusterBodyHash ?? EMPTY_BODY_HASH);
      } catch (err) {
        throw refused(req, err);
      }
    },
  };
}

export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/** Listens and resolves with the bound port; outgoing calls then leave from `host` too (setLocalAddress). */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  setLocalAddress(host);
  const addr = app.server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}
