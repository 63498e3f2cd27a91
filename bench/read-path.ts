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
 *    bytes the chunkservers sent, mount CPU.
 * BENCH_RP_PROF=DIR writes a CPU profile of the mount (node --cpu-prof) per phase into DIR.
 * Not part of `npm test`; needs root (drop_caches).
 */
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseBytes } from '../src/common/config.js';
import { metricValue, startFuseCluster, type FuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { cpuSeconds, dropCaches, randomReadSeconds, runTimed as run } from './measure.js';

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

/** Runs `body` and returns the chunkserver bytes sent and the mount's CPU seconds during it. */
async function measured(fc: FuseCluster, body: () => number): Promise<{ bytes: number; cpu: number; seconds: number }> {
  const b0 = await served(fc);
  const c0 = cpuSeconds(fc.mount.proc.pid!);
  const seconds = body();
  const cpu = cpuSeconds(fc.mount.proc.pid!) - c0;
  return { bytes: (await served(fc)) - b0, cpu, seconds };
}

const fc = await startFuseCluster({
  label: 'bench-read-path', net, controllers: 1, chunkservers: 3,
  controllerEnv: { REPLICATION_FACTOR: '3', WRITE_QUORUM: '3' },
  mountEnv: prof ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${prof}` } : {},
});
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
    await fc.remount(['--disk-cache-size', '0', '--cache-size', '32MiB']);
    dropCaches();
    const dd = (): number => run('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', 'status=none']).seconds;
    const s = await measured(fc, dd);
    out.push(`sequential cold: ${(sizeBytes / 1e6 / s.seconds).toFixed(0)} MB/s, mount CPU ${(s.cpu / (sizeBytes / GiB)).toFixed(2)} s/GiB, chunkservers sent ${(s.bytes / sizeBytes).toFixed(2)}× the file`);
    if (phases.includes('reopen')) {
      const r = await measured(fc, dd);
      out.push(`reopen, unchanged: ${(sizeBytes / 1e6 / r.seconds).toFixed(0)} MB/s, mount CPU ${r.cpu.toFixed(2)} s, chunkservers sent ${(r.bytes / 1024).toFixed(0)} KiB`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  if (process.env.BENCH_RP_LOG) writeFileSync(process.env.BENCH_RP_LOG, fc.mount.logs());
  await fc.stop();
}
process.exit(0);
