/**
 * Benchmark of the write path's CPU per GiB: 1 controller + 3 chunkservers with
 * REPLICATION_FACTOR=3 on BENCH_NET (default 127.0.58) and a real mount. Writes BENCH_SIZE
 * (default 1GiB) of random bytes through the CLI's upload and through the mount (dd + fsync),
 * BENCH_RUNS times each (default 2), and prints per run MB/s and the CPU seconds per GiB of each
 * process (client, each chunkserver, controller), from /proc/<pid>/stat and, for the CLI,
 * /usr/bin/time; in parentheses the kernel's share of it (system time: socket, page-cache and fsync
 * work). The cluster's chunkservers get BENCH_CS_ENV (KEY=VALUE,…) and the client
 * BENCH_CLIENT_ENV, the controller BENCH_CTL_ENV, e.g. REPLICA_PIPELINE=off to compare the direct path. BENCH_PROF_DIR: node --cpu-prof
 * profiles of the mount, the CLI and the chunkservers go there. Not part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseBytes } from '../src/common/config.js';
import { binPath, repoRoot } from '../src/cluster/index.js';
import { startFuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { cpuSplit, writeRandom } from './measure.js';

const MB = 1_000_000;
const GiB = 2 ** 30;
const sizeBytes = parseBytes(process.env.BENCH_SIZE ?? '1GiB');
const runs = Number(process.env.BENCH_RUNS ?? 2);
const net = process.env.BENCH_NET ?? '127.0.58';
const envOf = (s: string | undefined): Record<string, string> =>
  Object.fromEntries((s ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const csEnv = envOf(process.env.BENCH_CS_ENV);
const ctlEnv = envOf(process.env.BENCH_CTL_ENV);
const prof: Record<string, string> = process.env.BENCH_PROF_DIR ? { NODE_OPTIONS: `--require ${join(repoRoot(), 'bench', 'cpu-prof-preload.cjs')}`, CPU_PROF_DIR: process.env.BENCH_PROF_DIR } : {};
const clientEnv = { ...envOf(process.env.BENCH_CLIENT_ENV), ...prof };

/** CPU seconds as [user, system]. */
type Cpu = [number, number];
const cpuOfPid = (pid: number): Cpu => {
  const c = cpuSplit(pid);
  return [c.userSeconds, c.sysSeconds];
};
const minus = (a: Cpu, b: Cpu): Cpu => [a[0] - b[0], a[1] - b[1]];

function row(what: string, seconds: number, cpu: Cpu[]): string {
  const g = sizeBytes / GiB;
  const perGiB = cpu.map(([u, s]) => `${((u + s) / g).toFixed(1).padStart(5)} (${(s / g).toFixed(1)})`.padEnd(11));
  return `| ${what.padEnd(14)} | ${(sizeBytes / MB / seconds).toFixed(1).padStart(7)} | ${perGiB.join(' | ')} |`;
}

async function main(): Promise<void> {
  const fc = await startFuseCluster({
    label: 'bench-write', net, controllers: 1, chunkservers: 3,
    controllerEnv: { REPLICATION_FACTOR: '3', ...ctlEnv }, chunkserverEnv: { MIN_FREE_BYTES: '0', ...csEnv, ...prof }, mountEnv: clientEnv,
  });
  try {
    // fresh random bytes for every write: the same content twice would be deduplicated (HEAD, no PUT)
    const src = join(fc.work, 'src.bin');
    const pids = () => [...fc.tc.chunkservers.map((c) => c.pid ?? 0), fc.tc.controllers[0]!.pid ?? 0];
    const cpuOf = () => pids().map(cpuOfPid);
    const lines = ['| run            |   MB/s  | client (sys) | cs1 (sys)   | cs2 (sys)   | cs3 (sys)   | ctl (sys)   |', '|---|---|---|---|---|---|---|'];
    for (let r = 0; r < runs; r++) {
      writeRandom(src, sizeBytes);
      let before = cpuOf();
      let t0 = process.hrtime.bigint();
      const up = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, binPath('cli'), 'upload', src, '--to', `/up${r}.bin`],
        { env: { ...fc.tc.cli.env, ...clientEnv }, cwd: repoRoot(), encoding: 'utf8', timeout: 20 * 60_000 });
      let secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (up.status !== 0) throw new Error(`upload exited ${up.status}: ${up.stderr}`);
      const [u, s] = up.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
      lines.push(row(`cli upload ${r + 1}`, secs, [[u!, s!], ...cpuOf().map((c, i) => minus(c, before[i]!))]));
      writeRandom(src, sizeBytes);
      const mountPid = fc.mount.proc.pid!;
      before = cpuOf();
      const m0 = cpuOfPid(mountPid);
      t0 = process.hrtime.bigint();
      const dd = spawnSync('dd', [`if=${src}`, `of=${join(fc.mnt, `dd${r}.bin`)}`, 'bs=1M', 'conv=fsync'], { encoding: 'utf8', timeout: 20 * 60_000 });
      secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (dd.status !== 0) throw new Error(`dd exited ${dd.status}: ${dd.stderr}`);
      lines.push(row(`mount dd ${r + 1}`, secs, [minus(cpuOfPid(mountPid), m0), ...cpuOf().map((c, i) => minus(c, before[i]!))]));
    }
    rmSync(src);
    process.stdout.write(`${(sizeBytes / 2 ** 20).toFixed(0)} MiB per run, RF 3; CPU seconds per GiB written, per process; controller env ${JSON.stringify(ctlEnv)} cs env ${JSON.stringify(csEnv)} client env ${JSON.stringify(clientEnv)}\n${lines.join('\n')}\n`);
    if (process.env.BENCH_PROF_DIR) {
      // a graceful stop writes the --cpu-prof profiles
      await fc.mount.stop();
      for (const c of fc.tc.chunkservers) await c.kill('SIGTERM');
    }
  } finally {
    await fc.stop();
  }
}

await main();
