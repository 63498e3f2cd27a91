/**
 * Group commit on a real controller process (127.0.53.x): the process is watched with strace while
 * one write is made, and the trace must show the write-ahead log fdatasynced before the write's
 * HTTP answer leaves the process. Without group commit there is no fdatasync at all (SQLite runs
 * with synchronous=NORMAL), and an acknowledged write could be lost in a power cut. A real power
 * cut cannot be made here; the order of the syscalls is what makes the guarantee.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { postJson } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';

const ctx: { tc?: TestCluster; token: string } = { token: '' };
const test = suite('durable commit');
const step = stepsFor(test, () => ctx.tc);

useTestCluster(test, 'durable commit', ctx, { label: 'durable', net: '127.0.53', controllers: 1, chunkservers: 1 }, async (tc) => {
  ctx.token = await tc.signUp('dora', 'durable-pass-1');
});

/** Index of the trace line where an fdatasync of the WAL returned 0 (also when strace split it in unfinished/resumed lines). */
function walSyncsDone(lines: string[]): number[] {
  const open = new Set<string>();
  const done: number[] = [];
  lines.forEach((line, i) => {
    const tid = line.split(' ', 1)[0];
    if (/fdatasync\(\d+<[^>]*redcloud\.db-wal>/.test(line)) {
      if (/<unfinished \.\.\.>/.test(line)) open.add(tid);
      else if (/\)\s+= 0$/.test(line)) done.push(i);
    } else if (open.has(tid) && /<\.\.\. fdatasync resumed>.*= 0$/.test(line)) {
      open.delete(tid);
      done.push(i);
    }
  });
  return done;
}

step('a write is answered only after the WAL was fdatasynced', async (tc) => {
  const pid = tc.controllers[0]!.pid!;
  const traceFile = join(tc.dir, 'controller.strace');
  const strace = spawn('strace', ['-f', '-y', '-s', '2000', '-e', 'trace=fdatasync,write,writev', '-o', traceFile, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  strace.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => strace.on('exit', (code) => resolve(code)));
  try {
    await waitFor('strace attached to the controller', () => (/attached/.test(stderr) ? true : undefined), { timeoutMs: 10_000 });
    const name = `durable-${randomBytes(6).toString('hex')}`;
    const res = await postJson<{ name?: string; path?: string }>(`${tc.controllerUrls[0]}/v1/fs/mkdir`, ctx.token, { path: `/${name}` });
    assert.is(res.status, 200, `mkdir: ${JSON.stringify(res.data)}`);
    strace.kill('SIGINT');
    await exited;
    const lines = readFileSync(traceFile, 'utf8').split('\n');
    const answer = lines.findIndex((l) => /HTTP\/1\.1 200/.test(l) && l.includes(name));
    assert.ok(answer >= 0, `the trace shows the answer to mkdir /${name} (${lines.length} lines)`);
    const syncs = walSyncsDone(lines.slice(0, answer));
    assert.ok(syncs.length > 0, `an fdatasync of redcloud.db-wal returned before the answer was written; trace up to it:\n${lines.slice(Math.max(0, answer - 15), answer + 1).join('\n')}`);
  } finally {
    if (strace.exitCode === null) strace.kill('SIGKILL');
  }
});

test.run();
