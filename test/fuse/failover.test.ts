/**
 * The mount when nodes die (2 controllers + 3 chunkservers on 127.0.8.x, a mount with a small
 * chunk cache and a 5 s operation timeout): kill -9 of a chunkserver during a long read, kill -9
 * of the controller the mount talks to during a read — both reads complete with the right sha256;
 * with the whole cluster gone, operations fail with EIO within the operation timeout; when the
 * cluster is back the mount works again without a remount; bytes a writer fsynced (and never
 * closed) read back after kill -9 of the writer, the mount and every daemon, and a restart.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { http } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { metricValue, startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';
import { stepsFor } from '../helpers/step.js';
import { fsyncThenKill } from './helpers/fsynced-writer.js';

const MiB = 1024 * 1024;
const OP_TIMEOUT_S = 5;
const test = suite('fuse failover');
const ctx: { fc?: FuseCluster; big: string; bigSha: string } = { big: '', bigSha: '' };

const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

/** A slow reader in another process: sha256 of `path`, read in 1 MiB pieces, printing progress. */
function slowRead(path: string, pauseS: number): { progressMiB(): number; done: Promise<{ code: number | null; sha: string; err: string }> } {
  const py = [
    'import hashlib,sys,time', 'h=hashlib.sha256()', 'n=0',
    'with open(sys.argv[1],"rb") as f:',
    '  while True:',
    '    b=f.read(1<<20)',
    '    if not b: break',
    '    h.update(b); n+=1',
    '    sys.stderr.write(f"{n}\\n"); sys.stderr.flush()',
    `    time.sleep(${pauseS})`,
    'print(h.hexdigest())',
  ].join('\n');
  const p = spawn('python3', ['-c', py, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let progress = 0;
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => {
    err += d;
    const lines = err.trim().split('\n');
    progress = Number(lines[lines.length - 1]) || progress;
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), 180_000);
  const done = new Promise<{ code: number | null; sha: string; err: string }>((resolve) => {
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, sha: out.trim(), err: err.split('\n').filter((l) => !/^\d+$/.test(l)).join('\n') });
    });
  });
  return { progressMiB: () => progress, done };
}

async function getsOk(url: string): Promise<number> {
  const r = await http(`${url}/metrics`, { timeoutMs: 3000 });
  return metricValue(r.body.toString('utf8'), 'redcloud_chunkserver_gets_total', 'result="ok"');
}

/** Runs a command on the mount; returns exit code, stderr and how long it took. */
function timed(cmd: string, args: string[]): { code: number | null; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, err: r.stderr ?? '', ms: Date.now() - t0 };
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-failover', net: '127.0.8', controllers: 2, chunkservers: 3,
    mountArgs: ['--cache-size', '16MiB', '--read-ahead', '2', '--op-timeout', `${OP_TIMEOUT_S}s`],
  });
  ctx.big = join(ctx.fc.work, 'big.bin');
  writeRandomFile(ctx.big, 96 * MiB);
  ctx.bigSha = await sha256File(ctx.big);
  const up = spawnSync('cp', [ctx.big, join(ctx.fc.mnt, 'big.bin')], { encoding: 'utf8', timeout: 120_000 });
  if (up.status !== 0) throw new Error(`cp into the mount failed: ${up.stderr}`);
  // every chunk on every chunkserver (REPLICATION_FACTOR=all), so any one may die
});

test.after(async () => {
  await ctx.fc?.stop();
});

step('kill -9 of a chunkserver during a long read: the read completes with the right bytes', async (fc) => {
  const before = await Promise.all(fc.tc.chunkservers.map((cs) => getsOk(cs.url)));
  const reader = slowRead(join(fc.mnt, 'big.bin'), 0.03);
  await waitFor('the reader at 20 MiB', () => reader.progressMiB() >= 20, { timeoutMs: 60_000 });
  const after = await Promise.all(fc.tc.chunkservers.map((cs) => getsOk(cs.url)));
  const serving = after.map((n, i) => n - before[i]!).reduce((best, n, i, all) => (n > all[best]! ? i : best), 0);
  await fc.tc.chunkservers[serving]!.kill('SIGKILL');
  const r = await reader.done;
  assert.is(r.code, 0, r.err);
  assert.is(r.sha, ctx.bigSha);
  await fc.tc.chunkservers[serving]!.restart();
});

step('kill -9 of the controller the mount talks to during a read: the read completes, new opens fail over', async (fc) => {
  // a second file the mount has not opened yet; wait until both controllers know it
  const small = join(fc.work, 'second.bin');
  writeRandomFile(small, 3 * MiB + 17);
  const up = await fc.tc.cli.run(['upload', small, '--to', '/second.bin']);
  assert.is(up.exitCode, 0, up.stderr);
  await waitFor('second.bin on ctl2', async () => {
    const r = await http(`${fc.tc.controllerUrls[1]}/v1/fs/stat?path=/second.bin`, { headers: { authorization: `Bearer ${fc.token}` } });
    return r.status === 200;
  }, { timeoutMs: 20_000 });
  const reader = slowRead(join(fc.mnt, 'big.bin'), 0.02);
  await waitFor('the reader at 10 MiB', () => reader.progressMiB() >= 10, { timeoutMs: 60_000 });
  await fc.tc.controllers[0]!.kill('SIGKILL');
  const r = await reader.done;
  assert.is(r.code, 0, r.err);
  assert.is(r.sha, ctx.bigSha);
  const got = spawnSync('sha256sum', [join(fc.mnt, 'second.bin')], { encoding: 'utf8', timeout: 60_000 });
  assert.is(got.status, 0, got.stderr);
  assert.is(got.stdout.split(' ')[0], await sha256File(small));
  await fc.tc.controllers[0]!.restart();
});

step('with the whole cluster gone, operations fail with EIO within the operation timeout', async (fc) => {
  await Promise.all([...fc.tc.controllers, ...fc.tc.chunkservers].map((n) => n.kill('SIGKILL')));
  const limitMs = (OP_TIMEOUT_S + 3) * 1000;
  for (const [cmd, args] of [
    ['stat', [join(fc.mnt, 'never-seen-1')]],
    ['ls', [join(fc.mnt, 'never-seen-dir')]],
    ['cat', [join(fc.mnt, 'second-never-seen')]],
    ['mkdir', [join(fc.mnt, 'newdir')]],
  ] as const) {
    const r = timed(cmd, [...args]);
    assert.ok(r.code !== 0, `${cmd} should fail`);
    assert.match(r.err, /Input\/output error/, `${cmd}: ${r.err}`);
    assert.ok(r.ms < limitMs, `${cmd} took ${r.ms} ms (limit ${limitMs})`);
  }
});

step('the mount recovers when the cluster returns', async (fc) => {
  for (const n of [...fc.tc.controllers, ...fc.tc.chunkservers]) n.start();
  await Promise.all([...fc.tc.controllers, ...fc.tc.chunkservers].map((n) => n.waitHealthy({ timeoutMs: 20_000 })));
  await fc.tc.waitHealthyChunkservers(fc.token, 3);
  await waitFor('ls of the mount', () => {
    const r = spawnSync('ls', [fc.mnt], { encoding: 'utf8', timeout: 20_000 });
    return r.status === 0 && r.stdout.includes('second.bin');
  }, { timeoutMs: 30_000, pollMs: 500 });
  const r = spawnSync('sha256sum', [join(fc.mnt, 'big.bin')], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.split(' ')[0], ctx.bigSha);
  const w = spawnSync('sh', ['-c', `printf back > '${join(fc.mnt, 'after.txt')}' && cat '${join(fc.mnt, 'after.txt')}'`], { encoding: 'utf8', timeout: 60_000 });
  assert.is(w.status, 0, w.stderr);
  assert.is(w.stdout, 'back');
});

step('bytes fsynced survive kill -9 of the writer, the mount and every daemon', async (fc) => {
  const local = join(fc.work, 'fsynced.bin');
  writeRandomFile(local, 3 * MiB + 12_345);
  const sha = await sha256File(local);
  await fsyncThenKill(['import os,sys', 'fd=os.open(sys.argv[1],os.O_WRONLY|os.O_CREAT|os.O_TRUNC,0o644)', 'b=open(sys.argv[2],"rb").read()', 'n=0',
    'while n<len(b): n+=os.write(fd,b[n:])', 'os.fsync(fd)'], [join(fc.mnt, 'fsynced.bin'), local]);
  fc.mount.proc.kill('SIGKILL');
  const nodes = [...fc.tc.controllers, ...fc.tc.chunkservers];
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  for (const n of nodes) n.start();
  // five node processes start at once on 2 cores: under load each takes several seconds
  await Promise.all(nodes.map((n) => n.waitHealthy({ timeoutMs: 60_000 })));
  await fc.tc.waitHealthyChunkservers(fc.token, 3);
  await fc.remount();
  const got = spawnSync('sha256sum', [join(fc.mnt, 'fsynced.bin')], { encoding: 'utf8', timeout: 120_000 });
  assert.is(got.status, 0, got.stderr);
  assert.is(got.stdout.split(' ')[0], sha, 'the fsynced bytes');
});

test.run();
