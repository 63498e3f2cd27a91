/**
 * The README's quick start walked as a new user would, in the order written, with the real
 * commands run by bash (zx) in a fresh directory on 127.0.46.x: the sections "Quick start with the
 * CLI" and "Test distributed features" are read from README.md itself and cut into commands
 * (test/helpers/readme-steps.ts); each command is run as printed and what its `# comment` says is
 * asserted (one identity: a file copied into the mount is listed by `redcloud ls`; alice's login
 * kept by `cluster up`; controller 1 stopped, a file written through another, controller 1 started
 * again lists it once caught up; three chunkservers stopped turn FAILED (`Chunkserver … failed` in
 * the log) with a short HEARTBEAT_TIMEOUT from the environment, downloads still verify, repair
 * fills them; controller 3 cut off with iptables catches up after the heal).
 *
 * How it breaks when the README changes: WALK below is the expected list of commands. The README's
 * commands must equal it one for one, in order (a command added, removed, reordered or reworded
 * fails the first step naming the README line), and each entry's `says` must still match the
 * README's comment for it, so a documented output cannot change without its check.
 * The only rewrites before running (forTest): 127.0.0.x → 127.0.46.x, `cluster up` gets
 * `--net 127.0.46`, and HEARTBEAT_TIMEOUT/REPAIR_INTERVAL are shortened to 3 s; every command gets
 * ANTI_ENTROPY_INTERVAL=2s and MIN_FREE_BYTES=0. `npm start` itself is not run (it is ensure-deps
 * + `cluster up --foreground`); the README's background alternative `node bin/redcloud.js cluster
 * up` starts the cluster, as its prose says.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { $ } from 'zx';
import { defaultCacheDir } from '../../fuse/args.js';
import { repoRoot } from '../../src/cluster/paths.js';
import { readState } from '../../src/cluster/state.js';
import type { ClusterStatus } from '../../src/common/api.js';
import { unwrapOclifErrors } from '../helpers/cli.js';
import { writeRandomFile } from '../helpers/files.js';
import { isMounted, pidAlive } from '../helpers/procs.js';
import { readmeSection, shellSteps, type ReadmeStep } from '../helpers/readme-steps.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { newChunkId } from '../helpers/chunk-ids.js';
import { stepsFor } from '../helpers/step.js';

const NET = '127.0.46';
const MiB = 1024 * 1024;
const PASSWORD = 'alice-password';
const test = suite('readme walkthrough');
const ctx = { dir: '', work: '', cliDir: '', pids: new Set<number>(), partitioned: false, aeLinesAtHeal: 0 };

interface Run { exitCode: number | null; stdout: string; stderr: string }
interface Entry {
  cmd: string;
  /** what the README's comment must still say */
  says?: RegExp;
  input?: string;
  /** runs the command itself (polling it); default: once, then check */
  poll?: { what: string; until: (r: Run) => boolean; timeoutMs: number };
  check: (r: Run) => void | Promise<void>;
}

/** The README's command as run here. */
function forTest(cmd: string): string {
  return cmd.replaceAll('127.0.0.', `${NET}.`)
    .replace(/\bcluster up\b/g, `cluster up --net ${NET}`)
    .replace(/\bHEARTBEAT_TIMEOUT=\S+/, 'HEARTBEAT_TIMEOUT=3s')
    .replace(/\bREPAIR_INTERVAL=\S+/, 'REPAIR_INTERVAL=3s');
}

function env(): Record<string, string> {
  const base = { ...(process.env as Record<string, string>) };
  for (const k of Object.keys(base)) if (/^(REDCLOUD_|HEARTBEAT_|REPAIR_|REPLICATION_)/.test(k)) delete base[k];
  return { ...base, REDCLOUD_CONFIG_DIR: ctx.cliDir, NO_COLOR: '1', ANTI_ENTROPY_INTERVAL: '2s', MIN_FREE_BYTES: '0' };
}

let aliasLine = '';
async function sh(cmd: string, input = '', timeoutMs = 120_000): Promise<Run> {
  // the README's alias, defined as it says: from the repository root ($PWD), then in the user's directory
  const script = `shopt -s expand_aliases\ncd ${JSON.stringify(repoRoot())}\n${aliasLine}\ncd ${JSON.stringify(ctx.work)}\n${forTest(cmd)}\n`;
  const p = await $({ env: env(), cwd: ctx.work, nothrow: true, quiet: true, input, timeout: `${timeoutMs}ms`, timeoutSignal: 'SIGKILL' })`bash -c ${script}`;
  notePids();
  return { exitCode: p.exitCode, stdout: p.stdout, stderr: unwrapOclifErrors(p.stderr) };
}

const data = (): string => join(ctx.work, '.redcloud');
const mnt = (): string => join(ctx.work, 'mnt');
function notePids(): void {
  for (const n of readState(data())?.nodes ?? []) ctx.pids.add(n.pid);
}
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const ok = (r: Run, what: string): void => assert.is(r.exitCode, 0, `${what}: exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
/** Names in `redcloud ls` output (one per line, the name last). */
const listed = (r: Run): string[] => r.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter(Boolean);
const logOf = (node: string): string => {
  const f = join(data(), 'logs', `${node}.log`);
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
};
/** The chunk ids (sha256 of each 4 MiB piece) of a local file. */
function chunkIds(path: string): string[] {
  const bytes = readFileSync(path);
  const ids: string[] = [];
  for (let off = 0; off < bytes.length; off += 4 * MiB) ids.push(newChunkId(bytes.subarray(off, off + 4 * MiB)));
  return ids;
}
const holders = (id: string): string[] => [1, 2, 3, 4, 5].map((n) => `chunkserver-${n}`)
  .filter((cs) => existsSync(join(data(), cs, 'chunks', id.slice(0, 2), id)));
async function status(): Promise<ClusterStatus> {
  const r = await sh('redcloud status --json');
  ok(r, 'redcloud status --json');
  return JSON.parse(r.stdout) as ClusterStatus;
}

const upOutput = (r: Run): string => `${r.stdout}\n${r.stderr}`;
function checkUp(r: Run, user: string, how: RegExp): void {
  ok(r, 'cluster up');
  assert.match(upOutput(r), how);
  assert.ok(r.stdout.includes(`mounted at ${mnt()} as ${user}`), r.stdout);
  assert.ok(isMounted(mnt()), 'the mount is there');
}

/** The quick start, as the README prints it (see the header). */
const QUICK_START: Entry[] = [
  { cmd: 'alias redcloud="node $PWD/bin/redcloud.js"', check: (r) => ok(r, 'alias') },
  { cmd: 'redcloud whoami', says: /demo: the user npm start mounted/, check: (r) => assert.is(r.stdout.trim(), 'demo') },
  { cmd: 'cp notes.txt mnt/ && cat mnt/notes.txt', says: /ordinary programs/, check: (r) => { ok(r, 'cp'); assert.is(r.stdout, 'remember the milk\n'); } },
  { cmd: 'redcloud ls', says: /lists notes\.txt: the CLI and the mount are the same user/, check: (r) => { ok(r, 'ls'); assert.ok(listed(r).includes('notes.txt'), r.stdout); } },
  { cmd: 'redcloud upload photo.jpg holiday 2024', says: /\/photo\.jpg \(and mnt\/photo\.jpg\)/, check: async (r) => {
    ok(r, 'upload');
    await waitFor('mnt/photo.jpg', () => existsSync(join(mnt(), 'photo.jpg')), { timeoutMs: 10_000 });
    assert.is(sha(join(mnt(), 'photo.jpg')), sha(join(ctx.work, 'photo.jpg')), 'the mount reads the uploaded bytes');
  } },
  { cmd: 'redcloud ls', says: /list \/ \(with --json: machine-readable\)/, check: async (r) => {
    ok(r, 'ls');
    assert.equal(listed(r).filter((n) => /\.(txt|jpg)$/.test(n)).sort(), ['notes.txt', 'photo.jpg']);
    const json = JSON.parse((await sh('redcloud ls --json')).stdout) as unknown;
    assert.match(JSON.stringify(json), /photo\.jpg/);
  } },
  { cmd: 'redcloud find holiday', says: /every given tag/, check: (r) => { ok(r, 'find'); assert.match(r.stdout, /photo\.jpg/); assert.not.match(r.stdout, /notes\.txt/); } },
  { cmd: 'redcloud download photo.jpg ./copy.jpg', says: /sha256/, check: (r) => { ok(r, 'download'); assert.is(sha(join(ctx.work, 'copy.jpg')), sha(join(ctx.work, 'photo.jpg'))); } },
  { cmd: 'redcloud status', says: /controllers and chunkservers/, check: (r) => {
    ok(r, 'status');
    assert.match(r.stdout, /3\/3 controllers alive, 5\/5 chunkservers healthy/);
  } },
  { cmd: 'redcloud cluster down', says: /stop the cluster .* and unmount/, check: (r) => {
    ok(r, 'cluster down');
    assert.not.ok(isMounted(mnt()), 'unmounted');
    assert.equal([...ctx.pids].filter(pidAlive), [], 'no process left');
  } },
  { cmd: 'redcloud cluster up', says: /again/, check: (r) => checkUp(r, 'demo', /user demo/) },
  { cmd: 'redcloud register alice', says: /asks for a password/, input: `${PASSWORD}\n`, check: (r) => { ok(r, 'register'); assert.match(r.stderr, /Password: /); } },
  { cmd: 'redcloud login alice', says: /session\.json/, input: `${PASSWORD}\n`, check: (r) => {
    ok(r, 'login');
    assert.is((JSON.parse(readFileSync(join(ctx.cliDir, 'session.json'), 'utf8')) as { user: string }).user, 'alice');
  } },
  { cmd: 'redcloud cluster down && redcloud cluster up', says: /"user alice \(the CLI's saved login, kept\)"; mnt\/ is alice's tree/, check: (r) => {
    checkUp(r, 'alice', /user alice \(the CLI's saved login, kept\)/);
    assert.not.ok(readdirSync(mnt()).includes('notes.txt'), 'demo\'s notes.txt is not in alice\'s tree');
  } },
  { cmd: 'redcloud cluster down --purge', says: /data, mount cache and this cluster's saved login removed/, check: (r) => {
    ok(r, 'cluster down --purge');
    assert.not.ok(existsSync(data()), '.redcloud is gone');
    assert.not.ok(existsSync(defaultCacheDir(mnt())), 'the mount cache is gone');
    assert.not.ok(existsSync(join(ctx.cliDir, 'session.json')), 'the saved login is gone');
  } },
];

const aeLines = (text: string): number => (text.match(/Anti-entropy/g) ?? []).length;
const lsThrough = (host: number): string => `redcloud ls --controllers http://127.0.0.${host}:8000`;
const iptablesLoop = (op: '-I' | '-D'): string => `for peer in 127.0.0.11 127.0.0.12; do\n  iptables ${op} INPUT -i lo -s 127.0.0.13 -d $peer -m comment --comment redcloud-test -j DROP\n  iptables ${op} INPUT -i lo -s $peer -d 127.0.0.13 -m comment --comment redcloud-test -j DROP\ndone`;

const DISTRIBUTED: Entry[] = [
  { cmd: 'HEARTBEAT_TIMEOUT=10s REPAIR_INTERVAL=20s redcloud cluster up', check: (r) => {
    checkUp(r, 'demo', /configuration: .*HEARTBEAT_TIMEOUT=3s .*REPAIR_INTERVAL=3s/);
  } },
  { cmd: 'redcloud cluster status', says: /pids of controller-1…3, chunkserver-1…5/, check: (r) => {
    ok(r, 'cluster status');
    for (const n of ['controller-1', 'controller-3', 'chunkserver-1', 'chunkserver-5']) assert.match(r.stdout, new RegExp(`${n} .* pid \\d+ +healthy`));
  } },
  { cmd: 'redcloud upload big.iso', says: /on every chunkserver/, check: (r) => ok(r, 'upload big.iso') },
  { cmd: "find .redcloud/chunkserver-*/chunks -type f ! -name '*.*' -printf '%f\\n' | sort | uniq -c", says: /each chunk 5 times/,
    poll: { what: 'every chunk of big.iso 5 times', until: (r) => chunkIds(join(ctx.work, 'big.iso')).every((id) => new RegExp(`^\\s*5 ${id}$`, 'm').test(r.stdout)), timeoutMs: 20_000 },
    check: (r) => assert.equal(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[0]), ['5', '5', '5']) },
  { cmd: 'redcloud cluster stop controller-1', says: /controller-1 stopped \(cluster stop\)/, check: async (r) => {
    ok(r, 'cluster stop');
    const st = await sh('redcloud cluster status');
    assert.is(st.exitCode, 8);
    assert.match(st.stdout, /controller-1 .* stopped \(cluster stop\)/);
  } },
  { cmd: 'redcloud ls', says: /still works/, check: (r) => { ok(r, 'ls with controller 1 down'); assert.ok(listed(r).includes('big.iso'), r.stdout); } },
  { cmd: 'redcloud upload while-c1-down.txt', says: /while controller 1 is down/, check: (r) => ok(r, 'upload') },
  { cmd: lsThrough(11), says: /fails: controller 1 is down/, check: (r) => assert.ok(r.exitCode !== 0, `ls through the stopped controller 1: ${r.stdout}`) },
  { cmd: 'redcloud cluster start controller-1', says: /same data, same address/, check: (r) => ok(r, 'cluster start') },
  { cmd: lsThrough(11), says: /lists while-c1-down\.txt once it has gossiped/,
    poll: { what: 'controller 1 to list while-c1-down.txt', until: (r) => listed(r).includes('while-c1-down.txt'), timeoutMs: 20_000 },
    check: (r) => { ok(r, 'ls through controller 1'); assert.ok(listed(r).includes('big.iso')); } },
  { cmd: 'for n in 3 4 5; do redcloud cluster stop chunkserver-$n; done', check: (r) => ok(r, 'stop 3 chunkservers') },
  { cmd: 'redcloud status', says: /after HEARTBEAT_TIMEOUT: 3 FAILED, 2 healthy/,
    poll: { what: '3 FAILED, 2 healthy', until: (r) => (r.stdout.match(/\bFAILED\b/g) ?? []).length === 3, timeoutMs: 15_000 },
    check: (r) => {
      assert.match(r.stdout, /2\/5 chunkservers healthy/);
      const logs = [1, 2, 3].map((n) => logOf(`controller-${n}`)).join('\n');
      for (const n of [3, 4, 5]) assert.match(logs, new RegExp(`Chunkserver chunkserver-${n} failed`), `"Chunkserver chunkserver-${n} failed" logged`);
    } },
  { cmd: 'redcloud download big.iso copy.iso && cmp big.iso copy.iso', check: (r) => ok(r, 'download with 2 of 5') },
  { cmd: 'redcloud upload while-down.bin', says: /2 live chunkservers only/, check: (r) => {
    ok(r, 'upload while-down.bin');
    for (const id of chunkIds(join(ctx.work, 'while-down.bin'))) assert.equal(holders(id), ['chunkserver-1', 'chunkserver-2']);
  } },
  { cmd: 'for n in 3 4 5; do redcloud cluster start chunkserver-$n; done', says: /"Successfully replicated" .* "Repair cycle complete" .* 0 under-replicated/, check: async (r) => {
    ok(r, 'start 3 chunkservers');
    const ids = chunkIds(join(ctx.work, 'while-down.bin'));
    await waitFor('repair to copy while-down.bin to all 5 and status to show 0 under-replicated', async () => {
      if (!ids.every((id) => holders(id).length === 5)) return false;
      const s = await status();
      return s.chunkservers.every((c) => c.healthy) && s.chunks.underReplicated === 0;
    }, { timeoutMs: 30_000, pollMs: 500 });
    assert.match([3, 4, 5].map((n) => logOf(`chunkserver-${n}`)).join('\n'), /Successfully replicated/);
    assert.match([1, 2, 3].map((n) => logOf(`controller-${n}`)).join('\n'), /Repair cycle complete/);
    assert.match((await sh('redcloud status')).stdout, /5\/5 chunkservers healthy/);
  } },
  { cmd: iptablesLoop('-I'), check: (r) => { ctx.partitioned = true; ok(r, 'iptables -I'); } },
  { cmd: 'redcloud upload during.txt --controllers http://127.0.0.11:8000', check: (r) => ok(r, 'upload during the partition') },
  { cmd: lsThrough(13), says: /not there yet/, check: (r) => { ok(r, 'ls through controller 3'); assert.not.ok(listed(r).includes('during.txt'), r.stdout); } },
  { cmd: iptablesLoop('-D'), says: /heal/, check: (r) => {
    ok(r, 'iptables -D');
    ctx.partitioned = false;
    ctx.aeLinesAtHeal = aeLines(logOf('controller-3'));
  } },
  { cmd: 'grep Anti-entropy .redcloud/logs/controller-3.log', says: /ANTI_ENTROPY_INTERVAL/,
    // a round after the heal, not only those before it
    poll: { what: 'a new Anti-entropy line in controller 3\'s log after the heal', until: (r) => r.exitCode === 0 && aeLines(r.stdout) > ctx.aeLinesAtHeal, timeoutMs: 15_000 },
    check: (r) => assert.match(r.stdout, /Anti-entropy round complete/) },
  { cmd: lsThrough(13), says: /during\.txt has arrived/,
    poll: { what: 'controller 3 to list during.txt', until: (r) => listed(r).includes('during.txt'), timeoutMs: 20_000 }, check: (r) => ok(r, 'ls through controller 3') },
];

/** Runs the README's steps of `section` against `walk`, one for one. */
async function walkSection(heading: string, walk: Entry[], before?: () => Promise<void>): Promise<void> {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const { text, firstLine } = readmeSection(readme, heading);
  const steps: ReadmeStep[] = shellSteps(text, firstLine);
  assert.equal(steps.map((s) => s.cmd), walk.map((e) => e.cmd), `the commands of README "${heading}" are the ones this test walks (see its header)`);
  for (const [i, e] of walk.entries()) {
    if (e.says) assert.match(steps[i]!.says, e.says, `README.md:${steps[i]!.line} still says what the test checks`);
  }
  await before?.();
  for (const [i, e] of walk.entries()) {
    const step = steps[i]!;
    const label = `README.md:${step.line} \`${step.cmd}\``;
    if (e.cmd.startsWith('alias ')) continue; // defined before every command (sh)
    if (e.cmd.includes('iptables') && process.getuid?.() !== 0) {
      process.stdout.write(`  skipped ${label}: iptables needs root\n`);
      continue;
    }
    const t0 = Date.now();
    let r: Run;
    if (e.poll) {
      const p = e.poll;
      let last: Run | undefined;
      try {
        r = await waitFor(p.what, async () => {
          last = await sh(e.cmd, e.input);
          return p.until(last) ? last : undefined;
        }, { timeoutMs: p.timeoutMs, pollMs: 300 });
      } catch (err) {
        throw new Error(`${label}: ${(err as Error).message}; last output:\n${last?.stdout}\n${last?.stderr}`);
      }
    } else r = await sh(e.cmd, e.input);
    try {
      await e.check(r);
    } catch (err) {
      (err as Error).message = `${label}: ${(err as Error).message}`;
      throw err;
    }
    if (process.env.REDCLOUD_TEST_VERBOSE) process.stdout.write(`  ${label} ${Date.now() - t0} ms\n`);
  }
}

test.before(() => {
  ctx.dir = makeTempDir('walkthrough');
  ctx.work = join(ctx.dir, 'work');
  ctx.cliDir = join(ctx.dir, 'cli');
  mkdirSync(ctx.work, { recursive: true });
  aliasLine = QUICK_START[0]!.cmd; // checked against the README by the first step
  // what the README's commands take for granted in the user's directory
  writeFileSync(join(ctx.work, 'notes.txt'), 'remember the milk\n');
  writeRandomFile(join(ctx.work, 'photo.jpg'), 300 * 1024);
  writeRandomFile(join(ctx.work, 'big.iso'), 9 * MiB + 4321); // three chunks
  writeFileSync(join(ctx.work, 'while-c1-down.txt'), 'written while controller 1 was down\n');
  writeRandomFile(join(ctx.work, 'while-down.bin'), 5 * MiB + 17);
  writeFileSync(join(ctx.work, 'during.txt'), 'written during the partition\n');
});

test.after(async () => {
  if (ctx.partitioned) await sh(iptablesLoop('-D'));
  if (readState(data())) await sh('redcloud cluster down --purge', '', 60_000);
  for (const pid of ctx.pids) if (pidAlive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  if (isMounted(mnt())) try { execFileSync('fusermount', ['-uz', mnt()], { timeout: 10_000 }); } catch { /* reported by the test */ }
  if (!process.env.REDCLOUD_KEEP_TEST_DIRS) {
    removeDir(ctx.dir);
    removeDir(defaultCacheDir(mnt()));
  }
});

function dumpLogs(): void {
  const logs = join(data(), 'logs');
  if (!existsSync(logs)) return;
  for (const f of readdirSync(logs)) process.stderr.write(`----- ${f}\n${readFileSync(join(logs, f), 'utf8').trimEnd().split('\n').slice(-15).join('\n')}\n`);
}

/** A step prints the nodes' logs when it fails. */
const step = stepsFor(test, () => ({ dumpLogs }));

step('Quick start with the CLI: one user for the mount and the CLI, alice\'s login kept, --purge starts afresh', async () => {
  // "With the local cluster running (`npm start` in another terminal, or `node bin/redcloud.js cluster up` …)"
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const { text } = readmeSection(readme, 'Quick start with the CLI');
  const background = /`node bin\/redcloud\.js (cluster up)`\s+to run it in the background/.exec(text.replace(/\s+/g, ' '));
  assert.ok(background, 'the README names the background start command before the quick start');
  await walkSection('Quick start with the CLI', QUICK_START, async () => {
    const up = await sh(`node ${JSON.stringify(join(repoRoot(), 'bin', 'redcloud.js'))} ${background![1]}`);
    checkUp(up, 'demo', /user demo \(created, password demo-password\): the mount and the CLI use it/);
  });
});

step('Test distributed features: controller and chunkserver failover and a healed partition show the change', async () => {
  await walkSection('Test distributed features', DISTRIBUTED);
});

test.run();
