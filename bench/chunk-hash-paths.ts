/**
 * The chunk formats' CPU cost in the code paths that hash, in one process and without a cluster
 * (so a loaded machine disturbs it less than bench/chunk-hash.ts): the client naming chunks
 * (chunkIdOf), a chunkserver's PUT (the disk store's put: hash while streaming 64 KiB pieces,
 * write, fsync, block list) and the scrubber's check (the store's verify). CPU seconds per GiB,
 * best of BENCH_PATHS_ROUNDS (3) rounds over BENCH_PATHS_SIZE (256MiB) of 4 MiB chunks.
 *
 * 2026-12-01, this 2-core machine (load 5–6 from other suites), best of 5, CPU s/GiB
 * (client id / chunkserver PUT / scrub verify): sha256 0.75 / 2.20 / 1.21, s256-64k
 * 0.82 / 2.32 / 1.36, b3-64k 0.42 / 1.70 / 1.09. Blocks with SHA-256 cost a little more than
 * whole SHA-256 (per-block calls); BLAKE3 blocks cost less in every path, so b3-64k is the default:
 * at RF 3 a GiB written costs ~1.8 CPU-seconds less (client + three PUTs) and every range read
 * is verified by its 64 KiB blocks alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { chunkIdOf, type ChunkFormat } from '../src/common/chunk-format.js';
import { parseBytes } from '../src/common/config.js';
import { silentLogger } from '../src/common/logger.js';
import { createDiskStore } from '../src/chunkserver/disk-store.js';

const GiB = 1024 ** 3;
const CHUNK = 4 * 1024 * 1024;
const total = parseBytes(process.env.BENCH_PATHS_SIZE ?? '256MiB');
const rounds = Number(process.env.BENCH_PATHS_ROUNDS ?? 3);
const formats: ChunkFormat[] = ['sha256', 's256-64k', 'b3-64k'];
const chunks = Array.from({ length: Math.ceil(total / CHUNK) }, () => randomBytes(CHUNK));

function cpu<T>(fn: () => T): { s: number; out: T } {
  const before = process.cpuUsage();
  const out = fn();
  const u = process.cpuUsage(before);
  return { s: (u.user + u.system) / 1e6, out };
}
async function cpuAsync(fn: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const u = process.cpuUsage(before);
  return (u.user + u.system) / 1e6;
}
const pieces = (b: Buffer) => Readable.from(Array.from({ length: b.length / 65536 }, (_, i) => b.subarray(i * 65536, (i + 1) * 65536)));

const best: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const f of formats) {
    const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'redcloud-hash-paths-'));
    try {
      const { s: client, out: ids } = cpu(() => chunks.map((c) => chunkIdOf(f, c)));
      const store = createDiskStore({ dataDir: dir, quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
      await store.open();
      const put = await cpuAsync(async () => {
        for (const [i, c] of chunks.entries()) await store.put(ids[i]!, pieces(c), { format: f, expectedSizeBytes: c.length });
      });
      const scrub = await cpuAsync(async () => {
        for (const id of ids) if (!(await store.verify(id))) throw new Error('verify failed');
      });
      const per = [client, put, scrub].map((s) => s / (chunks.length * CHUNK / GiB));
      best[f] = best[f] ? best[f]!.map((v, i) => Math.min(v, per[i]!)) : per;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
process.stdout.write(`CPU seconds per GiB (best of ${rounds}, ${chunks.length} chunks of 4 MiB): client id / chunkserver PUT (hash+write+fsync) / scrub verify\n`);
for (const f of formats) process.stdout.write(`${f.padEnd(9)} ${best[f]!.map((v) => v.toFixed(2).padStart(6)).join(' / ')}\n`);
