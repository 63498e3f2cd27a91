/**
 * Fuzzing a real controller and a real chunkserver (127.0.7.11 and 127.0.7.21) with thousands of
 * malformed requests (test/cluster/fuzz-gen.ts): every answer is below 500 (or 503/507), error
 * answers are JSON { code, message }, no request hangs, both daemons stay up and healthy, and the
 * owner's listing, a file's bytes and the chunk directory are exactly as before. Part of the requests
 * come from a compromised peer: internal routes signed with a valid cluster credential (malformed
 * gossip and records); after them every stored record passes validation and the owner's records
 * are unchanged. The seed is
 * printed; FUZZ_SEED=<n> replays a run (CI=true fixes it), FUZZ_REQUESTS=<n> changes its length (default 3000).
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlan } from '../../src/common/api.js';
import { DEV_CLUSTER_SECRET } from '../../src/common/config.js';
import { Signer } from '../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, signClusterCall } from '../../src/common/cluster-auth.js';
import type { MetaRecord } from '../../src/meta/types.js';
import { MAX_FUTURE_HLC_MS, MAX_SEQ, validateRecord } from '../../src/meta/validate.js';
import { listFiles, sha256File } from '../helpers/files.js';
import { getJson, http, loginToken } from '../helpers/http.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { FuzzGen, type FuzzAuth, type FuzzRequest } from './fuzz-gen.js';

// CI replays one fixed seed (a red CI must be reproducible); a developer's run explores a new one.
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.CI ? 20261126 : Math.floor(Math.random() * 2 ** 31);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 3000);
const CONCURRENCY = 16;
const REQUEST_TIMEOUT_MS = 20_000;

interface Answer { status: number; body: string }
/** what a compromised peer signs with: the cluster's real secret */
const peerSigner = new Signer(DEV_CLUSTER_SECRET);

/** Every record the controller holds, read with a valid controller credential. */
async function records(url: string): Promise<MetaRecord[]> {
  const body = JSON.stringify({ from: { id: 'fuzz-peer', url: 'http://127.0.7.98:8000' }, hashes: [] });
  const r = await http(`${url}/internal/anti-entropy`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', [CLUSTER_AUTH_HEADER]: signClusterCall(peerSigner, 'controller', 'fuzz-peer', { method: 'POST', path: '/internal/anti-entropy', body }, Date.now()) },
  });
  assert.is(r.status, 200, `anti-entropy dump: ${r.status}`);
  return r.json<{ records: MetaRecord[] }>().records;
}

/** The owner's records (files, links, account): the fuzz must leave them exactly as they were. */
const ownerRecords = (rs: MetaRecord[]): MetaRecord[] =>
  rs.filter((r) => (r as { owner?: string }).owner === 'owner' || (r as { name?: string }).name === 'owner').sort((a, b) => (a.key < b.key ? -1 : 1));
interface Snapshot { listing: unknown; sha: string; chunks: string[] }

const ctx: { tc?: TestCluster; auth?: FuzzAuth; ownerToken: string; before?: Snapshot; ownerBefore?: MetaRecord[] } = { ownerToken: '' };
const test = suite('fuzz');

function send(base: { host: string; port: number }, r: FuzzRequest): Promise<Answer> {
  if (r.raw) return sendRaw(base, r.raw);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: base.host, port: base.port, method: r.method, path: r.path, agent: false,
      headers: {
        ...r.headers,
        ...(r.body ? { 'content-length': String(r.body.length) } : {}),
        ...(r.signAs ? { [CLUSTER_AUTH_HEADER]: signClusterCall(peerSigner, r.signAs, 'fuzz-peer', { method: r.method, path: r.path, body: r.body }, Date.now()) } : {}),
      },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      // A server may answer before reading a large body and close; TCP can then cut the answer.
      res.on('error', (err) => resolve({ status: -1, body: err.message }));
    });
    req.on('error', (err: Error & { code?: string }) => {
      // The server may answer (413/431) and close before the whole body was written.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') resolve({ status: -1, body: err.code });
      else reject(err);
    });
    req.end(r.body);
  });
}

function sendRaw(base: { host: string; port: number }, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const s = connect(base.port, base.host);
    let out = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`raw request got no answer in ${REQUEST_TIMEOUT_MS} ms`)); }, REQUEST_TIMEOUT_MS);
    s.on('data', (d) => {
      out += d.toString('utf8');
      if (/\r\n\r\n/.test(out) && /content-length: (\d+)/i.test(out)) {
        const len = Number(/content-length: (\d+)/i.exec(out)![1]);
        if (Buffer.byteLength(out.slice(out.indexOf('\r\n\r\n') + 4)) >= len) s.destroy();
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
      resolve({ status: m ? Number(m[1]) : -1, body: out.slice(out.indexOf('\r\n\r\n') + 4) });
    });
    s.on('error', () => undefined);
    s.write(bytes);
  });
}

/** Why an answer breaks the rules, or undefined if it is fine. */
function problem(r: FuzzRequest, a: Answer): string | undefined {
  // Dropping a connection whose big body it did not want is fine for a server (answer first, then close).
  if (a.status === -1) return r.raw || (r.body && r.body.length > 64 * 1024) ? undefined : `connection dropped (${a.body})`;
  if (a.status >= 500 && a.status !== 503 && a.status !== 507) return `status ${a.status}`;
  if (a.status < 400 || r.method === 'HEAD') return undefined;
  if (r.raw && a.body === '') return undefined;
  try {
    const j = JSON.parse(a.body) as { code?: unknown; message?: unknown };
    if (typeof j.code !== 'string' || typeof j.message !== 'string') return 'error answer without { code, message }';
  } catch {
    return 'error answer is not JSON';
  }
  return undefined;
}

async function snapshot(tc: TestCluster): Promise<Snapshot> {
  const url = tc.controllerUrls[0]!;
  const list = async (path: string): Promise<unknown> => {
    const res = await getJson<{ entries: { path: string; kind: string }[] }>(`${url}/v1/fs/list?path=${encodeURIComponent(path)}`, ctx.ownerToken);
    assert.is(res.status, 200);
    return Promise.all(res.data.entries.map(async (e) => ({ ...e, children: e.kind === 'dir' ? await list(e.path) : undefined })));
  };
  const plan = await getJson<ReadPlan>(`${url}/v1/fs/read?path=${encodeURIComponent('/fuzz/target.bin')}`, ctx.ownerToken);
  assert.is(plan.status, 200);
  const dest = join(tc.dir, `down-${Date.now()}.bin`);
  const down = await tc.cli.run(['download', '/fuzz/target.bin', dest]);
  assert.is(down.exitCode, 0, down.stderr);
  const chunks = listFiles(tc.chunkDir(0)).map((f) => `${f} ${statSync(join(tc.chunkDir(0), f)).size}`);
  return { listing: await list('/'), sha: await sha256File(dest), chunks };
}

process.stdout.write(`fuzz: seed ${SEED} (replay with FUZZ_SEED=${SEED}), ${REQUESTS} requests\n`);
useTestCluster(test, 'fuzz', ctx, { label: 'fuzz', net: '127.0.7', controllers: 1, chunkservers: 1 }, async (tc) => {
  const url = tc.controllerUrls[0]!;
  for (const [user, pw] of [['owner', 'Owner-pw-91b2'], ['mallory', 'Mallory-pw-55e1']]) {
    const reg = await http(`${url}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: pw }) });
    if (reg.status !== 201) throw new Error(`register ${user}: ${reg.status}`);
  }
  ctx.ownerToken = await loginToken(url, 'owner', 'Owner-pw-91b2');
  const malloryToken = await loginToken(url, 'mallory', 'Mallory-pw-55e1');
  await tc.waitHealthyChunkservers(ctx.ownerToken, 1);
  const login = await tc.cli.run(['login', 'owner', 'Owner-pw-91b2']);
  if (login.exitCode !== 0) throw new Error(`CLI login: ${login.stderr}`);
  const work = join(tc.dir, 'work');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'target.bin'), randomBytes(5 * 1024 * 1024 + 123));
  if ((await tc.cli.run(['mkdir', '/fuzz'])).exitCode !== 0) throw new Error('mkdir failed');
  const up = await tc.cli.run(['upload', join(work, 'target.bin'), 'keep', '--to', '/fuzz/target.bin']);
  if (up.exitCode !== 0) throw new Error(`upload: ${up.stderr}`);
  const plan = await getJson<ReadPlan>(`${url}/v1/fs/read?path=${encodeURIComponent('/fuzz/target.bin')}`, ctx.ownerToken);
  const mk = await http(`${url}/v1/fs/mkdir`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${malloryToken}` }, body: JSON.stringify({ path: '/m' }) });
  if (mk.status >= 300) throw new Error(`mallory mkdir: ${mk.status}`);
  const all = await records(url);
  const sample = all.find((r) => r.type === 'inode' && (r as { owner?: string }).owner === 'mallory');
  if (!sample) throw new Error('no record of mallory to mutate');
  ctx.ownerBefore = ownerRecords(all);
  const now = Date.now();
  ctx.auth = {
    malloryToken, ownerToken: ctx.ownerToken,
    wrongClusterHeader: signClusterCall(new Signer('wrong-secret-fuzz-0123456789'), 'chunkserver', 'cs1', { method: 'POST', path: '/internal/heartbeat', body: '{}' }, now),
    staleClusterHeader: signClusterCall(new Signer(DEV_CLUSTER_SECRET), 'chunkserver', 'cs1', { method: 'POST', path: '/internal/heartbeat', body: '{}' }, now - 3_600_000),
    chunkId: plan.data.chunks[0]!.id, readCap: plan.data.chunks[0]!.cap,
    sampleRecord: sample as unknown as Record<string, unknown>,
  };
  ctx.before = await snapshot(tc);
});

test(`${REQUESTS} malformed requests: no 5xx, JSON errors, no hang, no crash, no state change`, async () => {
  const tc = ctx.tc;
  if (!tc || !ctx.auth) throw new Error('cluster did not start (see the logs above)');
  try {
    const gen = new FuzzGen(SEED, ctx.auth);
    const targets = { controller: { host: '127.0.7.11', port: 8000 }, chunkserver: { host: '127.0.7.21', port: 9000 } };
    const statuses = new Map<number, number>();
    const problems: string[] = [];
    let next = 0;
    let signedCount = 0;
    const started = Date.now();
    const worker = async (): Promise<void> => {
      while (next < REQUESTS && problems.length < 20) {
        const i = next++;
        const r = gen.next();
        if (r.signAs) signedCount++;
        let a: Answer;
        try {
          a = await send(targets[r.target], r);
        } catch (err) {
          problems.push(`#${i} ${r.target} ${r.method} ${r.path.slice(0, 120)}: ${(err as Error).message}`);
          continue;
        }
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        const p = problem(r, a);
        if (p) {
          problems.push(`#${i} ${r.target} ${r.method} ${r.path.slice(0, 120)} body=${r.body?.toString('utf8').slice(0, 120) ?? r.raw?.toString('utf8').slice(0, 80)}: ${p}: ${a.body.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
    process.stdout.write(`fuzz: seed ${SEED}: ${next} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}\n`);
    assert.equal(problems, [], `seed ${SEED} (replay with FUZZ_SEED=${SEED}):\n${problems.join('\n')}`);

    for (const node of [...tc.controllers, ...tc.chunkservers]) {
      assert.ok(node.running, `${node.spec.id} still runs`);
      process.kill(node.pid!, 0);
      assert.is((await http(`${node.url}/health`)).status, 200, `${node.spec.id} /health`);
    }
    const after = await snapshot(tc);
    assert.equal(after, ctx.before, 'state after the fuzz equals the state before');
    // what the compromised peer's signed gossip left: nothing invalid, the owner's records as they were
    const stored = await records(tc.controllerUrls[0]!);
    for (const r of stored) {
      validateRecord(r);
      assert.ok(r.hlc.wallMs <= Date.now() + MAX_FUTURE_HLC_MS, `${r.key.replace(/\0/g, ':')} stored from the future`);
      for (const [node, seq] of Object.entries(r.vv)) assert.ok(seq <= MAX_SEQ, `${r.key.replace(/\0/g, ':')}: vv[${node}] = ${seq}`);
    }
    assert.equal(ownerRecords(stored), ctx.ownerBefore, "the owner's records are unchanged");
    process.stdout.write(`fuzz: ${signedCount} requests signed with a valid cluster credential\n`);
  } catch (err) {
    tc.dumpLogs();
    throw err;
  }
});

test.run();
