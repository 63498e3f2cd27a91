/**
 * Benchmark of the namespace at scale (issue 13), on 127.0.17.x: BENCH_SCALE_FILES files
 * (default 1,000,000; each an inode with one 1 MB chunk and a link, in directories of 1,000) are
 * written as controller 1's own local writes (its update log included, as if users had made them)
 * straight into its database while it is stopped; then it starts, and a new, empty controller 2
 * joins with controller 1 as its peer. Prints: the load rate, controller 1's database size per
 * file and RSS (idle, after start), the time until controller 2 holds every record (polled by
 * counting its records table read-only) and controller 2's database size and RSS after it caught
 * up. MooseFS's master keeps its whole namespace in RAM (~300 B per file); a RedCloud controller
 * keeps it in SQLite, so RSS should stay flat while the database grows with the files.
 * Not part of `npm test`.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../src/controller/store.js';
import { ROOT_INO } from '../src/meta/keys.js';
import { newInode, newLink } from '../src/meta/ops.js';
import type { MetaRecord } from '../src/meta/types.js';
import { withBenchCluster } from './measure.js';

const NET = '127.0.17';
const FILES = Number(process.env.BENCH_SCALE_FILES ?? 1_000_000);
const PER_DIR = 1000;
const OWNER = 'scale';
const LIMIT_MS = Number(process.env.BENCH_SCALE_LIMIT_MS ?? 3_600_000);
const MB = 1_000_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function dbBytes(path: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(path + suffix).size;
    } catch { /* not there */ }
  }
  return total;
}

const chunkIdOf = (i: number): string => i.toString(16).padStart(64, '0');

/** Writes `files` files (and their directories) as local writes of `nodeId`; returns the records written. */
function load(dbPath: string, nodeId: string, files: number): number {
  const store = openStore({ path: dbPath, nodeId, now: Date.now });
  let records = 0;
  const write = (make: (s: ReturnType<typeof store.nextStamp>) => MetaRecord): void => {
    const s = store.nextStamp();
    store.applyLocal(make(s), s.seq);
    records++;
  };
  try {
    const time: [number, number] = [Math.floor(Date.now() / 1000), 0];
    for (let d = 0; d * PER_DIR < files; d++) {
      store.transaction(() => {
        const dirIno = `${nodeId}.d${d.toString(36)}`; // ids of the four kinds never collide: d, y, f, x
        write((s) => newInode({ ...s, owner: OWNER, ino: dirIno, kind: 'dir', attr: { mode: 0o755, uid: 0, gid: 0 }, time }));
        write((s) => newLink({ ...s, owner: OWNER, id: `${nodeId}.y${d.toString(36)}`, ino: dirIno, dir: true, parent: ROOT_INO, name: `d${d}` }));
        for (let i = d * PER_DIR; i < Math.min(files, (d + 1) * PER_DIR); i++) {
          const ino = `${nodeId}.f${i.toString(36)}`;
          write((s) => newInode({
            ...s, owner: OWNER, ino, kind: 'file', attr: { mode: 0o644, uid: 1000, gid: 1000 }, time,
            content: { size: MB, chunks: [{ id: chunkIdOf(i), size: MB }] },
          }));
          write((s) => newLink({ ...s, owner: OWNER, id: `${nodeId}.x${i.toString(36)}`, ino, dir: false, parent: dirIno, name: `f${i}` }));
        }
      });
    }
  } finally {
    store.close();
  }
  return records;
}

function countRecords(dbPath: string): number {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM records WHERE owner = ?").get(OWNER) as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or busy
  }
}

await withBenchCluster('scale', async (dir, cluster) => {
  const dbOf = (id: string): string => join(dir, id, `controller-${id}`, 'redcloud.db');
  process.stdout.write(`scale: ${FILES.toLocaleString('en')} files in directories of ${PER_DIR} (127.0.17.x)\n`);
  let t0 = performance.now();
  const records = load(dbOf('ctl1'), 'ctl1', FILES);
  const loadS = (performance.now() - t0) / 1000;
  process.stdout.write(`  load into controller 1's database: ${records.toLocaleString('en')} records in ${loadS.toFixed(1)} s (${Math.round(FILES / loadS).toLocaleString('en')} files/s)\n`);

  const env = { ANTI_ENTROPY_INTERVAL: '30s' };
  const ctl1 = await cluster.controller({
    id: 'ctl1', addr: `${NET}.11`, port: 8000, dataDir: join(dir, 'ctl1'), logFile: join(dir, 'logs', 'ctl1.log'), peers: [`${NET}.12:8000`], env,
    healthTimeoutMs: 600_000,
  });
  t0 = performance.now();
  const size1 = dbBytes(dbOf('ctl1'));
  await sleep(5000); // idle a moment: RSS after start-up work
  const rss1 = rssBytes(ctl1.pid);
  process.stdout.write(`  controller 1: database ${(size1 / MB).toFixed(0)} MB (${Math.round(size1 / FILES)} B per file), RSS ${(rss1 / MB).toFixed(0)} MB (${Math.round(rss1 / FILES)} B per file) with every file\n`);

  t0 = performance.now();
  const ctl2 = await cluster.controller({
    id: 'ctl2', addr: `${NET}.12`, port: 8000, dataDir: join(dir, 'ctl2'), logFile: join(dir, 'logs', 'ctl2.log'), peers: [`${NET}.11:8000`], env,
  });
  let have = 0;
  let peakRss2 = 0;
  let lastReport = performance.now();
  while (have < records) {
    if (performance.now() - t0 > LIMIT_MS) throw new Error(`controller 2 holds ${have} of ${records} records after ${LIMIT_MS} ms`);
    await sleep(1000);
    have = countRecords(dbOf('ctl2'));
    peakRss2 = Math.max(peakRss2, rssBytes(ctl2.pid));
    if (performance.now() - lastReport > 30_000) {
      lastReport = performance.now();
      process.stdout.write(`  … controller 2 holds ${have.toLocaleString('en')} of ${records.toLocaleString('en')} records after ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }
  const catchUpS = (performance.now() - t0) / 1000;
  const size2 = dbBytes(dbOf('ctl2'));
  await sleep(5000);
  const rss2 = rssBytes(ctl2.pid);
  process.stdout.write(`  new empty controller 2 caught up: ${records.toLocaleString('en')} records in ${catchUpS.toFixed(1)} s (${Math.round(FILES / catchUpS).toLocaleString('en')} files/s)\n`);
  process.stdout.write(`  controller 2: database ${(size2 / MB).toFixed(0)} MB (${Math.round(size2 / FILES)} B per file), RSS ${(rss2 / MB).toFixed(0)} MB after, peak ${(peakRss2 / MB).toFixed(0)} MB while catching up\n`);
});
