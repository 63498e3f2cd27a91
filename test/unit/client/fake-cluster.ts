/**
 * In-process fakes for the client tests: a controller and chunkservers on 127.0.0.1 port 0 that
 * speak the routes of src/common/api.ts, count what they receive, and can be told to fail
 * (down), corrupt what they serve, or hold chunks already.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { CAP_HEADER, RECEIPT_HEADER, type CommitRequest, type EntryInfo, type PlacementRequest, type ReadPlan } from '../../../src/common/api.js';
import { CHUNK_FORMAT_HEADER, chunkIdOf, formatFromHeader, formatMatching } from '../../../src/common/chunk-format.js';

export interface FakeChunkserver {
  id: string;
  url: string;
  app: FastifyInstance;
  chunks: Map<string, Buffer>;
  counts: { head: number; put: number; get: number };
  mode: 'ok' | 'down' | 'corrupt' | 'full';
  inflightPut: number;
  maxInflightPut: number;
  /** delay each PUT by this many ms (to observe concurrency) */
  putDelayMs: number;
}

export async function startChunkserver(id: string): Promise<FakeChunkserver> {
  const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const cs: FakeChunkserver = { id, url: '', app, chunks: new Map(), counts: { head: 0, put: 0, get: 0 }, mode: 'ok', inflightPut: 0, maxInflightPut: 0, putDelayMs: 0 };
  const down = (reply: { code: (n: number) => { send: (b: unknown) => void } }): void =>
    reply.code(503).send({ code: 'UNAVAILABLE', message: `${id} is down` });
  app.head<{ Params: { id: string } }>('/chunks/:id', async (req, reply) => {
    cs.counts.head++;
    if (cs.mode === 'down') return down(reply);
    if (!req.headers[CAP_HEADER]) return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'no cap' });
    const data = cs.chunks.get(req.params.id);
    if (!data) return reply.code(404).send();
    return reply.header(RECEIPT_HEADER, `r:${id}:${req.params.id}:head`).header('content-length', data.length).code(200).send();
  });
  app.put<{ Params: { id: string }; Body: Buffer }>('/chunks/:id', async (req, reply) => {
    cs.counts.put++;
    if (cs.mode === 'down') return down(reply);
    if (cs.mode === 'full') return reply.code(507).send({ code: 'NO_SPACE', message: `${id} is full` });
    cs.inflightPut++;
    cs.maxInflightPut = Math.max(cs.maxInflightPut, cs.inflightPut);
    try {
      if (cs.putDelayMs > 0) await new Promise((r) => setTimeout(r, cs.putDelayMs));
      const body = req.body ?? Buffer.alloc(0);
      if (chunkIdOf(formatFromHeader(req.headers[CHUNK_FORMAT_HEADER]) ?? 'sha256', body) !== req.params.id) return reply.code(422).send({ code: 'INTEGRITY', message: 'hash mismatch' });
      const created = !cs.chunks.has(req.params.id);
      cs.chunks.set(req.params.id, Buffer.from(body));
      const receipt = `r:${id}:${req.params.id}`;
      return reply.code(created ? 201 : 200).header(RECEIPT_HEADER, receipt).send({ id: req.params.id, size: body.length, receipt, created });
    } finally {
      cs.inflightPut--;
    }
  });
  app.get<{ Params: { id: string } }>('/chunks/:id', async (req, reply) => {
    cs.counts.get++;
    if (cs.mode === 'down') return down(reply);
    const data = cs.chunks.get(req.params.id);
    if (!data) return reply.code(404).send({ code: 'NOT_FOUND', message: 'no chunk' });
    const out = cs.mode === 'corrupt' ? Buffer.from(data.map((b) => b ^ 0xff)) : data;
    void reply.header(CHUNK_FORMAT_HEADER, formatMatching(req.params.id, data) ?? 'sha256');
    return reply.header('content-type', 'application/octet-stream').send(out);
  });
  const addr = await app.listen({ host: '127.0.0.1', port: 0 });
  cs.url = addr;
  return cs;
}

export interface FakeController {
  url: string;
  app: FastifyInstance;
  commits: CommitRequest[];
  placements: PlacementRequest[];
  /** when set, placement answers carry this `present` hint per chunk */
  present?: (chunkId: string) => string[];
  files: Map<string, CommitRequest>;
  servers: FakeChunkserver[];
  writeQuorum: number;
  /** locations order for reads: server ids */
  readOrder?: string[];
  calls: number;
  mode: 'ok' | 'down';
  /** INLINE_MAX of this controller: larger inline commits get 413 TOO_LARGE { inlineMax }; 'none': a controller without inline files (400, additional properties) */
  inlineMax?: number | 'none';
  /** false: a controller older than CommitRequest.replaces (400, additional properties) */
  knowsReplaces?: boolean;
  /** false: a controller older than CommitRequest.atime (400, additional properties) */
  knowsAtime?: boolean;
  /** false: a controller older than CommitRequest.inlineChunks (400, additional properties) */
  knowsInlineChunks?: boolean;
}

export async function startController(servers: FakeChunkserver[], opts: { controllers?: string[] } = {}): Promise<FakeController> {
  const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
  const c: FakeController = { url: '', app, commits: [], placements: [], files: new Map(), servers, writeQuorum: 1, calls: 0, mode: 'ok' };
  app.addHook('onRequest', async (_req, reply) => {
    c.calls++;
    if (c.mode === 'down') return reply.code(503).send({ code: 'UNAVAILABLE', message: 'controller down' });
  });
  const entryOf = (r: CommitRequest): EntryInfo => ({
    path: r.path, kind: 'file', size: r.size, mode: r.mode ?? 0o644, mtimeMs: r.mtimeMs ?? 1, ctimeMs: 1, tags: r.tags ?? [],
    chunkCount: r.chunks.length, version: `v${c.commits.length}`,
  });
  app.post<{ Body: { user: string; password: string } }>('/v1/login', async (req, reply) => {
    if (req.body.password !== 'pw') return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'Wrong user name or password' });
    return { token: `tok-${req.body.user}`, expiresAt: 9e12, user: req.body.user, controllers: [c.url, ...(opts.controllers ?? [])] };
  });
  app.get('/v1/whoami', async (req, reply) => {
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer tok-')) return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'Not logged in' });
    return { user: auth.slice('Bearer tok-'.length), controllers: [c.url, ...(opts.controllers ?? [])] };
  });
  app.post<{ Body: PlacementRequest }>('/v1/fs/placement', async (req) => {
    c.placements.push(req.body);
    return {
      chunks: req.body.chunks.map((ch) => ({
        ...ch, cap: `cap-w-${ch.id}`, targets: servers.map((s) => ({ id: s.id, url: s.url })),
        ...(c.present ? { present: c.present(ch.id) } : {}),
      })),
      writeQuorum: c.writeQuorum,
      chunkSizeBytes: 4 * 1024 * 1024,
    };
  });
  app.post<{ Body: CommitRequest }>('/v1/fs/commit', async (req, reply) => {
    const inline = req.body.inline;
    if (req.body.replaces !== undefined && c.knowsReplaces === false) return reply.code(400).send({ code: 'INVALID', message: 'Invalid request: body must NOT have additional properties' });
    if (req.body.atime !== undefined && c.knowsAtime === false) return reply.code(400).send({ code: 'INVALID', message: 'Invalid request: body must NOT have additional properties' });
    if (req.body.inlineChunks !== undefined && c.knowsInlineChunks === false) return reply.code(400).send({ code: 'INVALID', message: 'Invalid request: body must NOT have additional properties' });
    if (inline !== undefined && c.inlineMax === 'none') return reply.code(400).send({ code: 'INVALID', message: 'Invalid request: body must NOT have additional properties' });
    if (inline !== undefined && typeof c.inlineMax === 'number' && Buffer.from(inline, 'base64').length > c.inlineMax) {
      return reply.code(413).send({ code: 'TOO_LARGE', message: 'Files over INLINE_MAX are stored in chunks', details: { inlineMax: c.inlineMax } });
    }
    c.commits.push(req.body);
    c.files.set(req.body.path, req.body);
    return entryOf(req.body);
  });
  app.get<{ Querystring: { path: string } }>('/v1/fs/read', async (req, reply) => {
    const f = c.files.get(req.query.path);
    if (!f) return reply.code(404).send({ code: 'NOT_FOUND', message: `No such file: ${req.query.path}` });
    const order = c.readOrder ? c.readOrder.map((id) => servers.find((s) => s.id === id)!) : servers;
    let offset = 0;
    const plan: ReadPlan = {
      entry: entryOf(f),
      chunks: f.chunks.map((ch) => {
        const out = { ...ch, offset, cap: `cap-r-${ch.id}`, locations: order.map((s) => ({ id: s.id, url: s.url })) };
        offset += ch.size;
        return out;
      }),
      ...(f.inline !== undefined ? { inline: f.inline } : {}),
    };
    return plan;
  });
  c.url = await app.listen({ host: '127.0.0.1', port: 0 });
  return c;
}

export async function stopAll(...apps: { app: FastifyInstance }[]): Promise<void> {
  await Promise.all(apps.map((a) => a.app.close()));
}
