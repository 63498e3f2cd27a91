/**
 * Benchmark of repair throughput: a 1 GiB random file (BENCH_SIZE) uploaded to a cluster of
 * 1 controller and 2 chunkservers (REPLICATION_FACTOR=all) on 127.0.16.x, then a 3rd, empty
 * chunkserver joins; times until its chunk directory holds every chunk of the file and prints
 * MB/s (from its start, and from its registration as healthy). Not part of `npm test`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterStatus } from '../src/common/api.js';
import { parseBytes } from '../src/common/config.js';
import { requestJson } from '../src/common/http-client.js';
import { binPath, repoRoot } from '../src/cluster/index.js';
import { check, measure, withBenchCluster, writeRandom } from './measure.js';

const MB = 1_000_000;
const CHUNK_BYTES = 4 * 1024 * 1024;
const sizeBytes = parseBytes(process.env.BENCH_SIZE ?? '1GiB');
const timeoutMs = 30 * 60_000;
const NET = '127.0.16';
const CTL = `http://${NET}.11:8000`;


/** Distinct chunk ids of a file cut in CHUNK_BYTES pieces (the client's default chunk size). */
async function chunkIds(path: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const piece of createReadStream(path, { highWaterMark: CHUNK_BYTES })) ids.add(createHash('sha256').update(piece as Buffer).digest('hex'));
  return ids;
}

function chunksOnDisk(chunksDir: string): Set<string> {
  const out = new Set<string>();
  let subs: string[] = [];
  try {
    subs = readdirSync(chunksDir);
  } catch {
    return out;
  }
  for (const sub of subs) {
    try {
      for (const name of readdirSync(join(chunksDir, sub))) if (/^[0-9a-f]{64}$/.test(name)) out.add(name);
    } catch {
      /* not a directory */
    }
  }
  return out;
}

async function healthy(token: string, id: string): Promise<boolean> {
  const s = await requestJson<ClusterStatus>(`${CTL}/v1/status`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 5_000 });
  return s.chunkservers.some((c) => c.id === id && c.healthy);
}

async function poll(what: string, probe: () => Promise<boolean> | boolean, limitMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}


async function main(): Promise<void> {
  await withBenchCluster('repair', async (dir, cluster) => {
    const file = join(dir, 'bench.bin');
    process.stdout.write(`Writing ${sizeBytes} random bytes to ${file}…\n`);
    writeRandom(file, sizeBytes);
    const wanted = await chunkIds(file);
    const peers = [`${NET}.11:8000`];
    await cluster.controller({ id: 'rbench-ctl', addr: `${NET}.11`, port: 8000, dataDir: join(dir, 'ctl'), logFile: join(dir, 'logs', 'ctl.log'),
      logLevel: 'info', env: { HEARTBEAT_TIMEOUT: '5s', REPAIR_INTERVAL: '2s' } });
    const csEnv = { HEARTBEAT_INTERVAL: '500ms', MIN_FREE_BYTES: '0' };
    const chunkserver = (i: number) => cluster.chunkserver({ id: `rbench-cs${i}`, addr: `${NET}.${20 + i}`, port: 9000, dataDir: join(dir, `cs${i}`),
      logFile: join(dir, 'logs', `cs${i}.log`), peers, logLevel: 'warn', env: csEnv });
    await chunkserver(1);
    await chunkserver(2);
    const env = { ...process.env, REDCLOUD_CONFIG_DIR: join(dir, 'cli'), REDCLOUD_CONTROLLERS: CTL };
    const cli = (args: string[]) => measure(process.execPath, [binPath('cli'), ...args], { env, cwd: repoRoot(), timeoutMs });
    check(await cli(['register', 'bench', '--password', 'bench-pw']), 'register');
    const { token } = await requestJson<{ token: string }>(`${CTL}/v1/login`, { body: { user: 'bench', password: 'bench-pw' }, timeoutMs: 10_000 });
    await poll('2 healthy chunkservers', async () => (await healthy(token, 'rbench-cs1')) && (await healthy(token, 'rbench-cs2')), 30_000);
    check(await cli(['login', 'bench', 'bench-pw']), 'login');
    const up = check(await cli(['upload', file, '--to', '/bench.bin']), 'upload');
    await poll('the file on both chunkservers', () => [1, 2].every((i) => chunksOnDisk(join(dir, `cs${i}`, 'chunks')).size >= wanted.size), 60_000);

    const started = performance.now();
    await chunkserver(3);
    await poll('cs3 healthy', () => healthy(token, 'rbench-cs3'), 30_000, 20);
    const registered = performance.now();
    const dir3 = join(dir, 'cs3', 'chunks');
    await poll('cs3 holding every chunk', () => [...wanted].every((id) => chunksOnDisk(dir3).has(id)), timeoutMs, 100);
    const done = performance.now();
    const secs = (done - started) / 1000;
    const secsAfter = (done - registered) / 1000;
    process.stdout.write([
      '',
      `Repair: ${(sizeBytes / 2 ** 20).toFixed(0)} MiB (${wanted.size} chunks) copied to a fresh 3rd chunkserver (REPLICATION_FACTOR=all, REPAIR_INTERVAL=2s, REPLICATION_INFLIGHT_MAX=4)`,
      `upload to 2 chunkservers: ${(up.durationMs / 1000).toFixed(2)} s (${(sizeBytes / MB / (up.durationMs / 1000)).toFixed(1)} MB/s)`,
      `repair from start of the new server: ${secs.toFixed(2)} s → ${(sizeBytes / MB / secs).toFixed(1)} MB/s`,
      `repair from its registration:        ${secsAfter.toFixed(2)} s → ${(sizeBytes / MB / secsAfter).toFixed(1)} MB/s`,
      '',
    ].join('\n'));
  });
}

await main();
