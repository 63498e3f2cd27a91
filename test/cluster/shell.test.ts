/**
 * `redcloud shell` at a real terminal (a pseudo-terminal from `script`) against a real cluster
 * on 127.0.41.x, typed key by key: `help upload` and `add-tags --help` show those commands' help;
 * Ctrl-C at the prompt clears the typed line and the shell lives on; Ctrl-C during a large
 * upload stops it (the bar showed human sizes on both sides), the prompt comes back and nothing
 * was committed; Tab completes a remote name and up-arrow recalls it (history file in the config
 * dir); `login` asks for the password hidden; Ctrl-D quits with 0. Through the one-shot CLI:
 * `download X -` writes the file's bytes to stdout (by hash), a missing argument is named, and a
 * login that locks the user and one refused while locked both say in how many seconds to retry.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath } from '../../src/cluster/paths.js';
import { findEntryIn } from '../helpers/cli.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { startPty, type PtySession } from '../helpers/pty.js';
import { stepsFor } from '../helpers/step.js';
import { useTestCluster, type TestCluster } from '../helpers/test-cluster.js';

const NET = '127.0.41';
const PW = 'correct-horse-battery-staple';
const BIG_BYTES = 256 * 1024 * 1024;
const test = suite('shell');
const ctx: { tc?: TestCluster; work: string } = { work: '' };
const step = stepsFor(test, () => ctx.tc);

// LOGIN_LOCK 30 s: the lock outlasts the CLI's start-up on a loaded machine
useTestCluster(test, 'shell', ctx, { label: 'shell', net: NET, controllers: 1, chunkservers: 2, controllerEnv: { LOGIN_LOCK: '30s' } }, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  await tc.signUp('alice', PW);
  writeFileSync(join(ctx.work, 'notes.txt'), 'remember the milk\n');
  const up = await tc.cli.run(['upload', join(ctx.work, 'notes.txt')]);
  if (up.exitCode !== 0) throw new Error(`upload notes.txt: ${up.stderr}`);
});

/** The shell under a terminal, in the work dir, as the suite's logged-in CLI; waits for its first prompt. */
async function openShell(tc: TestCluster): Promise<PtySession> {
  const sh = startPty(`${process.execPath} ${binPath('cli')} shell`, { cwd: ctx.work, env: tc.cli.env });
  await sh.waitFor('the first prompt', /> $/);
  return sh;
}

/** Types a line and Enter; resolves with what appeared before the next prompt. */
async function typeLine(sh: PtySession, line: string, timeoutMs = 30_000): Promise<string> {
  sh.mark();
  sh.type(`${line}\r`);
  const text = await sh.waitFor(`the prompt after ${JSON.stringify(line)}`, /\n> $/, timeoutMs);
  return text.replace(/\n> $/, '');
}

async function closeShell(sh: PtySession): Promise<number> {
  sh.type('\x04');
  const code = await Promise.race([sh.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000).unref())]);
  sh.kill();
  if (code === 'hung') throw new Error(`the shell did not quit on Ctrl-D; screen:\n${sh.screen().slice(-2000)}`);
  return code;
}

step('help upload shows upload\'s own help; add-tags --help works inside the shell', async (tc) => {
  const sh = await openShell(tc);
  try {
    const help = await typeLine(sh, 'help upload');
    assert.match(help, /USAGE\s+\$ redcloud upload FILE/);
    assert.match(help.replace(/\s+/g, ' '), /at most 64 per command, each 1 to 128 characters/, 'tag limits in the help');
    assert.not.match(help, /add-tags/, 'not the list of every command');
    const addTags = await typeLine(sh, 'add-tags --help');
    assert.not.match(addTags, /Nonexistent flag/);
    assert.match(addTags, /USAGE\s+\$ redcloud add-tags QUERY/);
    const bare = await typeLine(sh, 'help');
    assert.match(bare, /upload\s+Upload a file/, 'bare help lists the verbs with their summaries');
    assert.is(await closeShell(sh), 0);
  } finally {
    sh.kill();
  }
});

step('Ctrl-C at the prompt clears the typed line and the shell lives on; Ctrl-D quits with 0', async (tc) => {
  const sh = await openShell(tc);
  try {
    sh.mark();
    sh.type('rm /notes.txt');
    await sh.waitFor('the typed line to echo', /rm \/notes\.txt$/);
    sh.type('\x03');
    const cleared = await sh.waitFor('a fresh prompt after Ctrl-C', /\^C\n> $/);
    assert.not.match(cleared, /Error/);
    const who = await typeLine(sh, 'whoami');
    assert.match(who, /alice/, 'the shell still runs commands');
    assert.not.match(who, /rm|Removed/, 'the cleared text was not kept in front of the next line');
    const ls = await typeLine(sh, 'ls');
    assert.match(ls, /notes\.txt/, 'the cleared `rm` never ran');
    assert.is(await closeShell(sh), 0);
  } finally {
    sh.kill();
  }
});

step('Ctrl-C during a large upload: the upload stops, the prompt comes back, nothing is committed', async (tc) => {
  const big = join(ctx.work, 'big.bin');
  writeRandomFile(big, BIG_BYTES);
  const sh = await openShell(tc);
  try {
    sh.mark();
    sh.type('upload big.bin\r');
    // the bar: human units on both sides of the slash, a rate and an ETA
    const bar = await sh.waitFor('the progress bar', /\d+% \d+(\.\d)? (B|KiB|MiB) \/ 256\.0 MiB +\S+ (B|KiB|MiB|GiB)\/s +ETA (\d+:\d\d|--:--)/, 60_000);
    assert.not.match(bar, /Uploaded/);
    const pressedAt = Date.now();
    sh.mark();
    sh.type('\x03');
    const after = await sh.waitFor('the prompt after Ctrl-C', /Cancelled[^\n]*\n> $/, 15_000);
    const promptBackMs = Date.now() - pressedAt;
    assert.not.match(after, /Uploaded/, 'the upload did not finish');
    assert.ok(promptBackMs < CANCEL_BOUND_MS, `prompt back in ${promptBackMs} ms`);
    const ls = await typeLine(sh, 'ls');
    assert.not.match(ls, /big\.bin/, 'ls in the shell does not show it');
    assert.match(ls, /notes\.txt/);
    assert.is(await closeShell(sh), 0);
  } finally {
    sh.kill();
  }
  assert.not.ok(findEntryIn(await tc.cli.json(['ls', '/']), '/big.bin'), 'no /big.bin on the controller');
});
const CANCEL_BOUND_MS = 5000;

step('Tab completes verbs and remote names; up-arrow recalls the last line; history is kept in the config dir', async (tc) => {
  const sh = await openShell(tc);
  try {
    sh.mark();
    sh.type('who\t');
    await sh.waitFor('the verb completed', /whoami$/);
    sh.type('\x15'); // Ctrl-U: clear the line
    sh.mark();
    sh.type('ls no\t');
    await sh.waitFor('the remote name completed from the controller\'s listing', /ls notes\.txt$/);
    sh.mark();
    sh.type(' --long\r');
    const long = await sh.waitFor('the long listing', /notes\.txt\n> $/);
    assert.match(long, /-rw\S+ .* 18 .*notes\.txt/);
    sh.mark();
    sh.type('\x1b[A');
    await sh.waitFor('the last line recalled', /ls notes\.txt --long$/);
    sh.type('\x15');
    assert.is(await closeShell(sh), 0);
  } finally {
    sh.kill();
  }
  const history = readFileSync(join(tc.cli.configDir, 'shell_history'), 'utf8');
  assert.match(history, /^ls notes\.txt --long$/m);
});

step('login inside the shell asks for the password hidden, and the shell goes on', async (tc) => {
  const sh = await openShell(tc);
  try {
    sh.mark();
    sh.type('login alice\r');
    await sh.waitFor('the password question', /Password: $/);
    sh.type(`${PW}\r`);
    const out = await sh.waitFor('the prompt after login', /Logged in as alice\n> $/);
    assert.not.match(out, new RegExp(PW), 'the password is not echoed');
    assert.match(await typeLine(sh, 'whoami'), /alice/);
    assert.is(await closeShell(sh), 0);
  } finally {
    sh.kill();
  }
  assert.not.match(readFileSync(join(tc.cli.configDir, 'shell_history'), 'utf8'), new RegExp(PW));
});

step('download X - writes the file\'s bytes to stdout and no file named "-"', async (tc) => {
  const local = join(ctx.work, 'three-chunks.bin');
  writeRandomFile(local, 9 * 1024 * 1024 + 123); // three 4 MiB chunks, the last one short: order matters
  const up = await tc.cli.run(['upload', local]);
  assert.is(up.exitCode, 0, up.stderr);
  const { code, stdout, stderr } = await runBinary(tc, ['download', 'three-chunks.bin', '-']);
  assert.is(code, 0, stderr);
  assert.is(stdout.length, 9 * 1024 * 1024 + 123);
  assert.is(createHash('sha256').update(stdout).digest('hex'), await sha256File(local));
  assert.not.ok(existsSync(join(ctx.work, '-')), 'no file named "-"');
});

step('a missing argument is named, with where to read more', async (tc) => {
  const r = await tc.cli.run(['upload']);
  assert.is(r.exitCode, 2);
  assert.is(r.stderr.trim(), 'Error: Missing argument FILE (local file to upload). See: redcloud upload --help');
});

step('five wrong passwords: the fifth says the user is locked and for how many seconds; the right one then says when to retry', async (tc) => {
  const reg = await tc.cli.run(['register', 'bob', '--password', PW]);
  assert.is(reg.exitCode, 0, reg.stderr);
  // (after the "Password: " question, which goes to stderr too)
  const errorLine = (s: string): string => s.slice(Math.max(0, s.indexOf('Error:'))).split('\n')[0]!;
  for (let i = 0; i < 4; i++) {
    const r = await tc.cli.run(['login', 'bob'], { input: `wrong-${i}\n` });
    assert.is(r.exitCode, 3);
    assert.is(errorLine(r.stderr), 'Error: Wrong user name or password');
  }
  const fifth = await tc.cli.run(['login', 'bob'], { input: 'wrong-4\n' });
  assert.is(fifth.exitCode, 3);
  assert.match(errorLine(fifth.stderr), /^Error: Wrong user name or password; too many failed logins: try again in 30 s$/);
  const right = await tc.cli.run(['login', 'bob'], { input: `${PW}\n` });
  assert.is(right.exitCode, 7, 'the right password is refused while locked');
  assert.match(errorLine(right.stderr), /^Error: Too many failed logins: try again in ([1-9]|[12]\d|30) s$/);
});

/** The CLI with stdout as bytes. */
function runBinary(tc: TestCluster, args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath('cli'), ...args], { cwd: ctx.work, env: tc.cli.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

test.run();
