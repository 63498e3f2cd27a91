/**
 * Benchmark of a 4 KiB overwrite + fsync through the mount (issue 14): 3 controllers + 3
 * chunkservers with REPLICATION_FACTOR=3 on BENCH_NET (default 127.0.62) and one mount. Writes an
 * 8 MiB file, then BENCH_FSYNCS times (default 500) pwrites 4 KiB of fresh random bytes at a random
 * 4 KiB-aligned offset and fsyncs; prints p50/p90/p99/max latency and the CPU milliseconds per fsync
 * of each process (mount, each chunkserver, each controller, from /proc/<pid>/stat), BENCH_RUNS
 * times (default 1) on the same cluster. BENCH_PATTERN=same overwrites one page (no fragments: the
 * steady cost of an extent commit), BENCH_PATTERN=append writes the next page each time (a WAL).
 * The daemons run with the default gossip, anti-entropy, repair and heartbeat intervals. BENCH_CTL_ENV / BENCH_CS_ENV / BENCH_CLIENT_ENV
 * (KEY=VALUE,…) go to the controllers, chunkservers and mount; BENCH_PROF_DIR: --cpu-prof profiles
 * of every daemon (bench/cpu-prof-preload.cjs). With BENCH_PHASES=1 (the mount at --log-level debug) it also prints the
 * medians of the mount's phases (placement, chunk PUTs, commit). Not part of `npm test`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/cluster/index.js';
import { metricValue, startFuseCluster, type FuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { readFileSync } from 'node:fs';

const fsyncs = Number(process.env.BENCH_FSYNCS ?? 500);
const runs = Number(process.env.BENCH_RUNS ?? 1);
const net = process.env.BENCH_NET ?? '127.0.62';
const FILE_BYTES = 8 * 2 ** 20;
const PAGE = 4096;
const pattern = process.env.BENCH_PATTERN ?? 'random';
let appendAt = 0;
/** Where the next page goes. */
function nextOffset(): number {
  if (pattern === 'same') return FILE_BYTES / 2;
  if (pattern === 'append') return (appendAt = (appendAt + PAGE) % FILE_BYTES);
  return randomInt(FILE_BYTES / PAGE) * PAGE;
}
const envOf = (s: string | undefined): Record<string, string> =>
  Object.fromEntries((s ?? '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const prof: Record<string, string> = process.env.BENCH_PROF_DIR ? { NODE_OPTIONS: `--require ${join(repoRoot(), 'bench', 'cpu-prof-preload.cjs')}`, CPU_PROF_DIR: process.env.BENCH_PROF_DIR } : {};
const ctlEnv = { ...envOf(process.env.BENCH_CTL_ENV), ...prof };
const csEnv = envOf(process.env.BENCH_CS_ENV);

/** [user, system] CPU seconds of a process so far (/proc/<pid>/stat), zeros once it is gone. */
function cpuSplit(pid: number): [number, number] {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return [Number(f[11]) / 100, Number(f[12]) / 100];
  } catch {
    return [0, 0];
  }
}

/** Bytes the chunkservers received so far (their bytes_in counters). */
async function bytesIn(fc: FuseCluster): Promise<number> {
  let sum = 0;
  for (const cs of fc.tc.chunkservers) {
    const res = await fetch(`${cs.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    sum += metricValue(await res.text(), 'redcloud_chunkserver_bytes_in_total');
  }
  return sum;
}

/** Medians of the phase timings of the mount's 'Committed extents' debug lines (--log-level debug), or '' without them. */
function phaseMedians(log: string): string {
  const keys = ['placementMs', 'putMs', 'commitMs'] as const;
  const got: Record<string, number[]> = { placementMs: [], putMs: [], commitMs: [] };
  for (const line of log.split('\n')) {
    if (!line.includes('Committed extents')) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      for (const k of keys) if (typeof o[k] === 'number') got[k]!.push(o[k]);
    } catch { /* not a JSON line */ }
  }
  if (got.putMs!.length === 0) return '';
  return `${got.putMs!.length} extent commits: ${keys.map((k) => `${k} ${quantile(got[k]!.sort((a, b) => a - b), 0.5).toFixed(1)}`).join(', ')}`;
}

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const fc = await startFuseCluster({
    label: 'bench-fsync', net, controllers: 3, chunkservers: 3,
    controllerEnv: { REPLICATION_FACTOR: '3', GOSSIP_INTERVAL: '1s', ANTI_ENTROPY_INTERVAL: '30s', REPAIR_INTERVAL: '60s', ...ctlEnv }, chunkserverEnv: { MIN_FREE_BYTES: '0', HEARTBEAT_INTERVAL: '5s', ...csEnv, ...prof },
    mountEnv: { ...envOf(process.env.BENCH_CLIENT_ENV), ...prof }, ...(process.env.BENCH_PHASES ? { mountArgs: ['--log-level', 'debug'] } : {}),
  });
  try {
    const names = ['mount', ...fc.tc.chunkservers.map((_, i) => `cs${i + 1}`), ...fc.tc.controllers.map((_, i) => `ctl${i + 1}`)];
    const pids = () => [fc.mount.proc.pid ?? 0, ...fc.tc.chunkservers.map((c) => c.pid ?? 0), ...fc.tc.controllers.map((c) => c.pid ?? 0)];
    const cpuOf = () => pids().map((p) => cpuSplit(p));
    const path = join(fc.mnt, 'db.bin');
    const fd = openSync(path, 'w+');
    try {
      for (let off = 0; off < FILE_BYTES; off += 2 ** 20) writeSync(fd, randomBytes(2 ** 20), 0, 2 ** 20, off);
      fsyncSync(fd);
      // warm-up: JIT, connections, the first extent commit
      for (let i = 0; i < 20; i++) {
        writeSync(fd, randomBytes(PAGE), 0, PAGE, nextOffset());
        fsyncSync(fd);
      }
      const logStarts: number[] = [];
      const lines = [`| run | p50 ms | p90 ms | p99 ms | max ms | ${names.map((n) => n.padStart(6)).join(' | ')} | total |`, `|${'---|'.repeat(6 + names.length)}`];
      for (let r = 0; r < runs; r++) {
        const ms: number[] = [];
        const logStart = fc.mount.logs().length;
        const before = cpuOf();
        const inBefore = await bytesIn(fc);
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < fsyncs; i++) {
          const page = randomBytes(PAGE);
          const s = process.hrtime.bigint();
          writeSync(fd, page, 0, PAGE, nextOffset());
          fsyncSync(fd);
          ms.push(Number(process.hrtime.bigint() - s) / 1e6);
        }
        const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
        const kibPerOp = ((await bytesIn(fc)) - inBefore) / fsyncs / 1024;
        const split = cpuOf().map((c, i) => c.map((x, j) => ((x - before[i]![j]!) * 1000) / fsyncs));
        const cpu = split.map(([u, k]) => u! + k!);
        ms.sort((a, b) => a - b);
        const q = [0.5, 0.9, 0.99, 1].map((x) => quantile(ms, x).toFixed(1).padStart(6));
        lines.push(`| ${r + 1} | ${q.join(' | ')} | ${cpu.map((c) => c.toFixed(2).padStart(6)).join(' | ')} | ${cpu.reduce((a, b) => a + b, 0).toFixed(2)} |`);
        logStarts.push(logStart);
        process.stderr.write(`run ${r + 1}: ${fsyncs} fsyncs in ${wallS.toFixed(1)} s; chunkservers received ${kibPerOp.toFixed(1)} KiB per fsync; system CPU ms per fsync ${split.map(([, k], i) => `${names[i]} ${k!.toFixed(2)}`).join(', ')}\n`);
      }
      if (process.env.BENCH_PHASES) {
        // the mount's log is buffered: complete once it stopped (the run slices end where the next starts)
        await fc.mount.stop();
        const log = fc.mount.logs();
        logStarts.forEach((from, r) => lines.push(`| ${r + 1} phases, medians ms: ${phaseMedians(log.slice(from, logStarts[r + 1] ?? log.length))} |`));
      }
      process.stdout.write(`${fsyncs} × (pwrite 4 KiB + fsync) of an 8 MiB file, ${pattern} pages, RF 3, 3 controllers; latency ms; CPU ms (user + system) per fsync per process; ` +
        `ctl env ${JSON.stringify(envOf(process.env.BENCH_CTL_ENV))} cs env ${JSON.stringify(csEnv)} client env ${JSON.stringify(envOf(process.env.BENCH_CLIENT_ENV))}\n${lines.join('\n')}\n`);
    } finally {
      if (fc.mount.proc.exitCode === null) closeSync(fd);
    }
    if (process.env.BENCH_PROF_DIR) {
      // a graceful stop writes the profiles
      await fc.mount.stop();
      for (const c of [...fc.tc.chunkservers, ...fc.tc.controllers]) await c.kill('SIGTERM');
    }
  } finally {
    await fc.stop();
  }
}

await main();
