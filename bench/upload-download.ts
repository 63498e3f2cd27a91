/**
 * Benchmark: a 1 GiB random file (BENCH_SIZE), a cluster of 1 controller and 3 chunkservers with
 * REPLICATION_FACTOR=3 (every chunk on all three), on 127.0.5.1xx. Times `cp` of the file on the
 * same disk, then the CLI's upload and download, and prints MB/s, the ratio to cp and the CLI's
 * peak RSS, and two ceilings measured in the same run that no implementation on this machine can
 * pass: the disk's durable write rate divided by the replication factor (upload), and SHA-256 on
 * one core (a client verifying one stream of chunks). Not part of `npm test`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseBytes } from '../src/common/config.js';
import { binPath, repoRoot } from '../src/cluster/index.js';
import { check, measure, withBenchCluster, writeRandom, type Measured } from './measure.js';
import { requestJson } from '../src/common/http-client.js';
import type { ClusterStatus } from '../src/common/api.js';

const MB = 1_000_000;
const sizeBytes = parseBytes(process.env.BENCH_SIZE ?? '1GiB');
const timeoutMs = 30 * 60_000;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const piece of createReadStream(path)) h.update(piece as Buffer);
  return h.digest('hex');
}

/** SHA-256 throughput of one core in MB/s, over `bytes` of random data in 4 MiB pieces. */
function sha256Rate(bytes = 256 * 2 ** 20): number {
  const piece = randomBytes(4 * 2 ** 20);
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < bytes; done += piece.length) createHash('sha256').update(piece).digest();
  return bytes / MB / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Polls the controller's status until `n` chunkservers are healthy, so all three get replicas. */
async function waitForChunkservers(controllerUrl: string, n: number): Promise<void> {
  const { token } = await requestJson<{ token: string }>(`${controllerUrl}/v1/login`, { body: { user: 'bench', password: 'bench-pw' }, timeoutMs: 10_000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await requestJson<ClusterStatus>(`${controllerUrl}/v1/status`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 5_000 });
    if (status.chunkservers.filter((c) => c.healthy).length >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${status.chunkservers.filter((c) => c.healthy).length} of ${n} chunkservers healthy after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}


async function main(): Promise<void> {
  await withBenchCluster('upload', async (dir, cluster) => {
    const file = join(dir, 'bench.bin');
    process.stdout.write(`Writing ${sizeBytes} random bytes to ${file}…\n`);
    writeRandom(file, sizeBytes);
    const sha = await sha256File(file);
    const cp = check(await measure('cp', [file, join(dir, 'copy.bin')], { timeoutMs }), 'cp');
    rmSync(join(dir, 'copy.bin'));
    // RedCloud fsyncs every chunk before acknowledging it (and the download before renaming it),
    // so the like-for-like baseline is a copy that is on the disk when it returns.
    const cpSync = check(await measure('sh', ['-c', 'cp "$0" "$1" && sync "$1"', file, join(dir, 'copy.bin')], { timeoutMs }), 'cp+sync');
    rmSync(join(dir, 'copy.bin'));

    const peers = ['127.0.5.111:8000'];
    await cluster.controller({ id: 'bench-ctl', addr: '127.0.5.111', port: 8000, dataDir: join(dir, 'ctl'), logFile: join(dir, 'logs', 'ctl.log'),
      logLevel: 'warn', env: { REPLICATION_FACTOR: '3', HEARTBEAT_TIMEOUT: '5s' } });
    for (let i = 0; i < 3; i++) {
      await cluster.chunkserver({ id: `bench-cs${i + 1}`, addr: `127.0.5.${121 + i}`, port: 9000, dataDir: join(dir, `cs${i + 1}`),
        logFile: join(dir, 'logs', `cs${i + 1}.log`), peers, logLevel: 'warn', env: { HEARTBEAT_INTERVAL: '500ms', MIN_FREE_BYTES: '0' } });
    }
    const env = { ...process.env, REDCLOUD_CONFIG_DIR: join(dir, 'cli'), REDCLOUD_CONTROLLERS: 'http://127.0.5.111:8000' };
    const cli = (args: string[]) => measure(process.execPath, [binPath('cli'), ...args], { env, cwd: repoRoot(), timeoutMs });
    check(await cli(['register', 'bench', '--password', 'bench-pw']), 'register');
    check(await cli(['login', 'bench', 'bench-pw']), 'login');
    await waitForChunkservers('http://127.0.5.111:8000', 3);
    const up = check(await cli(['upload', file, '--to', '/bench.bin']), 'upload');
    mkdirSync(join(dir, 'down'), { recursive: true });
    const down = check(await cli(['download', '/bench.bin', join(dir, 'down', 'bench.bin')]), 'download');
    const same = (await sha256File(join(dir, 'down', 'bench.bin'))) === sha;

    const rate = (m: Measured) => sizeBytes / MB / (m.durationMs / 1000);
    const replicas = 3;
    const uploadCeiling = rate(cpSync) / replicas;
    const hashCeiling = sha256Rate();
    const row = (name: string, m: Measured, target = '') =>
      `| ${name.padEnd(9)} | ${(m.durationMs / 1000).toFixed(2).padStart(8)} | ${rate(m).toFixed(1).padStart(8)} | ${(rate(m) / rate(cp)).toFixed(2).padStart(6)} | ${(rate(m) / rate(cpSync)).toFixed(2).padStart(12)} | ${target.padEnd(6)} | ${(m.peakRssBytes / 2 ** 20).toFixed(0).padStart(12)} |`;
    process.stdout.write([
      '',
      `File: ${(sizeBytes / 2 ** 20).toFixed(0)} MiB, 3 chunkservers on one disk, REPLICATION_FACTOR=3 (each byte is written and fsynced 3 times); download identical: ${same ? 'yes' : 'NO'}`,
      '| step      | seconds  | MB/s     | vs cp  | vs cp+sync   | target | peak RSS MiB |',
      '|-----------|----------|----------|--------|--------------|--------|--------------|',
      row('cp', cp),
      row('cp+sync', cpSync),
      row('upload', up, '≥ 0.3'),
      row('download', down, '≥ 0.5'),
      '',
      'Ceilings measured in this run (no overhead counted but the one named):',
      `  upload   ≤ cp+sync / ${replicas} = ${uploadCeiling.toFixed(0)} MB/s (${(uploadCeiling / rate(cp)).toFixed(2)} of cp): every byte is written and fsynced ${replicas} times on this one disk`,
      `  download ≤ SHA-256 on one core = ${hashCeiling.toFixed(0)} MB/s (${(hashCeiling / rate(cp)).toFixed(2)} of cp) for a client verifying one stream of chunks`,
      '',
    ].join('\n'));
    if (!same) process.exitCode = 1;
  });
}

await main();
