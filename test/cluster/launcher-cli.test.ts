/**
 * `redcloud cluster up` as issue 16 asks, with real processes on 127.0.40.x: a bad daemon variable
 * stops it before anything starts, naming the variable; variables of the environment and --env
 * reach the daemons (REPLICATION_FACTOR in /v1/status, HEARTBEAT_TIMEOUT in how fast a stopped
 * chunkserver turns unhealthy); one node stopped, started and restarted (really down, then back,
 * as `cluster status` shows); one identity (a file copied into the mount is listed by `redcloud ls`
 * of the logged-in CLI user, and a saved login of alice is kept and mounted, not replaced by demo);
 * `cluster down` beside a foreground launcher ends it too; a saved login the cluster refuses stops
 * `cluster up` with a message instead of being replaced; `cluster down --purge` removes what the
 * launcher created.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultCacheDir } from '../../fuse/args.js';
import { binPath, repoRoot } from '../../src/cluster/paths.js';
import { readState, type ClusterState } from '../../src/cluster/state.js';
import { createCli, findEntryIn, type Cli, type CliResult } from '../helpers/cli.js';
import { isMounted, pidAlive } from '../helpers/procs.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';

const NET = '127.0.40';
const CONTROLLER = `http://${NET}.11:8000`;
const test = suite('launcher cli');
const ctx: { dir: string; data: string; mnt: string; cliDir: string; cli?: Cli; fg?: ChildProcess; fgOut: string; fgExit?: number | null; state?: ClusterState } = {
  dir: '', data: '', mnt: '', cliDir: '', fgOut: '',
};

/** The CLI as a user runs it: controllers from the saved login, none of this machine's daemon settings. */
const cli = (): Cli => {
  ctx.cli ??= createCli({ configDir: ctx.cliDir, unsetEnv: ['HEARTBEAT_TIMEOUT', 'REPLICATION_FACTOR', 'REDCLOUD_PASSWORD'], unwrapErrors: true });
  return ctx.cli;
};
const rc = (args: string[], extra: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> =>
  cli().run(args, { env: extra, timeoutMs, input: '' });
const rcJson = <T>(args: string[]): Promise<T> => cli().json<T>(args);
/** The foreground launcher's environment: the CLI's plus `extra`. */
const env = (extra: Record<string, string> = {}): Record<string, string> => ({ ...cli().env, ...extra });

const upArgs = (): string[] => ['cluster', 'up', '--net', NET, '--data', ctx.data, '--mount', ctx.mnt, '--controllers', '1', '--chunkservers', '2', '--env', 'MIN_FREE_BYTES=0'];

const health = (url: string): Promise<boolean> => fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
const node = (id: string) => readState(ctx.data)!.nodes.find((n) => n.id === id)!;

interface Status { chunkservers: Array<{ id: string; healthy: boolean }>; chunks: { replicationFactor: string | number } }

test.before(() => {
  ctx.dir = makeTempDir('launchercli');
  ctx.data = join(ctx.dir, 'data');
  ctx.mnt = join(ctx.dir, 'mnt');
  ctx.cliDir = join(ctx.dir, 'cli');
});

test.after(async () => {
  if (readState(ctx.data)) await rc(['cluster', 'down', '--data', ctx.data], {}, 60_000);
  if (ctx.fg && ctx.fg.exitCode === null) ctx.fg.kill('SIGKILL');
  for (const n of ctx.state?.nodes ?? []) if (pidAlive(n.pid)) try { process.kill(n.pid, 'SIGKILL'); } catch { /* gone */ }
  if (isMounted(ctx.mnt)) try { execFileSync('fusermount', ['-uz', ctx.mnt], { timeout: 10_000 }); } catch { /* reported by the test */ }
  if (!process.env.REDCLOUD_KEEP_TEST_DIRS) {
    removeDir(ctx.dir);
    removeDir(defaultCacheDir(ctx.mnt));
  }
});

function dumpLogs(): void {
  process.stderr.write(`----- foreground launcher\n${ctx.fgOut}\n`);
  for (const n of readState(ctx.data)?.nodes ?? ctx.state?.nodes ?? []) {
    if (n.logFile && existsSync(n.logFile)) process.stderr.write(`----- ${n.id}\n${readFileSync(n.logFile, 'utf8').split('\n').slice(-20).join('\n')}\n`);
  }
}

/** A step prints the nodes' logs when it fails. */
const step = stepsFor(test, () => ({ dumpLogs }));

step('a bad daemon variable stops cluster up before anything starts, naming the variable', async () => {
  const bad = await rc(upArgs(), { HEARTBEAT_TIMEOUT: 'banana' });
  assert.ok(bad.exitCode !== 0, 'non-zero exit');
  assert.match(bad.stderr, /HEARTBEAT_TIMEOUT: "banana" is not a duration/);
  assert.not.ok(existsSync(ctx.data), 'no data directory: nothing was started');
  const flag = await rc([...upArgs(), '--env', 'SCRUB_RATE=lots']);
  assert.ok(flag.exitCode !== 0);
  assert.match(flag.stderr, /SCRUB_RATE/);
  const owned = await rc([...upArgs(), '--env', 'PORT=1234']);
  assert.ok(owned.exitCode !== 0);
  assert.match(owned.stderr, /PORT: set by the launcher/);
  assert.not.ok(existsSync(ctx.data));
});

step('a foreground cluster up passes the environment and --env to the daemons and logs the CLI in as the mount\'s user', async () => {
  ctx.fg = spawn(process.execPath, [binPath('cli'), ...upArgs(), '--foreground', '--env', 'REPLICATION_FACTOR=2'], {
    cwd: repoRoot(), env: env({ HEARTBEAT_TIMEOUT: '2s' }), stdio: ['ignore', 'pipe', 'pipe'],
  });
  ctx.fg.stdout!.on('data', (d: Buffer) => { ctx.fgOut += d.toString(); });
  ctx.fg.stderr!.on('data', (d: Buffer) => { ctx.fgOut += d.toString(); });
  ctx.fg.on('exit', (code) => { ctx.fgExit = code; });
  await waitFor('the foreground launcher to be up', () => ctx.fgOut.includes('Press Ctrl-C') || ctx.fgExit !== undefined, { timeoutMs: 120_000 });
  assert.is(ctx.fgExit, undefined, `the launcher runs: ${ctx.fgOut}`);
  ctx.state = readState(ctx.data);
  assert.match(ctx.fgOut, /configuration: HEARTBEAT_TIMEOUT=2s MIN_FREE_BYTES=0 REPLICATION_FACTOR=2/);
  assert.match(ctx.fgOut, /user demo \(created, password demo-password\): the mount and the CLI use it/);
  assert.ok(ctx.fgOut.includes(`mounted at ${ctx.mnt} as demo`), ctx.fgOut);
  const status = await rcJson<Status>(['status']);
  assert.is(status.chunks.replicationFactor, 2, 'REPLICATION_FACTOR from --env reached the controller');
  const whoami = await rc(['whoami']);
  assert.is(whoami.stdout.trim(), 'demo');
  writeFileSync(join(ctx.dir, 'notes.txt'), 'one identity\n');
  copyFileSync(join(ctx.dir, 'notes.txt'), join(ctx.mnt, 'notes.txt'));
  assert.ok(findEntryIn(await rcJson(['ls', '/']), '/notes.txt'), 'redcloud ls of the logged-in CLI user lists the file copied into the mount');
});

step('cluster stop NODE: really down, cluster status says so, and HEARTBEAT_TIMEOUT=2s marks it failed within seconds', async () => {
  const cs2 = node('chunkserver-2');
  const stop = await rc(['cluster', 'stop', 'chunkserver-2', '--data', ctx.data]);
  assert.is(stop.exitCode, 0, stop.stderr);
  assert.not.ok(pidAlive(cs2.pid), 'the process is gone');
  assert.not.ok(await health(cs2.url!), 'it does not answer');
  const st = await rc(['cluster', 'status', '--data', ctx.data]);
  assert.is(st.exitCode, 8, 'status exits 8 while a node is down');
  assert.match(st.stdout, /chunkserver-2 .* stopped \(cluster stop\)/);
  assert.match(st.stdout, /chunkserver-1 .* healthy/);
  // the default HEARTBEAT_TIMEOUT (30 s) would not show this within 10 s
  const t0 = Date.now();
  await waitFor('the controller to mark chunkserver-2 failed', async () =>
    (await rcJson<Status>(['status'])).chunkservers.find((c) => c.id === 'chunkserver-2')?.healthy === false, { timeoutMs: 10_000, pollMs: 250 });
  assert.ok(Date.now() - t0 < 10_000);
  assert.not.match(ctx.fgOut, /chunkserver-2 .* has exited/, 'a node stopped on purpose is not reported as a crash');
});

step('cluster start NODE brings it back on its data; restart gives a new process; status shows both healthy', async () => {
  const start = await rc(['cluster', 'start', 'cs2', '--data', ctx.data]);
  assert.is(start.exitCode, 0, start.stderr);
  const cs2 = node('chunkserver-2');
  assert.ok(pidAlive(cs2.pid) && (await health(cs2.url!)));
  const again = await rc(['cluster', 'start', 'chunkserver-2', '--data', ctx.data]);
  assert.ok(again.exitCode !== 0 && /already running/.test(again.stderr), again.stderr);
  await waitFor('chunkserver-2 healthy at the controller', async () =>
    (await rcJson<Status>(['status'])).chunkservers.find((c) => c.id === 'chunkserver-2')?.healthy === true, { timeoutMs: 15_000, pollMs: 250 });
  const before = node('controller-1').pid;
  const restart = await rc(['cluster', 'restart', 'controller-1', '--data', ctx.data]);
  assert.is(restart.exitCode, 0, restart.stderr);
  assert.not.ok(pidAlive(before), 'the old controller process is gone');
  assert.ok(node('controller-1').pid !== before);
  const st = await rc(['cluster', 'status', '--data', ctx.data]);
  assert.is(st.exitCode, 0, st.stdout);
  assert.is(st.stdout.split('\n').filter((l) => /\bhealthy$/.test(l.trim())).length, 4, st.stdout);
  assert.ok(findEntryIn(await rcJson(['ls', '/']), '/notes.txt'), 'the restarted controller still has the file');
  const bad = await rc(['cluster', 'stop', 'chunkserver-7', '--data', ctx.data]);
  assert.ok(bad.exitCode !== 0);
  assert.match(bad.stderr, /its nodes are controller-1, chunkserver-1, chunkserver-2/);
});

step('cluster down beside the foreground launcher stops it too: it exits non-zero with a clear message', async () => {
  // the CLI user logs in as alice meanwhile: the next cluster up must keep her (last step)
  assert.is((await rc(['register', 'alice'], { REDCLOUD_PASSWORD: 'alice-password' })).exitCode, 0);
  assert.is((await rc(['login', 'alice'], { REDCLOUD_PASSWORD: 'alice-password' })).exitCode, 0);
  const pids = readState(ctx.data)!.nodes.map((n) => n.pid);
  const down = await rc(['cluster', 'down', '--data', ctx.data], {}, 60_000);
  assert.is(down.exitCode, 0, down.stderr);
  assert.match(down.stdout, /foreground `cluster up` \(pid \d+\): stopping it too/);
  await waitFor('the foreground launcher to exit', () => ctx.fgExit !== undefined, { timeoutMs: 15_000 });
  assert.is(ctx.fgExit, 1);
  assert.match(ctx.fgOut, /is gone \(it was stopped with `redcloud cluster down`\); this launcher exits/);
  assert.not.match(ctx.fgOut, /see \s*$/m, 'no message with an empty log path');
  assert.equal(pids.filter(pidAlive), []);
  assert.not.ok(isMounted(ctx.mnt));
});

step('a saved login (alice) is kept by cluster up and her tree is mounted; demo does not replace it', async () => {
  // alice registered and logged in while the previous cluster ran (step above)
  const up2 = await rc(upArgs());
  assert.is(up2.exitCode, 0, up2.stderr);
  ctx.state = readState(ctx.data);
  assert.match(up2.stdout, /user alice \(the CLI's saved login, kept\)/);
  assert.ok(up2.stdout.includes(`mounted at ${ctx.mnt} as alice`), up2.stdout);
  assert.is((await rc(['whoami'])).stdout.trim(), 'alice', 'the saved login is still alice');
  copyFileSync(join(ctx.dir, 'notes.txt'), join(ctx.mnt, 'alice-notes.txt'));
  const ls = await rcJson(['ls', '/']);
  assert.ok(findEntryIn(ls, '/alice-notes.txt'), 'alice lists the file copied into the mount');
  assert.not.ok(findEntryIn(ls, '/notes.txt'), 'demo\'s file is not in alice\'s tree');
});

step('a saved login this cluster refuses stops cluster up (no password to be had) and is not replaced by demo', async () => {
  assert.is((await rc(['cluster', 'down', '--data', ctx.data], {}, 60_000)).exitCode, 0);
  const file = join(ctx.cliDir, 'session.json');
  const session = JSON.parse(readFileSync(file, 'utf8')) as { token: string; user: string };
  const forged = `${session.token.slice(0, session.token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
  writeFileSync(file, JSON.stringify({ ...session, token: forged }));
  const up = await rc(upArgs());
  assert.is(up.exitCode, 3, `${up.stdout}\n${up.stderr}`);
  assert.match(up.stderr, /The CLI is logged in as alice, but this cluster refuses that login/);
  assert.match(up.stderr, /--user demo/);
  assert.is(readState(ctx.data), undefined, 'everything it started was stopped again');
  assert.not.ok(isMounted(ctx.mnt));
  const after = JSON.parse(readFileSync(file, 'utf8')) as { token: string; user: string };
  assert.equal([after.user, after.token], ['alice', forged], 'the saved login is left as it was');
});

step('cluster down --purge removes the data, the mount cache and the CLI login for this cluster', async () => {
  const cache = defaultCacheDir(ctx.mnt);
  assert.ok(existsSync(cache) && existsSync(join(ctx.cliDir, 'session.json')) && existsSync(ctx.data));
  const down = await rc(['cluster', 'down', '--purge', '--data', ctx.data], {}, 60_000); // the cluster is already down
  assert.is(down.exitCode, 0, down.stderr);
  assert.match(down.stdout, /removed mount cache/);
  assert.not.ok(existsSync(ctx.data), `${ctx.data} is gone`);
  assert.not.ok(existsSync(cache), `${cache} is gone`);
  assert.not.ok(existsSync(ctx.mnt), 'the empty mountpoint is gone');
  assert.not.ok(existsSync(join(ctx.cliDir, 'session.json')), 'the saved login for this cluster is gone');
  assert.ok(CONTROLLER.startsWith('http://127.0.40.'));
});

test.run();
