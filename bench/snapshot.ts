/**
 * Benchmark of snapshots (never in `npm test`): one in-process controller on its SQLite store (the
 * daemon's, WAL, fsync as configured) holding BENCH_SNAPSHOT_ENTRIES (10,000) entries — 100
 * directories of files of one chunk each — and the time of `snapshot create` of the whole tree,
 * then `diff` against the live tree, `restore --to` and `rm`, each in entries per second. Every
 * step is one record per entry (plus one inode per file), written in bulk transactions: no chunk
 * is read or copied, so the figures do not depend on the files' sizes. Each line gives the wall
 * time and the process's CPU seconds (steadier on a shared machine).
 *   node dist/bench/snapshot.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controllerSchema, loadConfig } from '../src/common/config.js';
import { silentLogger } from '../src/common/logger.js';
import { issueReceipt } from '../src/common/tokens.js';
import { createController } from '../src/controller/server.js';
import { createSnapshots } from '../src/controller/snapshots.js';

const ENTRIES = Number(process.env.BENCH_SNAPSHOT_ENTRIES ?? 10_000);
const PER_DIR = 100;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'redcloud-bench-snapshot-'));
  const config = loadConfig(controllerSchema, { CLUSTER_SECRET: 'bench-secret-bench-secret', DATA_DIR: dir, BIND_ADDR: '127.0.48.1', PORT: '0' });
  const c = createController({ config, logger: silentLogger(), nodeId: 'bench', dbPath: join(dir, 'controller-bench', 'redcloud.db') });
  try {
    await c.app.ready();
    const user = 'bench';
    c.namespace.ensureRoot(user);
    const dirs = Math.ceil(ENTRIES / (PER_DIR + 1));
    let t0 = performance.now();
    let made = 0;
    for (let d = 0; d < dirs && made < ENTRIES; d++) {
      c.namespace.mkdir(user, `/tree/d${d}`, { parents: true });
      made++;
      for (let f = 0; f < PER_DIR && made < ENTRIES; f++, made++) {
        const id = (d * PER_DIR + f).toString(16).padStart(64, '0');
        c.namespace.commit(user, { path: `/tree/d${d}/f${f}`, size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [issueReceipt(c.signer, id, 'cs1', 10)] } });
      }
    }
    const populateMs = performance.now() - t0;
    const snaps = createSnapshots({ store: c.store, logger: silentLogger(), now: Date.now });
    const timed = async (what: string, fn: () => number | Promise<number>): Promise<void> => {
      t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const n = await fn();
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      // CPU seconds of this process too: on a shared machine they vary less than the wall clock
      process.stdout.write(`${what.padEnd(18)} ${n} entries in ${ms.toFixed(0)} ms: ${Math.round((n / ms) * 1000)} entries/s; `
        + `${cpuS.toFixed(2)} CPU s, ${Math.round(n / cpuS)} entries per CPU s\n`);
    };
    process.stdout.write(`populated          ${made} entries in ${populateMs.toFixed(0)} ms (namespace writes, for comparison)\n`);
    await timed('snapshot create', async () => (await snaps.create(user, '/tree', 'bench')).entries);
    c.namespace.remove(user, '/tree/d0/f0');
    await timed('snapshot diff', () => { snaps.diff(user, 'bench'); return made; });
    await timed('snapshot restore', async () => { await snaps.restore(user, 'bench', '/restored'); return made; });
    await timed('snapshot rm', () => snaps.remove(user, 'bench'));
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
