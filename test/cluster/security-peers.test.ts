/**
 * Peers must prove themselves (issue 12 items 2 and 3), on real processes on 127.0.35.x: one
 * controller ctl1 and one chunkserver cs1, plus a controller ctl9 and a chunkserver cs9 that reach
 * ctl1 through a recording proxy (what an observer of plain HTTP sees). The attacker replays
 * captured headers to another route, with another body and twice; announces a listener of its
 * own; and, holding a valid controller credential (a compromised peer), pushes each kind of
 * malformed record. Every attack fails while the legitimate traffic goes on.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEV_CLUSTER_SECRET } from '../../src/common/config.js';
import { CLUSTER_AUTH_HEADER, type ClusterRole, signClusterCall } from '../../src/common/cluster-auth.js';
import { Signer } from '../../src/common/tokens.js';
import type { MetaRecord } from '../../src/meta/types.js';
import { validateRecord } from '../../src/meta/validate.js';
import { createCli } from '../helpers/cli.js';
import { sha256File } from '../helpers/files.js';
import { http, type HttpAnswer } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';

const NET = '127.0.35';
const CTL1 = `http://${NET}.11:8000`;
const CTL9 = `http://${NET}.19:8000`;
const PROXY = { host: `${NET}.30`, port: 8000 };
const LISTENER = { host: `${NET}.40`, port: 8000 };
const LISTENER_URL = `http://${LISTENER.host}:${LISTENER.port}`;
const NOBODY = `http://${NET}.99:8000`;
const PW = 'Alice-pw-35c1a9e2';
const TWO_53_MINUS_1 = 9_007_199_254_740_991;

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }

const ctx: { tc?: TestCluster; work: string; proxySeen: Seen[]; listenerSeen: Seen[]; servers: Server[]; sha: string } = {
  work: '', proxySeen: [], listenerSeen: [], servers: [], sha: '',
};
const test = suite('security-peers');
const step = stepsFor(test, () => ctx.tc);
const signer = new Signer(DEV_CLUSTER_SECRET);

/** A fresh valid credential for one request: what a compromised peer (or a node) sends. */
function signed(role: ClusterRole, method: string, path: string, body: string): Record<string, string> {
  return { 'content-type': 'application/json', [CLUSTER_AUTH_HEADER]: signClusterCall(signer, role, role === 'controller' ? 'mallory' : 'cs-mallory', { method, path, body }, Date.now()) };
}

const post = (path: string, body: string, headers: Record<string, string>): Promise<HttpAnswer> =>
  http(`${CTL1}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function serve(at: { host: string; port: number }, handler: RequestListener): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, resolve);
  });
  ctx.servers.push(server);
}

/** Forwards to ctl1 and records every request: an observer of plain HTTP between two nodes. */
async function startProxy(): Promise<void> {
  await serve(PROXY, (req, res) => {
    void readBody(req).then((body) => {
      ctx.proxySeen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const up = httpRequest(`${CTL1}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
}

/** A plain HTTP server that records what reaches it and answers 200 {}. */
async function startListener(): Promise<void> {
  await serve(LISTENER, (req, res) => {
    void readBody(req).then((body) => {
      ctx.listenerSeen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
}

/** Every record ctl1 holds, read with a valid controller credential. */
async function dump(): Promise<MetaRecord[]> {
  const body = JSON.stringify({ from: { id: 'mallory', url: NOBODY }, hashes: [] });
  const r = await post('/internal/anti-entropy', body, signed('controller', 'POST', '/internal/anti-entropy', body));
  assert.is(r.status, 200, `anti-entropy with a valid credential: ${r.body.toString().slice(0, 200)}`);
  return r.json<{ records: MetaRecord[] }>().records;
}

useTestCluster(test, 'security-peers', ctx, { label: 'security-peers', net: NET, controllers: 1, chunkservers: 1 }, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  const token = await tc.signUp('alice', PW);
  const local = join(ctx.work, 'plan.bin');
  writeFileSync(local, randomBytes(200_000));
  ctx.sha = await sha256File(local);
  const up = await tc.cli.run(['upload', local, '--to', '/plan.bin']);
  if (up.exitCode !== 0) throw new Error(`upload: ${up.stderr}`);
  await startProxy();
  await startListener();
  const via = `${PROXY.host}:${PROXY.port}`;
  await tc.cluster.controller({ id: 'ctl9', addr: `${NET}.19`, port: 8000, dataDir: join(tc.dir, 'ctl9'), logFile: join(tc.dir, 'logs', 'ctl9.log'), peers: [via], env: { GOSSIP_INTERVAL: '200ms', ANTI_ENTROPY_INTERVAL: '2s' } });
  await tc.cluster.chunkserver({ id: 'cs9', addr: `${NET}.29`, port: 9000, dataDir: join(tc.dir, 'cs9'), logFile: join(tc.dir, 'logs', 'cs9.log'), peers: [via], env: { HEARTBEAT_INTERVAL: '300ms', MIN_FREE_BYTES: '0' } });
  await waitFor('the proxy to see a gossip pull of ctl9 and a heartbeat of cs9', () =>
    ctx.proxySeen.some((s) => s.url === '/internal/gossip') && ctx.proxySeen.some((s) => s.url === '/internal/heartbeat'), { timeoutMs: 20_000 });
  void token;
});

test.after(async () => {
  for (const s of ctx.servers) s.close();
});

const captured = (url: string): Seen => {
  const s = ctx.proxySeen.find((x) => x.url === url && typeof x.headers[CLUSTER_AUTH_HEADER] === 'string');
  if (!s) throw new Error(`no captured ${url}`);
  return s;
};

step('a captured header replayed to another route, with another body, or twice is refused; the nodes it came from go on', async (tc) => {
  const gossip = captured('/internal/gossip');
  const beat = captured('/internal/heartbeat');
  const gossipHeader = { [CLUSTER_AUTH_HEADER]: String(gossip.headers[CLUSTER_AUTH_HEADER]) };
  const beatHeader = { [CLUSTER_AUTH_HEADER]: String(beat.headers[CLUSTER_AUTH_HEADER]) };
  const ae = JSON.stringify({ from: { id: 'mallory', url: NOBODY }, hashes: [] });
  const announce = JSON.stringify({ from: { id: 'mallory', url: LISTENER_URL }, digest: {}, peers: [LISTENER_URL] });
  const attempts: [string, string, string, Record<string, string>][] = [
    ['a controller gossip header on /internal/anti-entropy', '/internal/anti-entropy', ae, gossipHeader],
    ['a chunkserver heartbeat header on /internal/anti-entropy', '/internal/anti-entropy', ae, beatHeader],
    ['a chunkserver heartbeat header on /internal/gossip', '/internal/gossip', announce, beatHeader],
    ['a gossip header with another body', '/internal/gossip', announce, gossipHeader],
    ['a gossip header with its own body, a second time', '/internal/gossip', gossip.body, gossipHeader],
    ['a heartbeat header with its own body, a second time', '/internal/heartbeat', beat.body, beatHeader],
  ];
  for (const [what, path, body, headers] of attempts) {
    const r = await post(path, body, headers);
    assert.is(r.status, 401, `${what}: answered ${r.status} ${r.body.toString().slice(0, 120)}`);
    assert.not.ok(r.body.toString().includes('passwordHash'), `${what}: no record leaked`);
  }
  // a chunkserver credential, even fresh, cannot read or write the replicas' records
  const asChunkserver = await post('/internal/anti-entropy', ae, signed('chunkserver', 'POST', '/internal/anti-entropy', ae));
  assert.is(asChunkserver.status, 401, 'a chunkserver credential on anti-entropy');
  // the legitimate calls go on: ctl9 gossips with ctl1, cs9 heartbeats
  const seenBefore = ctx.proxySeen.length;
  await waitFor('more gossip and heartbeats through the proxy, answered', () => ctx.proxySeen.length >= seenBefore + 4, { timeoutMs: 10_000 });
  await waitFor('ctl1 to list ctl9 alive and cs9 healthy', async () => {
    const s = await tc.cli.json<{ controllers: { id: string; alive: boolean }[]; chunkservers: { id: string; healthy: boolean }[] }>(['status']);
    return s.controllers.some((p) => p.id === 'ctl9' && p.alive) && s.chunkservers.some((c) => c.id === 'cs9' && c.healthy);
  }, { timeoutMs: 15_000 });
});

step('a self-announced listener is never contacted with a credential, and never reaches status or session.json', async (tc) => {
  // a compromised peer announces it with a valid credential (the replays above announced it too)
  const announce = JSON.stringify({ from: { id: 'mallory', url: LISTENER_URL }, digest: {}, peers: [LISTENER_URL] });
  const r = await post('/internal/gossip', announce, signed('controller', 'POST', '/internal/gossip', announce));
  assert.ok(r.status < 500, `announce answered ${r.status}`);
  // ctl1 contacts it (to challenge it), and keeps trying while it cannot prove itself
  await waitFor('ctl1 to have contacted the listener twice', () => ctx.listenerSeen.length >= 2, { timeoutMs: 15_000 });
  const beforeRounds = ctx.proxySeen.filter((s) => s.url === '/internal/gossip').length;
  await waitFor('ten more gossip rounds of ctl9 (which would learn and call it too)', () =>
    ctx.proxySeen.filter((s) => s.url === '/internal/gossip').length >= beforeRounds + 10, { timeoutMs: 20_000 });
  const withCredential = ctx.listenerSeen.filter((s) => s.headers[CLUSTER_AUTH_HEADER] !== undefined);
  assert.equal(withCredential.map((s) => `${s.method} ${s.url}`), [], 'no request to the listener carried a cluster credential');
  const status = await tc.cli.run(['status', '--json']);
  assert.is(status.exitCode, 0, status.stderr);
  assert.not.ok(status.stdout.includes(LISTENER.host), `status lists the listener: ${status.stdout.slice(0, 400)}`);
  const fresh = createCli({ configDir: join(tc.dir, 'cli-fresh'), controllers: [CTL1] });
  const login = await fresh.run(['login', 'alice', PW]);
  assert.is(login.exitCode, 0, login.stderr);
  const session = readFileSync(join(fresh.configDir, 'session.json'), 'utf8');
  assert.not.ok(session.includes(LISTENER.host), `session.json names the listener: ${session}`);
  assert.ok(session.includes(CTL9), 'the proven peer ctl9 is learned');
});

step('malformed records from a peer with a valid credential are refused, logged with the sender, never stored; the cluster keeps serving', async (tc) => {
  const before = await dump();
  type Content = { v: { size: number; chunks: { id: string; size: number }[] }; at: unknown };
  const file = before.find((r) => r.type === 'inode' && ((r as { content?: Content }).content?.v?.chunks?.length ?? 0) > 0);
  assert.ok(file, 'alice\'s file record');
  const orig = file as MetaRecord & { content: Content };
  const now = Date.now();
  /** a version of alice's file that would win over the stored one (a newer writer "mallory") */
  const winning = (patch: Record<string, unknown>, origin = 'mallory', seq = 1): { origin: string; seq: number; record: Record<string, unknown> } => ({
    origin, seq, record: { ...orig, vv: { ...orig.vv, [origin]: seq }, hlc: { wallMs: now, logical: 0, node: origin }, ...patch },
  });
  const kinds: [string, { origin: string; seq: number; record: Record<string, unknown> }][] = [
    ['hlc.wallMs "x"', winning({ hlc: { wallMs: 'x', logical: 0, node: 'mallory' } })],
    ['seq 2^53-1 for another origin (ctl9)', winning({}, 'ctl9', TWO_53_MINUS_1)],
    ['chunks: "notalist"', winning({ content: { ...orig.content, v: { ...orig.content.v, chunks: 'notalist' } } })],
    ['chunk id ../../../../etc/passwd', winning({ content: { ...orig.content, v: { ...orig.content.v, chunks: [{ id: '../../../../etc/passwd', size: 1 }] } } })],
    ['HLC a day in the future', { origin: 'mallory', seq: 1, record: { ...orig, vv: { ...orig.vv, mallory: 1 }, hlc: { wallMs: now + 86_400_000, logical: 0, node: 'mallory' } } }],
  ];
  for (const [what, update] of kinds) {
    const push = JSON.stringify({ from: { id: 'mallory', url: NOBODY }, updates: [update] });
    const p = await post('/internal/gossip/push', push, signed('controller', 'POST', '/internal/gossip/push', push));
    assert.ok(p.status < 500, `${what} by gossip: ${p.status} ${p.body.toString().slice(0, 200)}`);
    const whole = JSON.stringify({ from: { id: 'mallory', url: NOBODY }, records: [update.record] });
    const w = await post('/internal/anti-entropy/records', whole, signed('controller', 'POST', '/internal/anti-entropy/records', whole));
    assert.ok(w.status < 500, `${what} by anti-entropy: ${w.status} ${w.body.toString().slice(0, 200)}`);
  }
  // a digest naming 2^53-1 writes of ctl1 must not push its write counter
  const pull = JSON.stringify({ from: { id: 'mallory', url: NOBODY }, digest: { ctl1: TWO_53_MINUS_1 } });
  const d = await post('/internal/gossip', pull, signed('controller', 'POST', '/internal/gossip', pull));
  assert.ok(d.status < 500, `digest attack: ${d.status}`);

  const after = await dump();
  assert.equal(after.find((r) => r.key === orig.key), orig, 'alice\'s file record is unchanged');
  for (const r of after) {
    validateRecord(r);
    assert.ok(r.hlc.wallMs <= Date.now() + 120_000, `${r.key}: stored from the future`);
    for (const [node, seq] of Object.entries(r.vv)) assert.ok(seq < 2 ** 50, `${r.key}: vv[${node}] = ${seq}`);
  }
  await waitFor('ctl1 to log the refusal with the sender', () =>
    readFileSync(join(tc.dir, 'logs', 'ctl1.log'), 'utf8').split('\n').some((l) => l.includes('Refused malformed records') && l.includes('mallory')), { timeoutMs: 5000 });

  // still serving: alice reads her file; both controllers still take writes
  const out = join(ctx.work, 'back.bin');
  const dl = await tc.cli.run(['download', '/plan.bin', out]);
  assert.is(dl.exitCode, 0, dl.stderr);
  assert.is(await sha256File(out), ctx.sha);
  assert.is((await tc.cli.run(['ls', '/'])).exitCode, 0);
  assert.is((await tc.cli.run(['mkdir', '/after-attack'])).exitCode, 0, 'ctl1 writes');
  const on9 = createCli({ configDir: join(tc.dir, 'cli-ctl9'), controllers: [CTL9] });
  assert.is((await on9.run(['login', 'alice', PW])).exitCode, 0);
  const mk = await on9.run(['mkdir', '/written-on-ctl9']);
  assert.is(mk.exitCode, 0, `ctl9 writes: ${mk.stderr}`);
  await waitFor('the write on ctl9 to reach ctl1', async () => (await tc.cli.run(['ls', '/'])).stdout.includes('written-on-ctl9'), { timeoutMs: 15_000 });
});

test.run();
