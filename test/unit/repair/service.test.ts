// The repair service against fake chunkservers (fastify on 127.0.0.1 port 0): replicate calls
// with cluster auth and exact bodies, locations recorded at once, THROTTLED retried next cycle,
// trims for a factor of 2, garbage deleted only after GC_GRACE and only when unreferenced, logs.
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReplicationFactor } from '../../../src/common/config.js';
import { Signer } from '../../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, verifyClusterCall } from '../../../src/common/cluster-auth.js';
import { createRegistry } from '../../../src/controller/registry.js';
import { createRepairService } from '../../../src/controller/repair/service.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';
import { openStore } from '../../../src/controller/store.js';
import { fsOps } from '../helpers/fs-ops.js';

const A = 'a'.repeat(64); // ranks s1,s5,s4,s3,s2 (see plan.test.ts)
const D = 'd'.repeat(64); // ranks s4,s1,s5,s3,s2
const G = 'e'.repeat(64); // garbage
const signer = new Signer('svc-secret');

interface Call { server: string; method: string; path: string; body: unknown; auth: string }

interface Env {
  store: MetadataStore;
  calls: Call[];
  lines: { msg: string; [k: string]: unknown }[];
  clock: { ms: number };
  throttle: Set<string>;
  noSpace: Set<string>;
  registry: ReturnType<typeof createRegistry>;
  svc: ReturnType<typeof createRepairService>;
  run(): ReturnType<ReturnType<typeof createRepairService>['runCycle']>;
  close(): Promise<void>;
}

async function setup(opts: {
  factor: ReplicationFactor; servers: string[]; files: Record<string, string[]>; locations: Record<string, string[]>; concurrency?: number; gcBlocker?: () => string | undefined;
}): Promise<Env> {
  const clock = { ms: 1_000_000 };
  const store = openStore({ path: ':memory:', nodeId: 'ctl', now: () => clock.ms });
  const fs = fsOps(store, () => clock.ms, 'u');
  for (const [path, chunks] of Object.entries(opts.files)) fs.writeChunks(path, chunks);
  const lines: Env['lines'] = [];
  const sink = new Writable({ write(c, _e, cb) { lines.push(JSON.parse(String(c))); cb(); } });
  const logger = pino({ level: 'debug' }, sink);
  const registry = createRegistry({ store, logger, now: () => clock.ms, heartbeatTimeoutMs: 3000 });
  const calls: Call[] = [];
  const throttle = new Set<string>();
  const noSpace = new Set<string>();
  const apps: FastifyInstance[] = [];
  for (const id of opts.servers) {
    const app = Fastify();
    app.post('/internal/replicate', async (req, reply) => {
      calls.push({ server: id, method: 'POST', path: req.url, body: req.body, auth: String(req.headers[CLUSTER_AUTH_HEADER]) });
      if (throttle.has(id)) return reply.code(429).send({ code: 'THROTTLED', message: 'busy' });
      if (noSpace.has(id)) return reply.code(507).send({ code: 'NO_SPACE', message: 'full' });
      return { id: (req.body as { chunkId: string }).chunkId, size: 1, receipt: 'r', created: true };
    });
    app.delete('/chunks/:id', async (req, reply) => {
      calls.push({ server: id, method: 'DELETE', path: req.url, body: undefined, auth: String(req.headers[CLUSTER_AUTH_HEADER]) });
      return reply.code(204).send();
    });
    const addr = await app.listen({ host: '127.0.0.1', port: 0 });
    apps.push(app);
    registry.heartbeat({ id, url: addr, capacityBytes: 1e9, freeBytes: 1e9, chunkCount: 0, full: false, inventory: opts.locations[id] ?? [] });
  }
  const svc = createRepairService({
    store, registry, signer, nodeId: 'ctl', logger, now: () => clock.ms, peerIds: () => [], gcBlocker: opts.gcBlocker,
    options: { repairIntervalMs: 60_000, replicationFactor: opts.factor, gcGraceMs: 3000, requestTimeoutMs: 2000, concurrency: opts.concurrency ?? 2, membershipPollMs: 10 },
  });
  return {
    store, calls, lines, clock, throttle, noSpace, registry, svc,
    run: () => svc.runCycle(),
    async close() {
      await svc.stop();
      for (const a of apps) await a.close();
      store.close();
    },
  };
}

const sorted = (calls: Call[]) => calls.map((c) => `${c.method} ${c.server} ${c.path} ${c.body ? JSON.stringify(c.body) : ''}`.trim()).sort();

test("factor 'all': replicates to the servers lacking a chunk, records the location, logs", async () => {
  const env = await setup({ factor: 'all', servers: ['s1', 's2', 's3'], files: { '/f': [A] }, locations: { s2: [A] } });
  try {
    const r = await env.run();
    assert.equal({ replicated: r.replicated, failed: r.replicateFailed, under: r.underReplicated, trimmed: r.trimmed, gc: r.garbageDeleted }, { replicated: 2, failed: 0, under: 1, trimmed: 0, gc: 0 });
    for (const c of env.calls) assert.equal((c.body as { chunkId: string; sources: { id: string }[] }).sources.map((x) => x.id), ['s2']);
    for (const c of env.calls) assert.is((c.body as { chunkId: string }).chunkId, A);
    assert.equal(env.calls.map((c) => `${c.method} ${c.server} ${c.path}`).sort(), ['POST s1 /internal/replicate', 'POST s3 /internal/replicate']);
    for (const c of env.calls) assert.is(verifyClusterCall(signer, c.auth, { method: c.method, path: c.path }, env.clock.ms).n, 'ctl');
    assert.equal(env.store.locationsOf(A), ['s1', 's2', 's3']);
    assert.ok(env.lines.some((l) => l.msg === '2 replications successful'));
    const done = env.lines.find((l) => l.msg === 'Repair cycle complete');
    assert.is(done?.replicated, 2);
    assert.type(done?.durationMs, 'number');
    env.calls.length = 0;
    const again = await env.run();
    assert.is(again.replicated, 0);
    assert.equal(env.calls, []);
    assert.equal(env.svc.stats(), { cycles: 2, replicated: 2, replicateFailed: 0, trimmed: 0, garbageDeleted: 0 });
  } finally {
    await env.close();
  }
});

test('THROTTLED: counted, nothing recorded, retried next cycle', async () => {
  const env = await setup({ factor: 'all', servers: ['s1', 's2'], files: { '/f': [A] }, locations: { s2: [A] } });
  try {
    env.throttle.add('s1');
    const r = await env.run();
    assert.equal({ replicated: r.replicated, throttled: r.throttled, failed: r.replicateFailed }, { replicated: 0, throttled: 1, failed: 0 });
    assert.equal(env.store.locationsOf(A), ['s2']);
    env.throttle.clear();
    assert.is((await env.run()).replicated, 1);
    assert.equal(env.store.locationsOf(A), ['s1', 's2']);
  } finally {
    await env.close();
  }
});

test('NO_SPACE from a target: no more copies sent to it this cycle', async () => {
  const env = await setup({ factor: 'all', servers: ['s1', 's2'], files: { '/f': [A, D] }, locations: { s2: [A, D] }, concurrency: 1 });
  try {
    env.noSpace.add('s1');
    const r = await env.run();
    assert.equal({ replicated: r.replicated, failed: r.replicateFailed, deferred: r.deferred }, { replicated: 0, failed: 1, deferred: 1 });
    assert.is(env.calls.length, 1);
    assert.equal(env.store.locationsOf(A), ['s2']);
  } finally {
    await env.close();
  }
});

test('factor 2: over-replicated chunk trimmed to the top-ranked 2 with DELETE', async () => {
  const env = await setup({ factor: 2, servers: ['s1', 's2', 's3', 's4', 's5'], files: { '/f': [D] }, locations: { s1: [D], s2: [D], s3: [D], s4: [D] } });
  try {
    const r = await env.run();
    assert.is(r.trimmed, 2);
    assert.equal(sorted(env.calls), [`DELETE s2 /chunks/${D}`, `DELETE s3 /chunks/${D}`]);
    assert.equal(env.store.locationsOf(D), ['s1', 's4']);
  } finally {
    await env.close();
  }
});

test('garbage: deleted from every holder only after GC_GRACE; referenced chunks never', async () => {
  const env = await setup({ factor: 'all', servers: ['s1', 's2'], files: { '/f': [A] }, locations: { s1: [A, G], s2: [A, G] } });
  try {
    assert.is((await env.run()).garbageDeleted, 0);
    env.clock.ms += 2999;
    assert.is((await env.run()).garbageDeleted, 0);
    assert.equal(env.calls, []);
    env.clock.ms += 1;
    assert.is((await env.run()).garbageDeleted, 2);
    assert.equal(sorted(env.calls), [`DELETE s1 /chunks/${G}`, `DELETE s2 /chunks/${G}`]);
    assert.equal(env.store.locationsOf(G), []);
    assert.equal(env.store.locationsOf(A), ['s1', 's2']);
  } finally {
    await env.close();
  }
});

test('garbage collection postponed while the gate says so (a peer controller unreachable)', async () => {
  let reason: string | undefined = 'controller http://b:8000 is not reachable';
  const env = await setup({ factor: 'all', servers: ['s1'], files: {}, locations: { s1: [G] }, gcBlocker: () => reason });
  try {
    assert.is((await env.run()).gcPostponed, reason);
    env.clock.ms += 10_000;
    const r = await env.run();
    assert.equal({ gc: r.garbageDeleted, why: r.gcPostponed }, { gc: 0, why: reason });
    assert.equal(env.calls, []);
    reason = undefined;
    assert.is((await env.run()).garbageDeleted, 0); // the grace starts now
    env.clock.ms += 3000;
    assert.is((await env.run()).garbageDeleted, 1);
  } finally {
    await env.close();
  }
});

test('started: a reported bad replica brings a cycle soon, long before REPAIR_INTERVAL', async () => {
  const env = await setup({ factor: 'all', servers: ['s1', 's2'], files: { '/f': [A] }, locations: { s1: [A], s2: [A] } });
  try {
    env.svc.start();
    env.registry.reportBad(A, 's1');
    assert.equal(env.store.locationsOf(A), ['s2']);
    const deadline = Date.now() + 5000;
    while (env.store.locationsOf(A).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(env.store.locationsOf(A), ['s1', 's2']);
    assert.equal(env.calls.map((c) => `${c.method} ${c.server} ${c.path}`), ['POST s1 /internal/replicate']);
  } finally {
    await env.close();
  }
});

test('a chunkserver that does not answer: warned, no location recorded, the cycle completes', async () => {
  const env = await setup({ factor: 'all', servers: ['s1', 's2'], files: { '/f': [A] }, locations: { s2: [A] } });
  try {
    env.registry.heartbeat({ id: 's3', url: 'http://127.0.0.1:1', capacityBytes: 1e9, freeBytes: 1e9, chunkCount: 0, full: false, inventory: [] });
    const r = await env.run();
    assert.equal({ replicated: r.replicated, failed: r.replicateFailed }, { replicated: 1, failed: 1 });
    assert.equal(env.store.locationsOf(A), ['s1', 's2']);
    const warn = env.lines.find((l) => l.msg === 'Replication failed');
    assert.equal({ level: warn?.level, chunkId: warn?.chunkId, target: warn?.target, code: warn?.code }, { level: 40, chunkId: A, target: 's3', code: 'UNAVAILABLE' });
  } finally {
    await env.close();
  }
});

test.run();
