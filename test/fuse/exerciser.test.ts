/**
 * A randomized exerciser on a real mount (1 controller + 3 chunkservers on 127.0.8.x, 1 MiB
 * chunks in the mount so commits cross many chunk boundaries): a child process does thousands of
 * writes, truncates and reads at random offsets on several files, checked against an in-memory
 * model, reopening and fsyncing files regularly so commits happen, in two halves with a remount
 * between (the first half's files read back by hash after it). Fixed seed in CI; EXERCISER_SEED=n replays
 * a run and EXERCISER_OPS=n changes its length. The final files are then checked through the CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256File } from '../helpers/files.js';
import { startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const test = suite('fuse exerciser');
const ctx: { fc?: FuseCluster } = {};
const SEED = Number(process.env.EXERCISER_SEED ?? 20261126);
const OPS = Number(process.env.EXERCISER_OPS ?? 3000);
const worker = fileURLToPath(new URL('./exerciser-worker.js', import.meta.url));

function runWorker(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-exerciser', net: process.env.EXERCISER_NET ?? '127.0.8', controllers: 1, chunkservers: 3, mountEnv: { CHUNK_SIZE: '1MiB' },
  });
});

test.after(async () => {
  await ctx.fc?.stop();
});

test(`random writes, truncates and reads match the model (EXERCISER_SEED=${SEED})`, async () => {
  const fc = ctx.fc;
  if (!fc) return;
  try {
    // two halves with a remount between: what the first committed must read back after it
    for (const [half, seed] of [[1, SEED], [2, SEED + 1]] as const) {
      const r = await runWorker([fc.mnt, String(seed), String(OPS / 2), '4', String(3 * 1024 * 1024)], 240_000);
      const last = r.out.trim().split('\n').pop() ?? '';
      assert.is(r.code, 0, `exerciser half ${half} failed, replay with EXERCISER_SEED=${SEED}: ${last} ${r.err.slice(-2000)}`);
      const res = JSON.parse(last) as { counts: Record<string, number>; files: { name: string; size: number; sha256: string }[] };
      assert.ok(res.counts.writes > OPS / 6 && res.counts.reopens > 25, JSON.stringify(res.counts));
      await fc.remount();
      for (const f of res.files) {
        assert.is(await sha256File(join(fc.mnt, f.name)), f.sha256, `${f.name} after a remount (half ${half}, EXERCISER_SEED=${SEED})`);
        const dest = join(fc.work, f.name);
        const dl = await fc.tc.cli.run(['download', `/${f.name}`, dest]);
        assert.is(dl.exitCode, 0, dl.stderr);
        assert.is(await sha256File(dest), f.sha256, `${f.name} through the CLI (half ${half}, EXERCISER_SEED=${SEED})`);
      }
    }
  } catch (err) {
    process.stderr.write(`exerciser: replay with EXERCISER_SEED=${SEED}\n`);
    fc.dumpLogs();
    throw err;
  }
});

test.run();
