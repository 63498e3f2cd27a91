/**
 * Accounts against real processes (3 controllers on 127.0.34.11-13, a fresh 4th on .14; no
 * chunkservers: directories are enough to show whose files are whose), attacked as issue 12 says:
 * - a partitioned controller refuses to register a name it cannot know is free (503), and after the
 *   heal the real owner's password works everywhere and the attacker's nowhere;
 * - a registration that races the owner's (inside one gossip exchange) loses at the heal: the
 *   attacker's token is refused on every controller with NAME_TAKEN (the CLI says the name was
 *   taken), the owner keeps the name, the password and the files;
 * - a brand-new controller that has not caught up refuses to register (503), then learns the owner;
 * - 64 parallel wrong logins: at most 5 passwords are checked, the rest are 429, the lock reaches
 *   every controller (the right password is refused there too) and it ends after LOGIN_LOCK;
 *   one log line per lock, not per refused request;
 * - the CLI's logout revokes the saved token on every controller, and `account delete` needs the
 *   password and leaves the name retired.
 * Partitions are iptables DROP rules on lo tagged with this run's own comment, removed at the end.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalCluster } from '../../src/cluster/index.js';
import { createCli } from '../helpers/cli.js';
import { getJson, http, loginToken, postJson } from '../helpers/http.js';
import { FAST_CONTROLLER_ENV } from '../helpers/test-cluster.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const NET = '127.0.34';
const TAG = `redcloud-acct-${process.pid}`;
const LOGIN_LOCK_MS = 3000;
// REGISTER_LIMIT: knownEverywhere probes with registrations
const ENV = { ...FAST_CONTROLLER_ENV, LOGIN_LOCK: `${LOGIN_LOCK_MS}ms`, REGISTER_LIMIT: '100000' };
const addr = (i: number): string => `${NET}.${10 + i}`;
const url = (i: number): string => `http://${addr(i)}:8000`;
const ALL = [1, 2, 3];
const PW = { alice: 'alice-real-pw-1', bob: 'bob-real-pw-22', erin: 'erin-real-pw-3', carol: 'carol-real-pw-4', attacker: 'attacker-pw-666' };

const test = suite('security-accounts');
const ctx: { dir: string; cluster: LocalCluster; rules: string[][]; aliceToken: string; ok: boolean } = {
  dir: '', cluster: new LocalCluster(), rules: [], aliceToken: '', ok: false,
};

// ---- partitions with this run's own tag -------------------------------------------------------------

const run = promisify(execFile);
const iptables = (args: string[]) => run('iptables', ['-w', '5', ...args], { timeout: 10_000 });
const rule = (src: string, dst: string): string[] => ['INPUT', '-i', 'lo', '-s', src, '-d', dst, '-m', 'comment', '--comment', TAG, '-j', 'DROP'];

async function cut(a: number, others: number[]): Promise<void> {
  for (const b of others) {
    for (const spec of [rule(addr(a), addr(b)), rule(addr(b), addr(a))]) {
      await iptables(['-I', ...spec]);
      ctx.rules.push(spec);
    }
  }
}

async function healAll(): Promise<void> {
  for (const spec of ctx.rules.splice(0)) await iptables(['-D', ...spec]).catch(() => undefined);
}

// ---- HTTP helpers ------------------------------------------------------------------------------------

const post = (u: string, path: string, body: unknown) =>
  http(`${u}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const login = (i: number, user: string, password: string) => post(url(i), '/v1/login', { user, password });
const register = (i: number, user: string, password: string) => post(url(i), '/v1/register', { user, password });
const list = (i: number, token: string) => getJson<{ entries: { path: string }[]; code?: string; message?: string }>(`${url(i)}/v1/fs/list?path=/`, token);
const logOf = (i: number): string => readFileSync(join(ctx.dir, 'logs', `ctl${i}.log`), 'utf8');

async function startController(i: number, peers: number[]): Promise<void> {
  await ctx.cluster.controller({
    id: `ctl${i}`, addr: addr(i), port: 8000, dataDir: join(ctx.dir, `ctl${i}`), logFile: join(ctx.dir, 'logs', `ctl${i}.log`),
    peers: peers.map((p) => `${addr(p)}:8000`), env: ENV,
  });
}

/**
 * Until every controller in `on` knows the name `user`, probed without a login (which would count
 * towards the lock): a registration with a too-short password answers 409 where the name is known
 * and 400 where it is not, and never creates anything.
 */
async function knownEverywhere(user: string, on = ALL): Promise<void> {
  await waitFor(`ctl${on.join(',')} to know ${user}`, async () => {
    for (const i of on) if ((await register(i, user, 'short')).status !== 409) return false;
    return true;
  }, { timeoutMs: 20_000, pollMs: 200 });
}

/** until ctl`i` sees every peer down (its exchanges are older than the freshness window) */
async function seesPeersDown(i: number, token: string): Promise<void> {
  await waitFor(`ctl${i} to see its peers down`, async () => {
    const { status, data } = await getJson<{ controllers: { id: string; alive: boolean }[] }>(`${url(i)}/v1/status`, token);
    return status === 200 && data.controllers.filter((c) => c.id !== `ctl${i}`).every((c) => !c.alive);
  }, { timeoutMs: 20_000, pollMs: 250 });
}

function step(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    if (!ctx.ok) throw new Error('the cluster did not start (see above)');
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`\n===== node logs (${ctx.dir}) =====\n${ctx.cluster.logs(60)}\n`);
      throw err;
    } finally {
      await healAll();
    }
  });
}

test.before(async () => {
  ctx.dir = makeTempDir('security-accounts');
  mkdirSync(join(ctx.dir, 'logs'), { recursive: true });
  try {
    for (const i of ALL) await startController(i, ALL.filter((j) => j !== i));
    assert.is((await register(1, 'alice', PW.alice)).status, 201);
    assert.is((await register(1, 'bob', PW.bob)).status, 201);
    await knownEverywhere('alice');
    await knownEverywhere('bob');
    ctx.aliceToken = await loginToken(url(1), 'alice', PW.alice);
    assert.is((await postJson(`${url(1)}/v1/fs/mkdir`, ctx.aliceToken, { path: '/alice-private' })).status, 200);
    ctx.ok = true;
  } catch (err) {
    process.stderr.write(`security-accounts: setup failed: ${(err as Error).stack}\n${ctx.cluster.logs(60)}\n`);
  }
});

test.after(async () => {
  await healAll();
  await ctx.cluster.stopAll({ kill: true });
  if (!process.env.REDCLOUD_KEEP_TEST_DIRS) removeDir(ctx.dir);
});

step('a partitioned controller refuses to register a name it cannot know is free; after the heal the owner keeps it', async () => {
  await cut(3, [1, 2]);
  // erin registers on the majority side while ctl3 is cut off: ctl3 has never heard of her
  assert.is((await register(1, 'erin', PW.erin)).status, 201);
  const erin = await loginToken(url(1), 'erin', PW.erin);
  assert.is((await postJson(`${url(1)}/v1/fs/mkdir`, erin, { path: '/erin-private' })).status, 200);
  await seesPeersDown(3, ctx.aliceToken);
  const status = await getJson<{ registration?: { open: boolean; reason?: string } }>(`${url(3)}/v1/status`, ctx.aliceToken);
  assert.equal(status.data.registration?.open, false, '/v1/status says why ctl3 does not register');
  const attack = await register(3, 'erin', PW.attacker);
  assert.is(attack.status, 503, `the takeover registration is refused (${attack.body.toString()})`);
  assert.is(attack.json<{ code: string }>().code, 'UNAVAILABLE');
  assert.match(attack.json<{ message: string }>().message, /needs a majority/);
  assert.is((await login(3, 'erin', PW.attacker)).status, 401, 'no account was made');
  await healAll();
  await knownEverywhere('erin');
  for (const i of ALL) {
    assert.is((await login(i, 'erin', PW.attacker)).status, 401, `attacker's password on ctl${i}`);
    const files = await list(i, await loginToken(url(i), 'erin', PW.erin));
    assert.ok(files.data.entries.some((e) => e.path === '/erin-private'), `erin's files on ctl${i}`);
  }
});

step('a registration racing the owner\'s loses at the heal: its token is refused everywhere with NAME_TAKEN', async () => {
  await waitFor('ctl3 to be in sync (registration open)', async () =>
    (await getJson<{ registration?: { open: boolean } }>(`${url(3)}/v1/status`, ctx.aliceToken)).data.registration?.open === true, { timeoutMs: 20_000, pollMs: 100 });
  await cut(3, [1, 2]);
  // at once, before ctl3's last exchange ages out: both controllers accept (neither can know)
  assert.is((await register(1, 'carol', PW.carol)).status, 201);
  const raced = await register(3, 'carol', PW.attacker);
  assert.is(raced.status, 201, `ctl3 was still in sync and accepted (${raced.body.toString()})`);
  const carol = await loginToken(url(1), 'carol', PW.carol);
  assert.is((await postJson(`${url(1)}/v1/fs/mkdir`, carol, { path: '/carol-private' })).status, 200);
  const attacker = createCli({ configDir: join(ctx.dir, 'cli-attacker'), controllers: [url(3)] });
  const cliLogin = await attacker.run(['login', 'carol'], { input: `${PW.attacker}\n` });
  assert.is(cliLogin.exitCode, 0, `the attacker logs in on ctl3 during the partition: ${cliLogin.stderr}`);
  assert.not.match(cliLogin.stderr, /visible to other users/, `a password from stdin draws no warning (${cliLogin.stderr})`);
  const attackerToken = await loginToken(url(3), 'carol', PW.attacker);
  await healAll();
  await waitFor('ctl3 to learn the earlier carol', async () => (await list(3, attackerToken)).status === 409, { timeoutMs: 20_000, pollMs: 200 });
  await knownEverywhere('carol');
  for (const i of ALL) {
    const res = await list(i, attackerToken);
    assert.is(res.status, 409, `attacker's token on ctl${i}`);
    assert.is(res.data.code, 'NAME_TAKEN');
    assert.is((await login(i, 'carol', PW.attacker)).status, 401, `attacker's password on ctl${i}`);
    const mine = await list(i, await loginToken(url(i), 'carol', PW.carol));
    assert.ok(mine.data.entries.some((e) => e.path === '/carol-private'), `carol's files on ctl${i}`);
  }
  const ls = await attacker.run(['ls', '/']);
  assert.is(ls.exitCode, 5, `the loser's next command: ${ls.stderr}`);
  assert.match(ls.stderr, /carol was taken by an account registered earlier/);
  assert.ok(/Resolved conflict/.test(logOf(3)), 'ctl3 logged the conflict');
});

step('a brand-new controller refuses to register until it caught up, then knows the owner', async () => {
  await cut(4, ALL); // its peers are unreachable from the moment it starts
  await startController(4, ALL);
  const attack = await register(4, 'alice', PW.attacker);
  assert.is(attack.status, 503, `the takeover registration is refused (${attack.body.toString()})`);
  await healAll();
  await knownEverywhere('alice', [4]);
  for (const i of [1, 2, 3, 4]) {
    assert.is((await login(i, 'alice', PW.attacker)).status, 401, `attacker's password on ctl${i}`);
    assert.is((await list(i, ctx.aliceToken)).status, 200, `alice's token on ctl${i}`);
  }
  const again = await register(4, 'alice', PW.attacker);
  assert.is(again.status, 409, 'once caught up it knows the name is taken');
});

step('64 parallel wrong logins: at most 5 checked, the rest 429, locked on every controller, then unlocked after LOGIN_LOCK', async () => {
  const before = logOf(1).length; // characters: what is logged from here on is the burst's
  const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => login(1, 'bob', `wrong-guess-${i}`)));
  const statuses = answers.map((a) => a.status);
  const checked = statuses.filter((s) => s === 401).length;
  assert.ok(checked <= 5, `at most 5 passwords checked, got ${checked} (${statuses.join(',')})`);
  assert.is(statuses.filter((s) => s === 429).length, 64 - checked, 'the rest are 429');
  assert.ok(answers.filter((a) => a.status === 429).every((a) => Number(a.headers.get('retry-after')) >= 1), 'with Retry-After');
  // every controller has heard of the lock (a read-only gauge), then refuses even the right password
  for (const i of [2, 3]) {
    await waitFor(`ctl${i} to hear of the lock`, async () => /^redcloud_login_locked_keys\S* [1-9]/m.test((await http(`${url(i)}/metrics`)).body.toString()),
      { timeoutMs: 2_000, pollMs: 50 });
  }
  for (const i of ALL) {
    const right = await login(i, 'bob', PW.bob);
    assert.is(right.status, 429, `the right password on ctl${i} while locked`);
    assert.is(right.json<{ code: string }>().code, 'THROTTLED');
  }
  assert.is((await login(2, 'alice', PW.alice)).status, 200, 'other users are not locked');
  // (the log is written asynchronously: wait for the line, then count)
  await waitFor('the lock to be logged', () => logOf(1).slice(before).split('\n').some((l) => l.includes('Login locked')), { timeoutMs: 5_000 });
  const lines = logOf(1).slice(before).split('\n');
  const lockLines = lines.filter((l) => l.includes('Login locked')).length;
  assert.ok(lockLines >= 1 && lockLines <= 2, `one line per lock (user, maybe address), got ${lockLines}`);
  assert.ok(lines.filter((l) => l.includes('"bob"')).length <= 10, 'not one line per refused request');
  const started = Date.now();
  await waitFor('the lock to end', async () => (await login(2, 'bob', PW.bob)).status === 200, { timeoutMs: 4 * LOGIN_LOCK_MS, pollMs: 500 });
  assert.ok(Date.now() - started <= 4 * LOGIN_LOCK_MS);
});

step('CLI: logout revokes the token on every controller; deleting an account needs its password and retires the name', async () => {
  assert.is((await register(1, 'dave', 'dave-real-pw-5')).status, 201);
  await knownEverywhere('dave', [1, 2, 3, 4]);
  const cli = createCli({ configDir: join(ctx.dir, 'cli-dave'), controllers: [url(1), url(2)] });
  cli.env.REDCLOUD_PASSWORD = 'dave-real-pw-5';
  const li = await cli.run(['login', 'dave']);
  assert.is(li.exitCode, 0, `login with REDCLOUD_PASSWORD: ${li.stderr}`);
  assert.not.match(li.stderr, /visible to other users/);
  const token = (JSON.parse(readFileSync(join(ctx.dir, 'cli-dave', 'session.json'), 'utf8')) as { token: string }).token;
  for (const i of [1, 2, 3, 4]) assert.is((await list(i, token)).status, 200, `dave's token on ctl${i}`);
  const argv = await cli.run(['login', 'dave', 'dave-real-pw-5']);
  assert.is(argv.exitCode, 0);
  assert.match(argv.stderr, /visible to other users/, 'a password argument draws a warning');
  const out = await cli.run(['logout']);
  assert.is(out.exitCode, 0, out.stderr);
  await waitFor('the revocation to reach every controller', async () => {
    for (const i of [1, 2, 3, 4]) if ((await list(i, token)).status !== 401) return false;
    return true;
  }, { timeoutMs: 10_000, pollMs: 100 });
  cli.env.REDCLOUD_PASSWORD = 'not-daves-password';
  const wrong = await cli.run(['account', 'delete', 'dave']);
  assert.is(wrong.exitCode, 3, `delete with a wrong password: ${wrong.stderr}`);
  assert.is((await login(2, 'dave', 'dave-real-pw-5')).status, 200, 'still there');
  cli.env.REDCLOUD_PASSWORD = 'dave-real-pw-5';
  const del = await cli.run(['account', 'delete', 'dave']);
  assert.is(del.exitCode, 0, del.stderr);
  await waitFor('the deletion to reach every controller', async () => {
    for (const i of [1, 2, 3, 4]) {
      const r = await register(i, 'dave', 'dave-taking-over');
      if (r.status !== 409 || !/deleted account/.test(r.body.toString())) return false;
    }
    return true;
  }, { timeoutMs: 10_000, pollMs: 200 });
  assert.is((await login(3, 'dave', 'dave-real-pw-5')).status, 401, 'a deleted account cannot log in');
});

test.run();
