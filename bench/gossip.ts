/**
 * Benchmark of controller gossip (never in `npm test`): 3 controllers on 127.0.19.11-13 with the
 * default GOSSIP_INTERVAL/ANTI_ENTROPY_INTERVAL. Measures
 *  1. how long a write takes to become visible on every controller: BENCH_GOSSIP_WRITES (1,000)
 *     mkdirs spread over the three controllers over HTTP, the two others' stat polled in tight
 *     loops from the write's acknowledgement; p50/p99/max;
 *  2. gossip bytes per second per controller from /metrics (redcloud_gossip_bytes_sent_total),
 *     idle and under 100 writes/s, each over BENCH_GOSSIP_WINDOW (20 s).
 * Targets: p99 < 1 s; idle < 2 KB/s per controller.
 */
import { join } from 'node:path';
import type { EntryInfo } from '../src/common/api.js';
import { parseDurationMs } from '../src/common/config.js';
import { RedCloudError } from '../src/common/errors.js';
import { request, requestJson } from '../src/common/http-client.js';
import { withBenchCluster } from './measure.js';

const NET = '127.0.19';
const WRITES = Number(process.env.BENCH_GOSSIP_WRITES ?? 1000);
const WINDOW_MS = parseDurationMs(process.env.BENCH_GOSSIP_WINDOW ?? '20s');
const LOAD_PER_S = 100;
const VISIBLE_TIMEOUT_MS = 10_000;
const urls = [0, 1, 2].map((i) => `http://${NET}.${11 + i}:8000`);

type Auth = Record<string, string>;

async function stat(url: string, path: string, auth: Auth): Promise<boolean> {
  try {
    await requestJson<EntryInfo>(`${url}/v1/fs/stat?path=${encodeURIComponent(path)}`, { headers: auth, timeoutMs: 5_000 });
    return true;
  } catch (err) {
    if (err instanceof RedCloudError && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

/** Polls `path` on `url` until it exists; resolves with the time (hrtime ms) it was first seen. */
async function seenAt(url: string, path: string, auth: Auth): Promise<number> {
  const deadline = Date.now() + VISIBLE_TIMEOUT_MS;
  for (;;) {
    if (await stat(url, path, auth)) return performance.now();
    if (Date.now() > deadline) throw new Error(`${path} not visible on ${url} after ${VISIBLE_TIMEOUT_MS} ms`);
  }
}

const mkdir = (url: string, path: string, auth: Auth) =>
  requestJson<EntryInfo>(`${url}/v1/fs/mkdir`, { method: 'POST', body: { path }, headers: auth, timeoutMs: 10_000 });

async function metric(url: string, name: string): Promise<number> {
  const text = await (await request(`${url}/metrics`, { timeoutMs: 5_000 })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (!line) throw new Error(`${name} missing from ${url}/metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

const bytesSent = () => Promise.all(urls.map((u) => metric(u, 'redcloud_gossip_bytes_sent_total')));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function visibility(auth: Auth): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const writer = i % 3;
    const path = `/vis-${i}`;
    await mkdir(urls[writer]!, path, auth);
    const acked = performance.now();
    const seen = await Promise.all(urls.filter((_, j) => j !== writer).map((u) => seenAt(u, path, auth)));
    out.push(Math.max(...seen) - acked);
  }
  return out.sort((a, b) => a - b);
}

/** Bytes/s of gossip per controller over the window while `load` runs (or idle). */
async function rateOver(load?: (stopAt: number) => Promise<number>): Promise<{ perController: number[]; writes: number }> {
  const before = await bytesSent();
  const t0 = Date.now();
  const writes = load ? await load(t0 + WINDOW_MS) : (await new Promise((r) => setTimeout(r, WINDOW_MS)), 0);
  const after = await bytesSent();
  const seconds = (Date.now() - t0) / 1000;
  return { perController: after.map((b, i) => (b - before[i]!) / seconds), writes };
}

/** LOAD_PER_S mkdirs per second, round-robin over the controllers, until `stopAt`. */
function writeLoad(auth: Auth): (stopAt: number) => Promise<number> {
  return async (stopAt) => {
    let n = 0;
    const inflight = new Set<Promise<unknown>>();
    const start = Date.now();
    while (Date.now() < stopAt) {
      const due = Math.floor(((Date.now() - start) / 1000) * LOAD_PER_S);
      while (n < due) {
        const p = mkdir(urls[n % 3]!, `/load-${n}`, auth).finally(() => inflight.delete(p));
        inflight.add(p);
        n++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inflight);
    return n;
  };
}

async function main(): Promise<void> {
  await withBenchCluster('gossip', async (dir, cluster) => {
    const hosts = urls.map((u) => new URL(u).host);
    for (let i = 0; i < 3; i++) {
      await cluster.controller({
        id: `gossip-ctl${i + 1}`, addr: `${NET}.${11 + i}`, port: 8000, dataDir: join(dir, `ctl${i + 1}`),
        logFile: join(dir, 'logs', `ctl${i + 1}.log`), logLevel: 'warn', peers: hosts.filter((_, j) => j !== i),
      });
    }
    await requestJson(`${urls[0]}/v1/register`, { body: { user: 'bench', password: 'bench-pw' }, timeoutMs: 10_000 });
    const tokens: string[] = [];
    for (const u of urls) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          tokens.push((await requestJson<{ token: string }>(`${u}/v1/login`, { body: { user: 'bench', password: 'bench-pw' }, timeoutMs: 5_000 })).token);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    const auth = { authorization: `Bearer ${tokens[0]}` };

    process.stdout.write(`Visibility of ${WRITES} writes on every controller…\n`);
    const t0 = Date.now();
    const vis = await visibility(auth);
    const visSeconds = (Date.now() - t0) / 1000;
    process.stdout.write(`  p50 ${percentile(vis, 50).toFixed(1)} ms, p99 ${percentile(vis, 99).toFixed(1)} ms (${visSeconds.toFixed(1)} s)\n`);
    process.stdout.write(`Idle gossip over ${WINDOW_MS / 1000} s…\n`);
    const idle = await rateOver();
    process.stdout.write(`Gossip under ${LOAD_PER_S} writes/s over ${WINDOW_MS / 1000} s…\n`);
    const loaded = await rateOver(writeLoad(auth));

    const kb = (b: number) => (b / 1000).toFixed(2);
    const p99 = percentile(vis, 99);
    const idleMax = Math.max(...idle.perController);
    process.stdout.write([
      '',
      `3 controllers (${NET}.11-13), default GOSSIP_INTERVAL/ANTI_ENTROPY_INTERVAL`,
      `Write → visible on every controller, ${vis.length} writes in ${visSeconds.toFixed(1)} s:`,
      `  p50 ${percentile(vis, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${vis[vis.length - 1]!.toFixed(1)} ms (target p99 < 1000 ms: ${p99 < 1000 ? 'met' : 'MISSED'})`,
      `Gossip bytes sent per controller (requests + answers, JSON):`,
      `  idle:             ${idle.perController.map(kb).join(' / ')} KB/s (target < 2 KB/s: ${idleMax < 2000 ? 'met' : 'MISSED'})`,
      `  ${LOAD_PER_S} writes/s:     ${loaded.perController.map(kb).join(' / ')} KB/s (${loaded.writes} writes)`,
      '',
    ].join('\n'));
    if (p99 >= 1000 || idleMax >= 2000) process.exitCode = 1;
  });
}

await main();
