/**
 * Benchmark of how soon any controller serves (issue 13), on 127.0.19.x: 3 controllers and 3
 * chunkservers with the default intervals (HEARTBEAT_INTERVAL 5 s, GOSSIP_INTERVAL 1 s), timed
 * in-process with the client library (no CLI start-up in the figures):
 * - restart → first accepted write: controller 1 is killed with SIGKILL and started again; from
 *   the spawn, a 64 KiB upload through it alone is retried every 10 ms until acknowledged (the
 *   time to its /health is printed beside it). BENCH_RESTARTS rounds (default 5).
 * - commit on A → readable through B: BENCH_WRITES (default 100) uploads of 64 KiB through
 *   controller 1; after each acknowledgement, controller 2's read plan is fetched and its chunks
 *   read and hash-checked, retried every 2 ms until the bytes are right; p50/p99/max.
 * Not part of `npm test`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createClient, type RedCloudClientHandle } from '../src/client/client.js';
import { requestJson } from '../src/common/http-client.js';
import type { ClusterStatus } from '../src/common/api.js';
import { withBenchCluster } from './measure.js';

const NET = '127.0.19';
const URLS = [11, 12, 13].map((i) => `http://${NET}.${i}:8000`);
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 5);
const WRITES = Number(process.env.BENCH_WRITES ?? 100);
const SIZE = 64 * 1024;
const LIMIT_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function client(url: string, token: string): RedCloudClientHandle {
  return createClient({ controllers: [url], token, chunkSizeBytes: 4 * 1024 * 1024, concurrency: 4, requestTimeoutMs: 30_000, controllerBackoffMs: 10 });
}

/** Retries `fn` every `everyMs` until it resolves; the ms from `startMs` to then. */
async function until(what: string, fn: () => Promise<unknown>, startMs: number, everyMs: number): Promise<number> {
  for (;;) {
    try {
      await fn();
      return performance.now() - startMs;
    } catch (err) {
      if (performance.now() - startMs > LIMIT_MS) throw new Error(`${what}: not within ${LIMIT_MS} ms: ${(err as Error).message}`);
      await sleep(everyMs);
    }
  }
}

async function readable(c: RedCloudClientHandle, path: string, want: string): Promise<void> {
  const plan = await c.readPlan(path);
  const parts = await Promise.all(plan.chunks.map((ch) => c.fetchChunk(ch)));
  if (sha(Buffer.concat(parts)) !== want) throw new Error('old bytes');
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (v: number): string => `${v.toFixed(1)} ms`;

async function main(): Promise<void> {
  await withBenchCluster('availability', async (dir, cluster) => {
    const peers = URLS.map((u) => new URL(u).host);
    for (let i = 0; i < 3; i++) {
      await cluster.controller({ id: `abench-ctl${i + 1}`, addr: `${NET}.${11 + i}`, port: 8000, dataDir: join(dir, `ctl${i + 1}`),
        logFile: join(dir, 'logs', `ctl${i + 1}.log`), peers: peers.filter((_, j) => j !== i), logLevel: 'warn' });
    }
    for (let i = 0; i < 3; i++) {
      await cluster.chunkserver({ id: `abench-cs${i + 1}`, addr: `${NET}.${21 + i}`, port: 9000, dataDir: join(dir, `cs${i + 1}`),
        logFile: join(dir, 'logs', `cs${i + 1}.log`), peers, logLevel: 'warn', env: { MIN_FREE_BYTES: '0' } });
    }
    await requestJson(`${URLS[0]}/v1/register`, { method: 'POST', body: { user: 'bench', password: 'bench-pw' }, timeoutMs: 10_000 });
    const login = async (url: string) => (await requestJson<{ token: string }>(`${url}/v1/login`, { method: 'POST', body: { user: 'bench', password: 'bench-pw' }, timeoutMs: 10_000 })).token;
    const token = await login(URLS[0]!);
    await until('3 healthy chunkservers', async () => {
      const s = await requestJson<ClusterStatus>(`${URLS[0]}/v1/status`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 5000 });
      if (s.chunkservers.filter((c) => c.healthy).length < 3) throw new Error('not yet');
    }, performance.now(), 50);
    await until('the user on every controller', () => Promise.all(URLS.map(login)), performance.now(), 50);

    const restart: { health: number; write: number }[] = [];
    const ctl = cluster.controllers[0]!;
    for (let r = 0; r < RESTARTS; r++) {
      await ctl.kill('SIGKILL');
      const c = client(URLS[0]!, token);
      const data = randomBytes(SIZE);
      const t0 = performance.now();
      ctl.start();
      let health = 0;
      void ctl.waitHealthy({ timeoutMs: LIMIT_MS }).then(() => { health = performance.now() - t0; }, () => undefined);
      const write = await until('first write after restart', () => c.uploadStream(Readable.from([data]), `/restart-${r}.bin`), t0, 10);
      await ctl.waitHealthy({ timeoutMs: LIMIT_MS });
      restart.push({ health, write });
      process.stdout.write(`restart ${r + 1}: /health after ${ms(health)}, first accepted write after ${ms(write)} (${ms(write - health)} after /health)\n`);
    }

    const a = client(URLS[0]!, token);
    const b = client(URLS[1]!, token);
    const lat: number[] = [];
    for (let w = 0; w < WRITES; w++) {
      const data = randomBytes(SIZE);
      const path = `/w/${w}.bin`;
      await a.uploadStream(Readable.from([data]), path);
      lat.push(await until('readable through B', () => readable(b, path, sha(data)), performance.now(), 2));
    }
    lat.sort((x, y) => x - y);
    const writes = restart.map((x) => x.write).sort((x, y) => x - y);
    process.stdout.write([
      '',
      `Availability (3 controllers, 3 chunkservers, HEARTBEAT_INTERVAL 5 s, GOSSIP_INTERVAL 1 s, ${SIZE / 1024} KiB files)`,
      `controller restart → first accepted write: median ${ms(pct(writes, 50))}, max ${ms(writes[writes.length - 1]!)} over ${RESTARTS} restarts` +
        ` (process start → /health median ${ms(pct(restart.map((x) => x.health).sort((x, y) => x - y), 50))};` +
        ` /health → first accepted write median ${ms(pct(restart.map((x) => x.write - x.health).sort((x, y) => x - y), 50))})`,
      `commit on A → readable through B: p50 ${ms(pct(lat, 50))}, p99 ${ms(pct(lat, 99))}, max ${ms(lat[lat.length - 1]!)} over ${WRITES} writes`,
      '',
    ].join('\n'));
  });
}

await main();
