/**
 * Ctrl-C at a password prompt, at a real terminal (a pseudo-terminal from `script`) against a
 * cluster on 127.0.46.51/.61: the one-shot `redcloud login` shows `^C`, says it was cancelled and
 * exits 130; inside `redcloud shell`, `login` and `register` cancelled the same way bring the
 * shell's prompt back, nothing was registered, and the shell goes on. After each, `stty -a` in the
 * same terminal shows echo and canonical mode on: no echo-off terminal is left behind.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath } from '../../src/cluster/paths.js';
import { startPty, type PtySession } from '../helpers/pty.js';
import { stepsFor } from '../helpers/step.js';
import { useTestCluster, type TestCluster } from '../helpers/test-cluster.js';

const PW = 'correct-horse-battery-staple';
const CANCELLED = 'Error: Cancelled at the password prompt (Ctrl-C)';
const test = suite('password prompt');
const ctx: { tc?: TestCluster; work: string } = { work: '' };
const step = stepsFor(test, () => ctx.tc);

useTestCluster(test, 'password prompt', ctx, { label: 'pwprompt', net: '127.0.46', hostOffset: 40, controllers: 1, chunkservers: 1 }, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  await tc.signUp('alice', PW);
});

/** `command`, then its exit code and the terminal's echo/icanon settings, in one terminal. */
function underTerminal(tc: TestCluster, command: string): PtySession {
  const env = { ...tc.cli.env };
  delete env.REDCLOUD_PASSWORD;
  const after = 'echo "EXIT=$?"; stty -a | tr " " "\\n" | grep -x -e echo -e -echo -e icanon -e -icanon | tr "\\n" " "; echo END';
  return startPty(`sh -c '${command}; ${after}'`, { cwd: ctx.work, env });
}

/** The terminal's mode after the program: echo and icanon both on. */
async function terminalRestored(term: PtySession): Promise<string> {
  const tail = await term.waitFor('the terminal settings after the program', /EXIT=\d+\n[^\n]*END/);
  assert.match(tail, /(^|\s)echo\s/, `echo is on again: ${tail}`);
  assert.match(tail, /(^|\s)icanon\s/, `canonical mode is on again: ${tail}`);
  assert.not.match(tail, /-echo|-icanon/);
  return tail;
}

const cli = (): string => `${process.execPath} ${binPath('cli')}`;

step('one-shot login: Ctrl-C at the password prompt says so, exits 130 and leaves the terminal echoing', async (tc) => {
  const term = underTerminal(tc, `${cli()} login alice`);
  try {
    await term.waitFor('the password question', /Password: $/);
    term.type('half-typ');
    term.type('\x03');
    const tail = await terminalRestored(term);
    assert.match(term.screen(), /Password: \^C\n/);
    assert.ok(term.screen().includes(CANCELLED), term.screen());
    assert.match(tail, /EXIT=130/);
    assert.not.match(term.screen(), /half-typ/, 'what was typed is not shown');
  } finally {
    term.kill();
  }
});

step('in the shell: Ctrl-C at login\'s and register\'s password prompts brings the prompt back; nothing registered; terminal echoing after', async (tc) => {
  const term = underTerminal(tc, `${cli()} shell`);
  try {
    await term.waitFor('the first prompt', /> $/);
    for (const line of ['login alice', 'register bob']) {
      term.mark();
      term.type(`${line}\r`);
      await term.waitFor(`${line}: the password question`, /Password: $/);
      term.type('abc');
      term.type('\x03');
      const back = await term.waitFor(`${line}: the shell's prompt after Ctrl-C`, /\n> $/, 10_000);
      assert.ok(back.includes(CANCELLED), back);
      assert.not.match(back, /Logged in|Registered/);
    }
    term.mark();
    term.type('whoami\r');
    assert.match(await term.waitFor('whoami', /\n> $/), /alice/, 'the shell still runs commands as alice');
    term.type('\x04');
    const tail = await terminalRestored(term);
    assert.match(tail, /EXIT=0/);
  } finally {
    term.kill();
  }
  const login = await tc.cli.run(['login', 'bob'], { input: 'abc\n' });
  assert.is(login.exitCode, 3, 'bob was never registered');
});

test.run();
