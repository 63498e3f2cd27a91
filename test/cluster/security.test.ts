/**
 * Security against real processes (1 controller + 2 chunkservers on 127.0.7.x): users are isolated
 * through the CLI and the HTTP API, chunks need a capability for that chunk and operation, a node
 * with the wrong CLUSTER_SECRET is refused (and the refusal logged), a daemon refuses to start
 * with the development secret on a non-loopback address, logins are throttled, odd and over-long
 * names are handled or refused cleanly, and no password or token ever reaches the logs.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath, repoRoot } from '../../src/cluster/paths.js';
import { CAP_HEADER, type ReadPlan } from '../../src/common/api.js';
import { DEV_CLUSTER_SECRET } from '../../src/common/config.js';
import { Signer, issueCapability } from '../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, signClusterCall } from '../../src/common/cluster-auth.js';
import { findEntryIn, aliceAndBob, type Cli } from '../helpers/cli.js';
import { sha256File } from '../helpers/files.js';
import { getJson, http } from '../helpers/http.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';
import { chunkIntact } from '../helpers/chunk-ids.js';

const NET = '127.0.7';
const PW = { alice: 'Alice-pw-7f3c9e1b', bob: 'Bob-pw-2d8a6c4e' };
const ctx: { tc?: TestCluster; work: string; alice?: Cli; bob?: Cli; aliceToken: string; bobToken: string; sha: string; tokens: string[] } = {
  work: '', aliceToken: '', bobToken: '', sha: '', tokens: [],
};
const test = suite('security');

const step = stepsFor(test, () => ctx.tc);

function assertFails(r: { exitCode: number | null; stderr: string; stdout: string }, what: string, exitCode?: number): void {
  assert.ok(r.exitCode !== 0 && r.exitCode !== null, `${what}: expected a non-zero exit, got ${r.exitCode} (${r.stdout.slice(0, 200)})`);
  if (exitCode !== undefined) assert.is(r.exitCode, exitCode, `${what}: exit code (stderr: ${r.stderr.trim()})`);
  assert.ok(`${r.stderr}${r.stdout}`.trim().length > 0, `${what}: a message is printed`);
  assert.not.ok(/\n\s+at .+:\d+:\d+/.test(r.stderr), `${what}: no stack trace (${r.stderr.slice(0, 300)})`);
}

const logText = (tc: TestCluster): string =>
  readdirSync(join(tc.dir, 'logs')).map((f) => readFileSync(join(tc.dir, 'logs', f), 'utf8')).join('\n');
const ctlLog = (tc: TestCluster): string => readFileSync(join(tc.dir, 'logs', 'ctl1.log'), 'utf8');
const csLog = (tc: TestCluster, i: number): string => readFileSync(join(tc.dir, 'logs', `cs${i}.log`), 'utf8');
/** warn-level lines of a JSON log containing `msg` */
const warnLines = (log: string, msg: string): Record<string, unknown>[] =>
  log.split('\n').filter((l) => l.includes(msg)).map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.level === 'warn' || o.level === 40);

useTestCluster(test, 'security', ctx, { label: 'security', net: NET, controllers: 1, chunkservers: 2 }, async (tc) => {
  Object.assign(ctx, await aliceAndBob(tc, PW));
  ctx.tokens.push(ctx.aliceToken, ctx.bobToken);
  await tc.waitHealthyChunkservers(ctx.aliceToken, 2);
});

step('alice uploads a tagged file; bob cannot see, read, tag, move or delete it through the CLI', async () => {
  const local = join(ctx.work, 'plan.bin');
  writeFileSync(local, randomBytes(300_000));
  ctx.sha = await sha256File(local);
  const alice = ctx.alice!;
  const bob = ctx.bob!;
  assert.is((await alice.run(['mkdir', '/private'])).exitCode, 0);
  const up = await alice.run(['upload', local, 'confidential', '--to', '/private/plan.bin']);
  assert.is(up.exitCode, 0, `upload: ${up.stderr}`);

  assert.not.ok(findEntryIn(await bob.json(['ls', '/']), '/private'), 'bob\'s ls / does not show alice\'s directory');
  assertFails(await bob.run(['ls', '/private']), 'bob ls /private', 4);
  assert.not.ok(findEntryIn(await bob.json(['find', 'confidential']), '/private/plan.bin'), 'bob\'s find does not show it');
  assertFails(await bob.run(['download', '/private/plan.bin', join(ctx.work, 'stolen.bin')]), 'bob download', 4);
  assertFails(await bob.run(['tag', 'add', '/private/plan.bin', 'mine']), 'bob tag add', 4);
  assertFails(await bob.run(['mv', '/private/plan.bin', '/mine.bin']), 'bob mv', 4);
  assertFails(await bob.run(['rm', '/private/plan.bin']), 'bob rm', 4);
  assertFails(await bob.run(['rm', '-r', '/private']), 'bob rm -r', 4);

  const entry = findEntryIn(await alice.json(['ls', '/private']), '/private/plan.bin');
  assert.ok(entry, 'alice still has her file');
  assert.equal(entry!.tags, ['confidential']);
  const dest = join(ctx.work, 'plan.down');
  assert.is((await alice.run(['download', '/private/plan.bin', dest])).exitCode, 0);
  assert.is(await sha256File(dest), ctx.sha);
});

step('HTTP: bob\'s read plan for alice\'s path is 404; chunks need a capability for that chunk and operation', async (tc) => {
  const url = tc.controllerUrls[0]!;
  const bobPlan = await getJson<{ code: string }>(`${url}/v1/fs/read?path=${encodeURIComponent('/private/plan.bin')}`, ctx.bobToken);
  assert.is(bobPlan.status, 404);
  assert.is(bobPlan.data.code, 'NOT_FOUND');
  const plan = await getJson<ReadPlan>(`${url}/v1/fs/read?path=${encodeURIComponent('/private/plan.bin')}`, ctx.aliceToken);
  assert.is(plan.status, 200);
  const chunk = plan.data.chunks[0]!;
  const cs = chunk.locations[0]!.url;
  const get = (cap?: string, extra: Record<string, string> = {}) => http(`${cs}/chunks/${chunk.id}`, { headers: { ...(cap ? { [CAP_HEADER]: cap } : {}), ...extra } });

  const ok = await get(chunk.cap);
  assert.is(ok.status, 200, 'alice\'s capability reads the chunk');
  assert.ok(chunkIntact(chunk.id, ok.body), 'the bytes of the chunk');

  const signer = new Signer(DEV_CLUSTER_SECRET);
  const other = 'f'.repeat(64);
  const now = Date.now();
  const cases: [string, string | undefined, Record<string, string>?][] = [
    ['no capability', undefined],
    ['garbage capability', 'not-a-capability'],
    ['capability for another chunk', issueCapability(signer, other, 'r', now, 60_000)],
    ['write capability used to read', issueCapability(signer, chunk.id, 'w', now, 60_000)],
    ['delete capability used to read', issueCapability(signer, chunk.id, 'd', now, 60_000)],
    ['expired capability', issueCapability(signer, chunk.id, 'r', now - 120_000, 60_000)],
    ['capability signed with another secret', issueCapability(new Signer('some-other-secret-123456'), chunk.id, 'r', now, 60_000)],
    ['tampered capability', `${Buffer.from(JSON.stringify({ c: chunk.id, op: 'r', exp: now + 1e9 })).toString('base64url')}.${chunk.cap.split('.')[1]}`],
  ];
  for (const [what, cap] of cases) {
    const res = await get(cap);
    assert.is(res.status, 403, what);
    assert.is(res.json<{ code: string }>().code, 'FORBIDDEN', what);
  }
  // A read capability cannot delete or overwrite the chunk.
  const del = await http(`${cs}/chunks/${chunk.id}`, { method: 'DELETE', headers: { [CAP_HEADER]: chunk.cap } });
  assert.is(del.status, 403, 'read capability used to delete');
  const put = await http(`${cs}/chunks/${chunk.id}`, { method: 'PUT', headers: { [CAP_HEADER]: chunk.cap, 'content-type': 'application/octet-stream' }, body: Buffer.from('evil') });
  assert.is(put.status, 403, 'read capability used to write');
  assert.is((await get(chunk.cap)).status, 200, 'the chunk is still there');

  // Knowing the id is not enough to borrow the chunk: bob's write capability for it is refused on
  // HEAD (403, which does not even tell that the chunk is here) and gives no receipt, so he cannot
  // commit a file made of alice's chunk.
  const place = await http(`${url}/v1/fs/placement`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.bobToken}` }, body: JSON.stringify({ chunks: [{ id: chunk.id, size: chunk.size }] }) });
  assert.is(place.status, 200);
  const bobCap = place.json<{ chunks: { cap: string }[] }>().chunks[0]!.cap;
  const head = await http(`${cs}/chunks/${chunk.id}`, { method: 'HEAD', headers: { [CAP_HEADER]: bobCap } });
  assert.is(head.status, 403);
  assert.is(head.headers.get('x-redcloud-receipt'), null, 'no receipt for bob without the bytes');
  const steal = await http(`${url}/v1/fs/commit`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.bobToken}` },
    body: JSON.stringify({ path: '/stolen.bin', size: chunk.size, chunks: [{ id: chunk.id, size: chunk.size }], receipts: {} }),
  });
  // (the controller reports missing receipts as a write quorum not reached: 503 UNAVAILABLE)
  assert.ok(steal.status >= 400, `bob's commit of alice's chunk answered ${steal.status}`);
  assert.match(steal.json<{ message: string }>().message, /has 0 of 1 replicas/);
  assert.is((await getJson(`${url}/v1/fs/read?path=${encodeURIComponent('/stolen.bin')}`, ctx.bobToken)).status, 404);
});

step('a chunkserver with the wrong CLUSTER_SECRET is refused and the refusal logged; internal calls with it are 401', async (tc) => {
  const bad = await tc.cluster.chunkserver({
    id: 'csbad', addr: `${NET}.29`, port: 9000, dataDir: join(tc.dir, 'csbad'), logFile: join(tc.dir, 'logs', 'csbad.log'),
    peers: [`${NET}.11:8000`], clusterSecret: 'wrong-secret-0123456789abcdef', env: { HEARTBEAT_INTERVAL: '300ms', MIN_FREE_BYTES: '0' },
  });
  const refused = await waitFor('the controller to log a refused heartbeat from csbad', () =>
    warnLines(ctlLog(tc), 'Refused internal call').find((o) => o.remote === `${NET}.29` && o.url === '/internal/heartbeat'));
  assert.ok(refused);
  const status = await getJson<{ chunkservers: { id: string }[] }>(`${tc.controllerUrls[0]}/v1/status`, ctx.aliceToken);
  assert.equal(status.data.chunkservers.map((c) => c.id).sort(), ['cs1', 'cs2'], 'csbad is not registered');
  await bad.kill('SIGKILL');

  // Replication orders and inventory reads signed with the wrong secret.
  const wrong = new Signer('wrong-secret-0123456789abcdef');
  const cs1 = tc.chunkservers[0]!.url;
  const body = JSON.stringify({ chunkId: 'a'.repeat(64), sources: [{ id: 'cs2', url: tc.chunkservers[1]!.url }] });
  for (const header of [signClusterCall(wrong, 'controller', 'ctl1', { method: 'POST', path: '/internal/replicate', body }, Date.now()), 'garbage', undefined]) {
    const rep = await http(`${cs1}/internal/replicate`, { method: 'POST', headers: { 'content-type': 'application/json', ...(header ? { [CLUSTER_AUTH_HEADER]: header } : {}) }, body });
    assert.is(rep.status, 401, `replicate with header ${header?.slice(0, 10)}`);
    const inv = await http(`${cs1}/internal/inventory`, { headers: header ? { [CLUSTER_AUTH_HEADER]: header } : {} });
    assert.is(inv.status, 401);
  }
  const gossip = await http(`${tc.controllerUrls[0]}/internal/gossip`, { method: 'POST', headers: { 'content-type': 'application/json', [CLUSTER_AUTH_HEADER]: signClusterCall(wrong, 'controller', 'ctlx', { method: 'POST', path: '/internal/gossip', body: '{}' }, Date.now()) }, body: '{}' });
  // Refused either way (gossip validates its body before checking the signature: 400 or 401).
  assert.ok(gossip.status === 401 || gossip.status === 400, `gossip with the wrong secret answered ${gossip.status}`);
  // A stale (replayed) header with the right secret is refused too.
  const stale = signClusterCall(new Signer(DEV_CLUSTER_SECRET), 'controller', 'ctl1', { method: 'GET', path: '/internal/inventory' }, Date.now() - 10 * 60_000);
  assert.is((await http(`${cs1}/internal/inventory`, { headers: { [CLUSTER_AUTH_HEADER]: stale } })).status, 401);
  await waitFor("cs1 to log the refusals", () => warnLines(csLog(tc, 1), "Refused internal call").length >= 2);
});

step('a controller with the wrong CLUSTER_SECRET cannot gossip with the cluster', async (tc) => {
  const bad = await tc.cluster.controller({
    id: 'ctlbad', addr: `${NET}.19`, port: 8000, dataDir: join(tc.dir, 'ctlbad'), logFile: join(tc.dir, 'logs', 'ctlbad.log'),
    peers: [`${NET}.11:8000`], clusterSecret: 'wrong-secret-0123456789abcdef', env: { GOSSIP_INTERVAL: '200ms' },
  });
  await waitFor('the controller to log refused gossip from ctlbad', () =>
    warnLines(ctlLog(tc), 'Refused internal call').find((o) => o.remote === `${NET}.19` && String(o.url).startsWith('/internal/')));
  // The bad controller learned no user: alice's token (signed with the real secret) is invalid there.
  const who = await http(`${bad.url}/v1/whoami`, { headers: { authorization: `Bearer ${ctx.aliceToken}` } });
  assert.is(who.status, 401);
  const login = await http(`${bad.url}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'alice', password: PW.alice }) });
  assert.is(login.status, 401, 'no user records reached the bad controller');
  await bad.kill('SIGKILL');
});

step('daemons refuse to start with the development secret on a non-loopback address', async (tc) => {
  for (const role of ['controller', 'chunkserver'] as const) {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '', BIND_ADDR: '192.0.2.1', PORT: '0', DATA_DIR: join(tc.dir, `refuse-${role}`), CONTROLLER_DNS: '', LOG_LEVEL: 'info',
    };
    const child = spawn(process.execPath, [binPath(role)], { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(null); }, 20_000);
      child.once('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.is(code, 2, `${role} exit code; output: ${out.slice(0, 500)}`);
    assert.match(out, /CLUSTER_SECRET is not set and BIND_ADDR 192\.0\.2\.1 is not a loopback address/);
  }
  // The loopback cluster itself started with the default and warned about it.
  assert.ok(warnLines(ctlLog(tc), 'insecure development default').length >= 1, 'controller warns about the dev secret');
  assert.ok(warnLines(csLog(tc, 1), 'insecure development default').length >= 1, 'chunkserver warns about the dev secret');
});

step('five wrong passwords lock the account (429 + Retry-After) for a while; other users unaffected', async (tc) => {
  const url = tc.controllerUrls[0]!;
  const login = (user: string, password: string) =>
    http(`${url}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  for (let i = 0; i < 5; i++) assert.is((await login('bob', `guess-${i}`)).status, 401);
  const locked = await login('bob', PW.bob);
  assert.is(locked.status, 429, 'even the right password is refused while locked');
  assert.is(locked.json<{ code: string }>().code, 'THROTTLED');
  assert.ok(Number(locked.headers.get('retry-after')) >= 1, 'Retry-After header');
  const cli = await ctx.bob!.run(['login', 'bob', PW.bob]);
  assertFails(cli, 'CLI login while locked', 7);
  assert.match(`${cli.stderr}${cli.stdout}`, /Too many failed logins/);
  assert.is((await login('alice', PW.alice)).status, 200, 'alice is not locked');
  const token = await waitFor('bob\'s lock to expire', async () => {
    const r = await login('bob', PW.bob);
    return r.status === 200 ? r.json<{ token: string }>().token : undefined;
  }, { timeoutMs: 20_000, pollMs: 500 });
  ctx.tokens.push(token);
});

step('names with newlines, % and unicode work; 255-byte names work, 256 and paths over 8 KiB are refused cleanly', async () => {
  const alice = ctx.alice!;
  const local = join(ctx.work, 'small.bin');
  writeFileSync(local, randomBytes(1000));
  const sha = await sha256File(local);
  const okNames = ['line\nbreak.txt', '100% %41 %00 ok.txt', 'ünïcødé ✓ 日本.txt', `${'n'.repeat(251)}.txt`];
  for (const name of okNames) {
    const up = await alice.run(['upload', local, '--to', `/odd/${name}`]);
    assert.is(up.exitCode, 0, `upload ${JSON.stringify(name).slice(0, 40)}: ${up.stderr}`);
    const dest = join(ctx.work, 'odd.down');
    const down = await alice.run(['download', `/odd/${name}`, dest]);
    assert.is(down.exitCode, 0, `download ${JSON.stringify(name).slice(0, 40)}: ${down.stderr}`);
    assert.is(await sha256File(dest), sha);
  }
  const listed = await alice.json(['ls', '/odd']);
  for (const name of okNames) assert.ok(findEntryIn(listed, `/odd/${name}`), `ls shows ${JSON.stringify(name).slice(0, 40)}`);

  const long = await alice.run(['upload', local, '--to', `/odd/${'n'.repeat(256)}`]);
  assertFails(long, '256-byte name', 2);
  assert.match(`${long.stderr}${long.stdout}`, /longer than 255 bytes/);
  const deep = `/${Array.from({ length: 83 }, (_, i) => `${i}`.padEnd(200, 'd')).join('/')}`;
  const deepUp = await alice.run(['upload', local, '--to', deep]);
  assertFails(deepUp, 'over-long path', 2);
  assert.match(`${deepUp.stderr}${deepUp.stdout}`, /longer than 8192 bytes/);
  // (NUL cannot be passed in argv; the API refuses it: test/unit/security/authz.test.ts)
});

step('no password, token or cluster secret appears in any log', async (tc) => {
  const cliConfig = readdirSync(ctx.alice!.configDir).map((f) => readFileSync(join(ctx.alice!.configDir, f), 'utf8')).join('\n');
  const cliToken = /"token"\s*:\s*"([^"]+)"/.exec(cliConfig)?.[1];
  assert.ok(cliToken, 'the CLI saved a token');
  for (const f of readdirSync(ctx.alice!.configDir)) {
    assert.is(statSync(join(ctx.alice!.configDir, f)).mode & 0o077, 0, `${f} is readable by its owner only`);
  }
  const logs = logText(tc);
  assert.ok(logs.length > 1000, 'there are logs');
  for (const secret of [PW.alice, PW.bob, 'guess-0', DEV_CLUSTER_SECRET, 'wrong-secret-0123456789abcdef', cliToken!, ...ctx.tokens]) {
    assert.not.ok(logs.includes(secret), `a log contains ${secret.slice(0, 12)}…`);
    // tokens are base64url; their signature part alone must not leak either
    if (secret.includes('.')) assert.not.ok(logs.includes(secret.split('.')[1]!), 'a token signature is in a log');
  }
});

test.run();
