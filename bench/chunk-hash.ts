/**
 * The chunk hash, measured in the real paths: for each chunk format (CHUNK_FORMAT of the mount:
 * sha256 = whole-chunk SHA-256 as before block hashes, s256-64k = SHA-256 per 64 KiB block,
 * b3-64k = BLAKE3 per 64 KiB block) a fresh cluster of 1 controller and 3 chunkservers with
 * REPLICATION_FACTOR=3 and a real mount: a sequential write of BENCH_HASH_SIZE (default 512MiB)
 * with fsync, then the CPU seconds per GiB written of the mount, each chunkserver (receive, verify,
 * write) and the controller; the scrubber's CPU seconds per GiB (every chunk of one chunkserver
 * re-verified by the store's verify, in this process, after the cluster stopped); and random
 * 4 KiB reads after a remount with --disk-cache-size 0, so chunkservers serve every read (IOPS and
 * the bytes the chunkservers sent per read). Not part of `npm test`; needs root for drop_caches.
 * BENCH_HASH_NET (default 127.0.19) is the /24 of the cluster; BENCH_HASH_FORMATS picks formats.
 * Run it on an older build (it then ignores CHUNK_FORMAT) for the "before" figures.
 *
 * 2026-12-01, 2 cores shared with other suites (load 5–14, so CPU figures are noisy; see
 * bench/chunk-hash-paths.ts for the steadier in-process ones), 512 MiB, random 4 KiB reads with
 * --disk-cache-size 0: before block hashes (previous build) 16 IOPS, 2,376 KiB sent per read;
 * b3-64k 118 IOPS, 389 KiB per read (the kernel's read-ahead asks for more than the 4 KiB; a
 * read within a chunk of the last one is taken as sequential and fetched whole); s256-64k 102
 * IOPS. CPU s/GiB written (mount / 3 chunkservers / controller): previous build 12.1 / 10.0 10.1
 * 9.2 / 3.8; b3-64k 10.7 / 9.3 9.2 10.1 / 3.1; s256-64k 10.5 / 8.2 8.4 8.4 / 2.9. Scrub CPU
 * s/GiB: previous 4.7, b3-64k 3.6, s256-64k 3.6.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseBytes } from '../src/common/config.js';
import { silentLogger } from '../src/common/logger.js';
import { createDiskStore } from '../src/chunkserver/disk-store.js';
import { metricValue, startFuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { cpuSeconds, dropCaches, randomReadSeconds, runTimed as run } from './measure.js';

const GiB = 1024 ** 3;
const sizeBytes = parseBytes(process.env.BENCH_HASH_SIZE ?? '512MiB');
const net = process.env.BENCH_HASH_NET ?? '127.0.19';
const reads = Number(process.env.BENCH_HASH_READS ?? 400);
const formats = (process.env.BENCH_HASH_FORMATS ?? 'sha256,s256-64k,b3-64k').split(',').filter(Boolean);

/** CPU seconds of the store's verify (the scrubber's check) over every chunk of a data dir, per GiB. */
async function scrubCpuPerGiB(dataDir: string): Promise<number> {
  const store = createDiskStore({ dataDir, quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
  await store.open();
  dropCaches();
  const before = process.cpuUsage();
  let bytes = 0;
  for (const id of store.list()) {
    if (!(await store.verify(id))) throw new Error(`chunk ${id} failed verify`);
    bytes += store.sizeOf(id) ?? 0;
  }
  const used = process.cpuUsage(before);
  await store.close();
  return (used.user + used.system) / 1e6 / (bytes / GiB);
}

async function servedBytes(urls: string[]): Promise<number> {
  let sum = 0;
  for (const u of urls) sum += metricValue(await (await fetch(`${u}/metrics`)).text(), 'redcloud_chunkserver_bytes_out_total');
  return sum;
}

async function one(format: string): Promise<string> {
  const fc = await startFuseCluster({
    label: `bench-hash-${format}`, net, controllers: 1, chunkservers: 3,
    controllerEnv: { REPLICATION_FACTOR: '3', WRITE_QUORUM: '3' }, mountEnv: { CHUNK_FORMAT: format },
  });
  let csDir = '';
  try {
    const src = join(fc.work, 'src.bin');
    run('dd', ['if=/dev/urandom', `of=${src}`, 'bs=1M', `count=${Math.ceil(sizeBytes / 2 ** 20)}`, 'iflag=fullblock', 'status=none']);
    dropCaches();
    const pids = [fc.mount.proc.pid!, ...fc.tc.chunkservers.map((n) => n.pid!), fc.tc.controllers[0]!.pid!];
    const before = pids.map(cpuSeconds);
    const w = run('dd', [`if=${src}`, `of=${join(fc.mnt, 'seq.bin')}`, 'bs=1M', 'conv=fsync', 'status=none']);
    const perGiB = pids.map((p, i) => (cpuSeconds(p) - before[i]!) / (sizeBytes / GiB));
    await fc.remount(['--disk-cache-size', '0']);
    dropCaches();
    const urls = fc.tc.chunkservers.map((n) => `http://${n.spec.addr}:${n.spec.port}`);
    const servedBefore = await servedBytes(urls);
    const rs = randomReadSeconds(join(fc.mnt, 'seq.bin'), reads);
    const perRead = ((await servedBytes(urls)) - servedBefore) / reads;
    csDir = fc.tc.chunkservers[0]!.spec.dataDir;
    const files = readdirSync(join(csDir, 'chunks'), { recursive: true }).length;
    const cs = perGiB.slice(1, 4).map((v) => v.toFixed(2)).join(' ');
    return `${format.padEnd(9)} write ${(sizeBytes / 1e6 / w.seconds).toFixed(0).padStart(4)} MB/s  CPU s/GiB: mount ${perGiB[0]!.toFixed(2)}  chunkservers ${cs}  controller ${perGiB[4]!.toFixed(2)}  total ${perGiB.reduce((a, b) => a + b, 0).toFixed(2)}` +
      `  | random 4 KiB, no disk cache: ${(reads / rs).toFixed(0)} IOPS, ${(perRead / 1024).toFixed(0)} KiB served/read | ${files} files on cs1` +
      `  | scrub CPU s/GiB ${(await scrubAfterStop(fc, csDir)).toFixed(2)}`;
  } finally {
    await fc.stop().catch(() => undefined);
  }
}

/** Stops the cluster's chunkservers (the data dir stays) and measures the scrubber's verify over cs1. */
async function scrubAfterStop(fc: Awaited<ReturnType<typeof startFuseCluster>>, dataDir: string): Promise<number> {
  for (const cs of fc.tc.chunkservers) await cs.stop();
  return scrubCpuPerGiB(dataDir);
}

process.stdout.write(`chunk hash bench: ${sizeBytes} bytes written through the mount, RF 3, ${reads} random reads; formats ${formats.join(', ')}\n`);
for (const f of formats) process.stdout.write(`${await one(f)}\n`);
process.exit(0);
