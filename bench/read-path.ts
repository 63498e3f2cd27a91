/**
 * The mount's read path, measured: 1 controller + 3 chunkservers (REPLICATION_FACTOR=3) on
 * BENCH_RP_NET (default 127.0.55) and a real mount. A file of BENCH_RP_SIZE (default 256MiB) is
 * written through the mount, then, each after a remount and drop_caches:
 *  - random: BENCH_RP_READS (400) buffered 4 KiB preads at random offsets, mount flags
 *    `--disk-cache-size 0 --cache-size 8MiB --read-ahead 0`: KiB the chunkservers sent per read,
 *    mount CPU ms per read;
 *  - sequential: `dd bs=1M` of the whole file, mount flags `--disk-cache-size 0 --cache-size 32MiB`
 *    (RAM holds less than the file): MB/s, mount CPU
 *    s/GiB, bytes sent by the chunkservers ÷ file size;
 *  - reopen: the same `dd` again without drop_caches (the kernel's page cache may serve it):
 *    bytes the chunkservers sent, mount CPU;
 *  - tree (BENCH_RP_PHASES=…,tree): BENCH_RP_TREE_FILES (200) files of fsbench's mix (75% up to
 *    32 KiB, 20% 64 KiB–1 MiB, 5% 2–8 MiB) copied in with `cp -a`, then after drop_caches read
 *    back with `sha256sum -c`: MB/s, CPU s/GiB of the mount and the chunkservers.
 * Every phase also prints the chunkservers' CPU s/GiB (summed over the three).
 * BENCH_RP_SEQ_FLAGS replaces the sequential phase's mount flags (`default`: none, the mount's
 * defaults, as fsbench mounts it: disk cache on).
 * BENCH_RP_PROF=DIR writes a CPU profile of the mount per phase into DIR and one of each chunkserver
 * (whole run, the write included) into DIR/cs (bench/cpu-prof-preload.cjs).
 * Not part of `npm test`; needs root (drop_caches).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseBytes } from '../src/common/config.js';
import { metricValue, startFuseCluster, type FuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { repoRoot } from '../src/cluster/index.js';
import { dropCaches, randomReadSeconds, runTimed as run } from './measure.js';

const GiB = 1024 ** 3;
const sizeBytes = parseBytes(process.env.BENCH_RP_SIZE ?? '256MiB');
const reads = Number(process.env.BENCH_RP_READS ?? 400);
const net = process.env.BENCH_RP_NET ?? '127.0.55';
const prof = process.env.BENCH_RP_PROF;
const phases = (process.env.BENCH_RP_PHASES ?? 'random,sequential,reopen').split(',');

async function served(fc: FuseCluster): Promise<number> {
  let sum = 0;
  for (const cs of fc.tc.chunkservers) sum += metricValue(await (await fetch(`${cs.url}/metrics`)).text(), 'redcloud_chunkserver_bytes_out_total');
  return sum;
}

// node 20 refuses --cpu-prof in NODE_OPTIONS: the preload profiles the process and writes at exit
const profEnv = (dir: string): Record<string, string> => {
  mkdirSync(dir, { recursive: true });
  return { NODE_OPTIONS: `--require ${join(repoRoot(), 'bench', 'cpu-prof-preload.cjs')}`, CPU_PROF_DIR: dir };
};
/** [user, system] CPU seconds of a process so far. */
function cpuSplit(pid: number): [number, number] {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [Number(f[11]) / 100, Number(f[12]) / 100];
}
const csCpu = (fc: FuseCluster): [number, number] => fc.tc.chunkservers.map((cs) => cpuSplit(cs.pid!)).reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0]);

/** Runs `body` and returns the chunkserver bytes sent and the CPU seconds of the mount and of the chunkservers (summed) during it. */
async function measured(fc: FuseCluster, body: () => number): Promise<{ bytes: number; cpu: number; sys: number; csCpu: number; csSys: number; seconds: number }> {
  if (prof) for (const cs of fc.tc.chunkservers) process.kill(cs.pid!, 'SIGUSR2'); // profile from here
  const b0 = await served(fc);
  const c0 = cpuSplit(fc.mount.proc.pid!);
  const s0 = csCpu(fc);
  const seconds = body();
  const c1 = cpuSplit(fc.mount.proc.pid!);
  const s1 = csCpu(fc);
  return { bytes: (await served(fc)) - b0, cpu: c1[0] + c1[1] - c0[0] - c0[1], sys: c1[1] - c0[1], csCpu: s1[0] + s1[1] - s0[0] - s0[1], csSys: s1[1] - s0[1], seconds };
}

/** fsbench's tree mix (sizes only, seeded): 75% 1 B–32 KiB, 20% 64 KiB–1 MiB, 5% 2–8 MiB. */
function treeSizes(n: number): number[] {
  let x = 20240601;
  const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const between = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  return Array.from({ length: n }, (_, i) => {
    const r = rnd();
    if (i === 0) return 0;
    return r < 0.75 ? between(1, 32 << 10) : r < 0.95 ? between(64 << 10, 1 << 20) : between(2 << 20, 8 << 20);
  });
}

const fc = await startFuseCluster({
  label: 'bench-read-path', net, controllers: 1, chunkservers: 3,
  controllerEnv: { REPLICATION_FACTOR: '3', WRITE_QUORUM: '3' },
  mountEnv: prof ? profEnv(prof) : {},
  ...(prof ? { chunkserverEnv: profEnv(join(prof, 'cs')) } : {}),
});
const perGiB = (cpu: number, bytes: number): string => (cpu / (bytes / GiB)).toFixed(2);
try {
  const src = join(fc.work, 'src.bin');
  const chunk = 4 << 20;
  const parts: Buffer[] = [];
  for (let done = 0; done < sizeBytes; done += chunk) parts.push(randomBytes(Math.min(chunk, sizeBytes - done)));
  writeFileSync(src, Buffer.concat(parts));
  const file = join(fc.mnt, 'f.bin');
  run('dd', [`if=${src}`, `of=${file}`, 'bs=1M', 'conv=fsync', 'status=none']);
  const out: string[] = [`read path bench: ${sizeBytes} bytes, RF 3, ${reads} random reads, load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`];
  if (phases.includes('random')) {
    await fc.remount(['--disk-cache-size', '0', '--cache-size', '8MiB', '--read-ahead', '0']);
    dropCaches();
    const m = await measured(fc, () => randomReadSeconds(file, reads));
    out.push(`random 4 KiB: ${(m.bytes / reads / 1024).toFixed(1)} KiB sent per read, mount CPU ${(m.cpu / reads * 1000).toFixed(2)} ms/read, ${(reads / m.seconds).toFixed(0)} IOPS`);
  }
  if (phases.includes('sequential') || phases.includes('reopen')) {
    const flags = process.env.BENCH_RP_SEQ_FLAGS;
    await fc.remount(flags === undefined ? ['--disk-cache-size', '0', '--cache-size', '32MiB'] : flags === 'default' ? [] : flags.split(' '));
    dropCaches();
    const dd = (): number => run('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', 'status=none']).seconds;
    const s = await measured(fc, dd);
    out.push(`sequential cold: ${(sizeBytes / 1e6 / s.seconds).toFixed(0)} MB/s, mount CPU ${perGiB(s.cpu, sizeBytes)} s/GiB (system ${perGiB(s.sys, sizeBytes)}), chunkservers CPU ${perGiB(s.csCpu, sizeBytes)} s/GiB (system ${perGiB(s.csSys, sizeBytes)}), chunkservers sent ${(s.bytes / sizeBytes).toFixed(2)}× the file`);
    if (phases.includes('reopen')) {
      const r = await measured(fc, dd);
      out.push(`reopen, unchanged: ${(sizeBytes / 1e6 / r.seconds).toFixed(0)} MB/s, mount CPU ${r.cpu.toFixed(2)} s, chunkservers sent ${(r.bytes / 1024).toFixed(0)} KiB`);
    }
  }
  if (phases.includes('tree')) {
    const sizes = treeSizes(Number(process.env.BENCH_RP_TREE_FILES ?? 200));
    const local = join(fc.work, 'tree');
    mkdirSync(local);
    sizes.forEach((n, i) => writeFileSync(join(local, `${String(i).padStart(3, '0')}-f.dat`), randomBytes(n)));
    const manifest = join(fc.work, 'tree.sha256');
    writeFileSync(manifest, run('sh', ['-c', `cd ${local} && sha256sum *`]).out);
    await fc.remount([]);
    run('cp', ['-a', local, join(fc.mnt, 'tree')]);
    run('sync', ['-f', join(fc.mnt, 'tree')]);
    dropCaches();
    const total = sizes.reduce((a, b) => a + b, 0);
    const t = await measured(fc, () => run('sh', ['-c', `cd ${join(fc.mnt, 'tree')} && sha256sum --quiet --strict -c ${manifest}`]).seconds);
    out.push(`tree read-back (${sizes.length} files, ${(total / 1e6).toFixed(1)} MB): ${(total / 1e6 / t.seconds).toFixed(1)} MB/s, mount CPU ${perGiB(t.cpu, total)} s/GiB (system ${perGiB(t.sys, total)}), chunkservers CPU ${perGiB(t.csCpu, total)} s/GiB (system ${perGiB(t.csSys, total)}), chunkservers sent ${(t.bytes / total).toFixed(2)}× the bytes`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  // the preload writes a profile at exit: a graceful stop (the cluster's stop kills)
  if (prof) await Promise.all(fc.tc.chunkservers.map((cs) => cs.stop()));
  if (process.env.BENCH_RP_LOG) writeFileSync(process.env.BENCH_RP_LOG, fc.mount.logs());
  await fc.stop();
}
process.exit(0);
