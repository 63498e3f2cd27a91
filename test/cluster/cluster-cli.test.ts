/**
 * `redcloud cluster up|status|down` as a user runs them (real CLI, real processes on 127.0.11.x):
 * up with a mount under a temp dir, status shows every node healthy and the mount, a file copied
 * into the mount reads back identical and is listed by `redcloud ls`, and down leaves no process
 * (pids from the state file, /proc scan for the data dir), no mount and no iptables rule behind.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readState, type ClusterState } from '../../src/cluster/state.js';
import { createCli, findEntryIn, type Cli } from '../helpers/cli.js';
import { isMounted, pidAlive } from '../helpers/procs.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const NET = '127.0.11';
const test = suite('cluster cli');
const ctx: { dir: string; data: string; mnt: string; cli?: Cli; state?: ClusterState } = { dir: '', data: '', mnt: '' };

/** Pids whose command line or DATA_DIR mentions `dir` (the daemons keep it in their environment). */
function processesUsing(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (cmdline.includes(dir) || environ.some((e) => e.startsWith(`DATA_DIR=${dir}`))) out.push(Number(name));
    } catch {
      /* gone or not ours to read */
    }
  }
  return out;
}

function iptablesRules(): string {
  try {
    return execFileSync('iptables', ['-w', '5', '-S'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    return '(iptables unavailable)';
  }
}

test.before(() => {
  ctx.dir = makeTempDir('clustercli');
  ctx.data = join(ctx.dir, 'data');
  ctx.mnt = join(ctx.dir, 'mnt');
  ctx.cli = createCli({ configDir: join(ctx.dir, 'cli'), controllers: [11, 12, 13].map((h) => `http://${NET}.${h}:8000`) });
});

test.after(async () => {
  // Whatever a failed step left: down again, then by pid, then a lazy unmount.
  if (ctx.cli && readState(ctx.data)) await ctx.cli.run(['cluster', 'down', '--data', ctx.data], { timeoutMs: 60_000 });
  for (const n of ctx.state?.nodes ?? []) {
    if (pidAlive(n.pid) && readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').includes(n.bin)) {
      try {
        process.kill(n.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  if (ctx.mnt && isMounted(ctx.mnt)) {
    try {
      execFileSync('fusermount', ['-uz', ctx.mnt], { timeout: 10_000 });
    } catch {
      /* reported by the test */
    }
  }
  if (ctx.dir && !process.env.REDCLOUD_KEEP_TEST_DIRS) {
    removeDir(ctx.dir);
    // The mount's default cache dir (fuse/args.ts defaultCacheDir) lives under the home directory.
    if (ctx.mnt) removeDir(join(homedir(), '.cache', 'redcloud', resolve(ctx.mnt).replace(/[^A-Za-z0-9._-]+/g, '_')));
  }
});

function dumpLogs(): void {
  const logs = join(ctx.data, 'logs');
  if (!existsSync(logs)) return;
  for (const f of readdirSync(logs)) {
    const text = readFileSync(join(logs, f), 'utf8').trimEnd().split('\n').slice(-30).join('\n');
    process.stderr.write(`----- ${f}\n${text}\n`);
  }
}

function step(name: string, fn: (cli: Cli) => Promise<void>): void {
  test(name, async () => {
    if (!ctx.cli) throw new Error('no CLI');
    try {
      await fn(ctx.cli);
    } catch (err) {
      dumpLogs();
      throw err;
    }
  });
}

step('cluster up starts 3 controllers, 5 chunkservers and the mount, and records them', async (cli) => {
  const up = await cli.run(['cluster', 'up', '--net', NET, '--data', ctx.data, '--mount', ctx.mnt], { timeoutMs: 180_000 });
  ctx.state = readState(ctx.data);
  assert.is(up.exitCode, 0, `cluster up: ${up.stderr}\n${up.stdout}`);
  assert.ok(ctx.state, 'state file written');
  const roles = ctx.state!.nodes.map((n) => n.role);
  assert.is(roles.filter((r) => r === 'controller').length, 3);
  assert.is(roles.filter((r) => r === 'chunkserver').length, 5);
  assert.is(roles.filter((r) => r === 'mount').length, 1, 'the mount process is recorded');
  assert.equal(ctx.state!.controllers, [11, 12, 13].map((h) => `http://${NET}.${h}:8000`));
  assert.ok(isMounted(ctx.mnt), `${ctx.mnt} is in /proc/mounts`);
  assert.ok(up.stdout.includes(`mounted at ${ctx.mnt}`), up.stdout);
});

step('cluster status shows every node healthy and the mount (table and --json)', async (cli) => {
  const table = await cli.run(['cluster', 'status', '--data', ctx.data]);
  assert.is(table.exitCode, 0, `cluster status: ${table.stderr}\n${table.stdout}`);
  assert.is(table.stdout.split('\n').filter((l) => /\bhealthy\b/.test(l)).length, 9, table.stdout);
  assert.ok(table.stdout.includes(`${ctx.mnt} mounted`), table.stdout);
  const json = await cli.json<{ nodes: Array<{ role: string; running: boolean; healthy: boolean }>; mounted: boolean }>(['cluster', 'status', '--data', ctx.data]);
  assert.is(json.mounted, true);
  assert.is(json.nodes.filter((n) => n.running && n.healthy).length, 9);
});

step('a file copied into the mount reads back identical and is listed by the CLI', async (cli) => {
  const src = join(ctx.dir, 'photo.bin');
  writeRandomFile(src, 5 * 1024 * 1024 + 321);
  copyFileSync(src, join(ctx.mnt, 'photo.bin'));
  assert.is(await sha256File(join(ctx.mnt, 'photo.bin')), await sha256File(src));
  // The CLI was logged in as demo by `cluster up` (same REDCLOUD_CONFIG_DIR).
  const ls = await cli.json(['ls', '/']);
  const entry = findEntryIn(ls, '/photo.bin');
  assert.ok(entry, `redcloud ls shows /photo.bin: ${JSON.stringify(ls).slice(0, 300)}`);
  assert.is(entry!.size, 5 * 1024 * 1024 + 321);
  const down = join(ctx.dir, 'photo.down');
  const dl = await cli.run(['download', 'photo.bin', down]);
  assert.is(dl.exitCode, 0, dl.stderr);
  assert.is(await sha256File(down), await sha256File(src));
});

step('cluster down leaves no process, no mount and no iptables rule behind', async (cli) => {
  const pids = (ctx.state?.nodes ?? []).map((n) => n.pid);
  assert.is(pids.length, 9);
  const down = await cli.run(['cluster', 'down', '--data', ctx.data], { timeoutMs: 60_000 });
  assert.is(down.exitCode, 0, `cluster down: ${down.stderr}\n${down.stdout}`);
  assert.equal(pids.filter(pidAlive), [], 'every recorded pid is gone');
  assert.equal(processesUsing(ctx.dir), [], `no process mentions ${ctx.dir}`);
  let pgrep = '';
  try {
    pgrep = execFileSync('pgrep', ['-af', ctx.data], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    /* exit 1: nothing matched */
  }
  assert.is(pgrep.trim(), '', `pgrep -af ${ctx.data}`);
  assert.not.ok(isMounted(ctx.mnt), `${ctx.mnt} is no longer mounted`);
  assert.not.ok(existsSync(join(ctx.data, 'cluster.json')), 'the state file is removed');
  const rules = iptablesRules();
  assert.not.ok(rules.includes(`${NET}.`), `no iptables rule names ${NET}.x:\n${rules}`);
  const status = await cli.run(['cluster', 'status', '--data', ctx.data]);
  assert.ok(status.stdout.includes('No local cluster recorded'), status.stdout);
});

test.run();
