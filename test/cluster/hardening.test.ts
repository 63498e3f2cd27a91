/**
 * Hardening against one user hurting others, on real processes (1 controller + 1 chunkserver on
 * 127.0.36.x): a user who owns no file with a chunk learns nothing from HEAD/PUT about whether it
 * is stored; stalled uploads neither make a chunkserver report full nor outlive PUT_STALL_TIMEOUT,
 * and one client's uploads are bounded; tags per file and per user and chunks per placement are
 * bounded while /health keeps answering; a short CLUSTER_SECRET is refused off loopback; report-bad
 * is throttled; a corrupt database page stops the controller at start.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath, repoRoot } from '../../src/cluster/paths.js';
import { CAP_HEADER, RECEIPT_HEADER, type PlacementResponse, type ReadPlan } from '../../src/common/api.js';
import { sha256Hex } from '../../src/common/hash.js';
import { aliceAndBob, type Cli } from '../helpers/cli.js';
import { sha256File } from '../helpers/files.js';
import { getJson, http, postJson } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { newChunkId } from '../helpers/chunk-ids.js';
import { CHUNK_FORMAT_HEADER, DEFAULT_CHUNK_FORMAT } from '../../src/common/chunk-format.js';

const NET = '127.0.36';
const PW = { alice: 'Alice-pw-36a1b2c3', bob: 'Bob-pw-36d4e5f6' };
const STALL_MS = 3000;
const PUTS_PER_CLIENT = 2;
const TAGS_PER_FILE = 8;
const TAGS_PER_USER = 12;
const PLACEMENT_MAX = 50_000;
const REPORTS_PER_USER = 5;
const ctx: { tc?: TestCluster; work: string; alice?: Cli; bob?: Cli; aliceToken: string; bobToken: string } = { work: '', aliceToken: '', bobToken: '' };
const test = suite('hardening');
const step = stepsFor(test, () => ctx.tc);

useTestCluster(test, 'hardening', ctx, {
  label: 'hardening', net: NET, controllers: 1, chunkservers: 1,
  controllerEnv: { REPORT_BAD_PER_USER_MAX: String(REPORTS_PER_USER), TAGS_PER_FILE_MAX: String(TAGS_PER_FILE), TAGS_PER_USER_MAX: String(TAGS_PER_USER), PLACEMENT_CHUNKS_MAX: String(PLACEMENT_MAX) },
  chunkserverEnv: { CAPACITY_BYTES: '160MiB', PUT_STALL_TIMEOUT: `${STALL_MS}ms`, PUTS_PER_CLIENT_MAX: String(PUTS_PER_CLIENT) },
}, async (tc) => {
  Object.assign(ctx, await aliceAndBob(tc, PW));
  await tc.waitHealthyChunkservers(ctx.aliceToken, 1);
});

const csUrl = () => `http://${NET}.21:9000`;

async function placement(token: string, chunks: { id: string; size: number }[]): Promise<PlacementResponse> {
  const res = await postJson<PlacementResponse>(`${ctx.tc!.controllerUrls[0]}/v1/fs/placement`, token, { chunks });
  assert.is(res.status, 200, `placement: ${JSON.stringify(res.data).slice(0, 300)}`);
  return res.data;
}

step('bob cannot tell from HEAD or PUT whether alice stored a file; with the bytes he may still commit it', async (tc) => {
  const known = randomBytes(200_000);
  const local = join(ctx.work, 'known.bin');
  writeFileSync(local, known);
  const up = await ctx.alice!.run(['upload', local, '--to', '/known.bin']);
  assert.is(up.exitCode, 0, `alice's upload: ${up.stderr}`);
  const other = randomBytes(200_000);
  const ids = [newChunkId(known), newChunkId(other)];

  // alice may dedup her own chunk: the controller says it is present and HEAD gives a receipt
  const mine = await placement(ctx.aliceToken, [{ id: ids[0]!, size: known.length }]);
  assert.equal(mine.chunks[0]!.present, [mine.chunks[0]!.targets[0]!.id]);
  const own = await http(`${csUrl()}/chunks/${ids[0]}`, { method: 'HEAD', headers: { [CAP_HEADER]: mine.chunks[0]!.cap } });
  assert.is(own.status, 200);
  assert.ok(own.headers.get(RECEIPT_HEADER), 'alice gets a receipt for her own chunk');

  const plan = await placement(ctx.bobToken, [{ id: ids[0]!, size: known.length }, { id: ids[1]!, size: other.length }]);
  const seen = [];
  for (const [i, bytes] of [known, other].entries()) {
    const ch = plan.chunks[i]!;
    const head = await http(`${csUrl()}/chunks/${ch.id}`, { method: 'HEAD', headers: { [CAP_HEADER]: ch.cap } });
    const put = await http(`${csUrl()}/chunks/${ch.id}`, { method: 'PUT', headers: { [CAP_HEADER]: ch.cap, 'content-type': 'application/octet-stream', [CHUNK_FORMAT_HEADER]: DEFAULT_CHUNK_FORMAT }, body: bytes });
    const body = put.json<{ created: boolean; size: number; receipt: string }>();
    seen.push({ present: ch.present, head: head.status, headLength: head.headers.get('content-length'), headReceipt: head.headers.get(RECEIPT_HEADER), put: put.status, created: body.created, size: body.size });
    if (i === 0) {
      const commit = await postJson(`${tc.controllerUrls[0]}/v1/fs/commit`, ctx.bobToken, {
        path: '/mine.bin', size: known.length, chunks: [{ id: ch.id, size: known.length }], receipts: { [ch.id]: [body.receipt] },
      });
      assert.is(commit.status, 200, 'bob, who has the bytes, may store the same content');
    }
  }
  assert.equal(seen[0], seen[1], 'alice\'s stored chunk and a never-stored one get the same answers');
  assert.is(seen[0]!.head, 403, 'HEAD refused without telling');
  const back = join(ctx.work, 'mine.bin');
  assert.is((await ctx.bob!.run(['download', '/mine.bin', back])).exitCode, 0);
  assert.is(await sha256File(back), sha256Hex(known));
});

interface Stalled {
  from: string;
  /** resolves with the answer's status, or 'cut' when the connection was closed without one */
  outcome: Promise<number | 'cut'>;
  /** the outcome once known */
  ended?: number | 'cut';
}

/** A PUT that declares `declaredBytes`, sends 64 KiB and then nothing, from local address `from`. */
function stalledPut(url: string, cap: string, declaredBytes: number, from: string): Stalled {
  const s: Stalled = { from, outcome: Promise.resolve('cut') };
  s.outcome = new Promise<number | 'cut'>((resolve) => {
    const req = httpRequest(url, {
      method: 'PUT', localAddress: from,
      headers: { [CAP_HEADER]: cap, 'content-type': 'application/octet-stream', 'content-length': String(declaredBytes) },
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('cut'));
    req.on('close', () => resolve('cut'));
    req.write(randomBytes(64 * 1024));
  }).then((o) => (s.ended = o));
  return s;
}

interface CsHealth { full: boolean; freeBytes: number; putsInFlight?: number }

step('stalled PUTs reserve only what arrived, are bounded per client and are cut off after PUT_STALL_TIMEOUT', async (tc) => {
  const declared = 32 * 1024 ** 2; // five of these would fill the 160 MiB quota if reserved up front
  const chunks = Array.from({ length: 7 }, () => ({ id: sha256Hex(randomBytes(32)), size: declared }));
  const plan = await placement(ctx.bobToken, chunks);
  const put = (i: number, from: string) => stalledPut(`${csUrl()}/chunks/${chunks[i]!.id}`, plan.chunks[i]!.cap, declared, from);
  // six clients, one of them with two uploads (its bound), then a third from that client
  const stalled = [put(0, `${NET}.101`), put(1, `${NET}.101`), ...[2, 3, 4, 5].map((i) => put(i, `${NET}.${100 + i}`))];
  const health = () => http(`${csUrl()}/health`).then((r) => r.json<CsHealth>());
  const settled = await waitFor('every stalled PUT admitted (or one refused)', async () => {
    const h = await health();
    return h.putsInFlight === stalled.length || stalled.some((x) => x.ended !== undefined) ? h : undefined;
  });
  assert.equal(stalled.map((x) => x.ended), stalled.map(() => undefined), 'no stalled PUT was refused (507 when their declared sizes were reserved)');
  assert.is(settled.full, false, 'the chunkserver does not report full');
  assert.ok(settled.freeBytes > 150 * 1024 ** 2, `free space counts only what arrived (${settled.freeBytes} bytes free of 160 MiB)`);
  const extra = put(6, `${NET}.101`);
  assert.is(await extra.outcome, 429, 'a third concurrent PUT from the same client is refused');

  const outcomes = await waitFor('the stalled PUTs to be cut off', async () => {
    const h = await health();
    return h.putsInFlight === 0 ? Promise.all(stalled.map((s) => s.outcome)) : undefined;
  }, { timeoutMs: 60_000, pollMs: 250 });
  for (const o of outcomes) assert.ok(o === 408 || o === 'cut', `a stalled PUT ended with ${o}`);
  const after = await health();
  assert.is(after.full, false);
  const local = join(ctx.work, 'after.bin');
  writeFileSync(local, randomBytes(300_000));
  const up = await ctx.bob!.run(['upload', local, '--to', '/after.bin']);
  assert.is(up.exitCode, 0, `an upload after the stall: ${up.stderr}`);
  assert.ok(tc.cluster.logs(200).includes('Chunk upload stalled; cut off'), 'the chunkserver logged the cut');
});

step('tags per file and per user are bounded (413 TOO_LARGE naming the variable); removing and other users still work', async (tc) => {
  const url = tc.controllerUrls[0]!;
  const local = join(ctx.work, 'tagged.bin');
  writeFileSync(local, randomBytes(1000));
  for (const f of ['/t1.bin', '/t2.bin']) assert.is((await ctx.alice!.run(['upload', local, '--to', f])).exitCode, 0);
  const tag = (token: string, path: string, add: string[], remove: string[] = []) =>
    postJson<{ code?: string; message?: string; tags?: string[] }>(`${url}/v1/fs/tags`, token, { path, add, remove });
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  assert.is((await tag(ctx.aliceToken, '/t1.bin', names('a', TAGS_PER_FILE))).status, 200, 'up to the per-file bound');
  const perFile = await tag(ctx.aliceToken, '/t1.bin', ['one-more']);
  assert.equal([perFile.status, perFile.data.code], [413, 'TOO_LARGE']);
  assert.match(perFile.data.message ?? '', /TAGS_PER_FILE_MAX/);
  const cli = await ctx.alice!.run(['tag', 'add', '/t1.bin', 'via-cli']);
  assert.is(cli.exitCode, 2, `CLI exit code (${cli.stderr.trim()})`);
  assert.match(cli.stderr, /at most 8 tags/);
  assert.is((await tag(ctx.aliceToken, '/t1.bin', ['swap'], ['a0'])).status, 200, 'a swap does not grow the file');
  assert.is((await tag(ctx.aliceToken, '/t2.bin', names('b', TAGS_PER_USER - TAGS_PER_FILE))).status, 200, 'up to the per-user bound');
  const perUser = await tag(ctx.aliceToken, '/t2.bin', ['b-last']);
  assert.equal([perUser.status, perUser.data.code], [413, 'TOO_LARGE']);
  assert.match(perUser.data.message ?? '', /TAGS_PER_USER_MAX/);
  assert.is((await tag(ctx.aliceToken, '/t2.bin', [], ['b0'])).status, 200, 'removing always works');
  assert.is((await tag(ctx.aliceToken, '/t2.bin', ['b-last'])).status, 200, 'and makes room');
  assert.is((await ctx.bob!.run(['tag', 'add', '/mine.bin', 'bobs'])).exitCode, 0, 'bob has his own budget');
});

step('chunks per placement are bounded; /health answers while the largest allowed placement runs', async (tc) => {
  const url = tc.controllerUrls[0]!;
  const ids = (n: number) => Array.from({ length: n }, (_, i) => ({ id: sha256Hex(`chunk-${i}`), size: 4 * 1024 ** 2 }));
  const over = await postJson<{ code: string; message: string }>(`${url}/v1/fs/placement`, ctx.bobToken, { chunks: ids(PLACEMENT_MAX + 1) });
  assert.equal([over.status, over.data.code], [413, 'TOO_LARGE']);
  assert.match(over.data.message, /PLACEMENT_CHUNKS_MAX/);

  // Order of events, not durations: a /health sent after the whole placement body went out must
  // be answered before the placement's answer begins.
  const events: string[] = [];
  const body = JSON.stringify({ chunks: ids(PLACEMENT_MAX) });
  const placed = new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${url}/v1/fs/placement`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.bobToken}`, 'content-length': String(Buffer.byteLength(body)) },
      timeout: 120_000,
    }, (res) => {
      events.push('placement answered');
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body, () => events.push('placement sent'));
  });
  let done = false;
  void placed.finally(() => { done = true; });
  while (!done) {
    const sentAfterBody = events.includes('placement sent');
    const h = await http(`${url}/health`, { timeoutMs: 60_000 });
    assert.is(h.status, 200);
    if (sentAfterBody) events.push('health answered');
  }
  assert.is(await placed, 200);
  const during = events.indexOf('health answered');
  assert.ok(during >= 0 && during < events.indexOf('placement answered'), `a /health sent during the placement was answered before it (${events.slice(0, 8).join(', ')}…)`);
});

/** Starts a daemon of `role` with `env`; resolves with its exit code and output once it exits (killed when `until` holds for its output, or after 20 s). */
async function runDaemon(role: 'controller' | 'chunkserver', env: Record<string, string>, until: (out: string) => boolean): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [binPath(role)], { cwd: repoRoot(), env: { PATH: process.env.PATH ?? '', CONTROLLER_DNS: '', LOG_LEVEL: 'info', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, 20_000);
    const check = (d: Buffer) => {
      out += d.toString('utf8');
      if (until(out)) child.kill('SIGKILL');
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (c) => { clearTimeout(timer); resolve({ code: c, out }); });
  });
}

const STARTED = /Chunkserver started|Controller \S+ listening on/;

step('a CLUSTER_SECRET shorter than 16 characters is refused off loopback and only warned about on loopback', async (tc) => {
  const short = 'short-secret';
  for (const role of ['controller', 'chunkserver'] as const) {
    const dir = join(tc.dir, `short-${role}`);
    for (const [bind, advertise, what] of [['0.0.0.0', '', 'BIND_ADDR 0\\.0\\.0\\.0'], [`${NET}.31`, '192.0.2.7', 'ADVERTISE_ADDR 192\\.0\\.2\\.7']] as const) {
      const r = await runDaemon(role, { CLUSTER_SECRET: short, BIND_ADDR: bind, ADVERTISE_ADDR: advertise, DATA_DIR: dir }, () => false);
      assert.is(r.code, 2, `${role} on ${bind}/${advertise}: exit code (output: ${r.out.slice(0, 400)})`);
      assert.match(r.out, new RegExp(`shorter than 16 characters and ${what} is not a loopback address`));
    }
    const ok = await runDaemon(role, { CLUSTER_SECRET: short, BIND_ADDR: `${NET}.31`, DATA_DIR: dir, CONTROLLER_PEERS: '' }, (out) => STARTED.test(out));
    assert.match(ok.out, /CLUSTER_SECRET is shorter than 16 characters; use a long random value/, `${role} on loopback warns`);
    assert.match(ok.out, STARTED, `${role} on loopback starts (output: ${ok.out.slice(-400)})`);
  }
});

step('report-bad: one verification per replica, the rest coalesced; a caller past REPORT_BAD_PER_USER_MAX gets 429', async (tc) => {
  const url = tc.controllerUrls[0]!;
  const plan = await getJson<ReadPlan>(`${url}/v1/fs/read?path=${encodeURIComponent('/known.bin')}`, ctx.aliceToken);
  assert.is(plan.status, 200);
  const ch = plan.data.chunks[0]!;
  const asking = () => readFileSync(join(tc.dir, 'logs', 'ctl1.log'), 'utf8').split('\n').filter((l) => l.includes('asking the chunkserver to verify it') && l.includes(ch.id)).length;
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await postJson(`${url}/v1/fs/report-bad`, ctx.aliceToken, { chunkId: ch.id, serverId: ch.locations[0]!.id, cap: ch.cap });
    statuses.push(r.status);
  }
  assert.equal(statuses, [...Array(REPORTS_PER_USER).fill(202), ...Array(30 - REPORTS_PER_USER).fill(429)]);
  assert.is(asking(), 1, 'the chunkserver was asked to hash the chunk once');
  await waitFor('the one verification to finish', () => readFileSync(join(tc.dir, 'logs', 'ctl1.log'), 'utf8').includes('Reported replica verified intact'));
  const bob = await getJson<ReadPlan>(`${url}/v1/fs/read?path=${encodeURIComponent('/mine.bin')}`, ctx.bobToken);
  const bc = bob.data.chunks[0]!;
  assert.is((await postJson(`${url}/v1/fs/report-bad`, ctx.bobToken, { chunkId: bc.id, serverId: bc.locations[0]!.id, cap: bc.cap })).status, 202, 'bob has his own budget');
  assert.is(asking(), 1, 'bob\'s report of the same replica joins the recent verification');
});

step('a corrupt database page stops the controller at start with INTEGRITY (exit 6) and a clear log line', async (tc) => {
  const dir = join(tc.dir, 'ctlq');
  const env = { CLUSTER_SECRET: 'a-long-enough-test-secret-36', BIND_ADDR: `${NET}.32`, PORT: '8000', DATA_DIR: dir, CONTROLLER_NODE_ID: 'ctlq', CONTROLLER_PEERS: '' };
  const url = `http://${NET}.32:8000`;
  // a real database with some records, closed cleanly (SIGTERM checkpoints the WAL into the file)
  const first = spawn(process.execPath, [binPath('controller')], { cwd: repoRoot(), env: { PATH: process.env.PATH ?? '', CONTROLLER_DNS: '', ...env }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => first.once('exit', resolve));
  await waitFor('the controller to answer', async () => (await http(`${url}/health`, { timeoutMs: 2000 })).status === 200);
  for (let i = 0; i < 20; i++) {
    const r = await http(`${url}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: `user${i}`, password: 'Long-enough-pw-1' }) });
    assert.is(r.status, 201);
  }
  first.kill('SIGTERM');
  assert.is(await exited, 0, 'clean stop');
  const db = join(dir, 'controller-ctlq', 'redcloud.db');
  const pages = statSync(db).size / 4096;
  assert.ok(pages >= 3, `the database has pages to corrupt (${pages})`);
  const fd = openSync(db, 'r+');
  writeSync(fd, randomBytes(64), 0, 64, (pages - 1) * 4096); // the header of the last page: nothing at start reads it
  closeSync(fd);
  const r = await runDaemon('controller', env, (out) => STARTED.test(out));
  assert.is(r.code, 6, `exit code (output: ${r.out.slice(-600)})`);
  assert.match(r.out, /Database failed its integrity check/);
  assert.match(r.out, /redcloud-controller: INTEGRITY: Database .*redcloud\.db is corrupt/);
});

test.run();
