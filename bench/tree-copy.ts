/**
 * Benchmark of fsbench's tree copy row on its own: 1 controller + 3 chunkservers with
 * REPLICATION_FACTOR=3 on BENCH_NET (default 127.0.58) and a real mount; `cp -a` of BENCH_TREE
 * (default fsbench's cached 200-file tree, /tmp/fsbench-src/gen2-200-20240601: run
 * ../shared/bench/fsbench.sh once to make it) into the mount, then `sync -f`, BENCH_RUNS times
 * (default 2, each into a new directory). Prints per run the seconds of the copy and of the sync,
 * MB/s, and the CPU seconds of each process (mount, chunkservers, controller) with the kernel's
 * share. BENCH_PROF_DIR: V8 CPU profiles of the mount and the controller go there (written when
 * they stop). Not part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/cluster/index.js';
import { startFuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { cpuSplit } from './measure.js';

const tree = process.env.BENCH_TREE ?? '/tmp/fsbench-src/gen2-200-20240601';
const runs = Number(process.env.BENCH_RUNS ?? 2);
const net = process.env.BENCH_NET ?? '127.0.58';
const prof: Record<string, string> = process.env.BENCH_PROF_DIR ? { NODE_OPTIONS: `--require ${join(repoRoot(), 'bench', 'cpu-prof-preload.cjs')}`, CPU_PROF_DIR: process.env.BENCH_PROF_DIR } : {};

function treeBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = treeBytes(p);
      files += sub.files;
      bytes += sub.bytes;
    } else if (e.isFile()) {
      files++;
      bytes += statSync(p).size;
    }
  }
  return { files, bytes };
}

function timed(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  const { files, bytes } = treeBytes(tree);
  const fc = await startFuseCluster({
    label: 'bench-tree', net, controllers: 1, chunkservers: 3,
    controllerEnv: { REPLICATION_FACTOR: '3', ...prof }, chunkserverEnv: { MIN_FREE_BYTES: '0' }, mountEnv: prof,
  });
  try {
    const pids = () => [fc.mount.proc.pid ?? 0, ...fc.tc.chunkservers.map((c) => c.pid ?? 0), fc.tc.controllers[0]!.pid ?? 0];
    const cpu = () => pids().map((p) => cpuSplit(p));
    const lines = ['| run | copy s | sync s | MB/s (with sync) | mount (sys) | cs1 (sys) | cs2 (sys) | cs3 (sys) | ctl (sys) |', '|---|---|---|---|---|---|---|---|---|'];
    for (let r = 0; r < runs; r++) {
      const before = cpu();
      const copy = timed('cp', ['-a', tree, join(fc.mnt, `copy${r}`)]);
      const sync = timed('sync', ['-f', join(fc.mnt, `copy${r}`)]);
      const used = cpu().map((c, i) => `${(c.userSeconds + c.sysSeconds - before[i]!.userSeconds - before[i]!.sysSeconds).toFixed(2)} (${(c.sysSeconds - before[i]!.sysSeconds).toFixed(2)})`);
      lines.push(`| ${r + 1} | ${copy.toFixed(2)} | ${sync.toFixed(2)} | ${(bytes / 1e6 / (copy + sync)).toFixed(1)} | ${used.join(' | ')} |`);
    }
    process.stdout.write(`tree ${tree}: ${files} files, ${(bytes / 1e6).toFixed(1)} MB; RF 3; CPU seconds per copy, per process\n${lines.join('\n')}\n`);
    if (process.env.BENCH_PROF_DIR) {
      // a graceful stop writes the profiles
      await fc.mount.stop();
      await fc.tc.controllers[0]!.kill('SIGTERM');
    }
  } finally {
    await fc.stop();
  }
}

await main();
