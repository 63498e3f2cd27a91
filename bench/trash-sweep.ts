/**
 * Benchmark of the trash's expiry sweep (never in `npm test`): a metadata store (SQLite on a temp
 * file, as the daemon's, or the memory store) holding BENCH_TRASH_LIVE (50,000) files in the tree,
 * BENCH_TRASH_KEPT (0 unless set) trash entries not yet expired and BENCH_TRASH_DUE (10) expired
 * ones, then the CPU seconds of one sweep that unlinks the expired ones and of one more that finds
 * nothing due (what every REPAIR_INTERVAL costs). The sweep is src/controller/trash.ts's, over
 * records built with src/meta/ops.ts; the setup is written in bulk transactions.
 *   node dist/bench/trash-sweep.js [sqlite|memory]
 *   BENCH_TRASH_KEPT=50000 node dist/bench/trash-sweep.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId, ROOT_INO } from '../src/meta/keys.js';
import { moveLink, newInode, newLink, type WriteStamp } from '../src/meta/ops.js';
import { TRASH_INO } from '../src/meta/trash.js';
import type { LinkRecord, MetaRecord } from '../src/meta/types.js';
import { openMemoryStore } from '../src/controller/memory-store.js';
import type { MetadataStore } from '../src/controller/metadata-store.js';
import { openStore } from '../src/controller/store.js';
import { createTrash } from '../src/controller/trash.js';
import type { FsView } from '../src/controller/fs-view.js';

const LIVE = Number(process.env.BENCH_TRASH_LIVE ?? 50_000);
const KEPT = Number(process.env.BENCH_TRASH_KEPT ?? 0);
const DUE = Number(process.env.BENCH_TRASH_DUE ?? 10);
const OWNER = 'bench';
const ATTR = { mode: 0o644, uid: 0, gid: 0 };
const DAY_MS = 24 * 3600_000;

/** CPU seconds (user + system) and wall ms of `fn`, and its result. */
function timed<T>(fn: () => T): { out: T; cpuS: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { out, cpuS: (c.user + c.system) / 1e6, wallMs };
}

function fill(store: MetadataStore, nowMs: number): void {
  const batch: { record: MetaRecord; seq: number }[] = [];
  const write = <R extends MetaRecord>(build: (s: WriteStamp) => R): R => {
    const s = store.nextStamp();
    const r = build(s);
    batch.push({ record: r, seq: s.seq });
    return r;
  };
  const flush = (): void => { store.applyLocalBatch(batch.splice(0)); };
  write((s) => newInode({ ...s, owner: OWNER, ino: ROOT_INO, kind: 'dir', attr: { ...ATTR, mode: 0o755 }, time: [1, 0] }));
  const file = (name: string): LinkRecord => {
    const i = write((s) => newInode({ ...s, owner: OWNER, ino: newId(s.node, s.seq), kind: 'file', attr: ATTR, time: [1, 0], content: { size: 0, chunks: [] } }));
    return write((s) => newLink({ ...s, owner: OWNER, id: newId(s.node, s.seq), ino: i.ino, dir: false, parent: ROOT_INO, name }));
  };
  const trashed = (name: string, expiresMs: number): void => {
    const link = file(name);
    write((s) => {
      const next = moveLink(link, TRASH_INO, link.id, s);
      next.moves[next.moves.length - 1] = { ...next.moves[next.moves.length - 1]!, trash: { path: `/${name}`, expiresMs } };
      return next;
    });
  };
  for (let n = 0; n < LIVE; n++) {
    file(`live-${n}`);
    if (batch.length >= 2000) flush();
  }
  for (let n = 0; n < KEPT; n++) {
    trashed(`kept-${n}`, nowMs + DAY_MS);
    if (batch.length >= 2000) flush();
  }
  for (let n = 0; n < DUE; n++) trashed(`due-${n}`, nowMs - 1000);
  flush();
}

function main(): void {
  const kind = process.argv[2] ?? 'sqlite';
  const nowMs = Date.now();
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'redcloud-bench-trash-'));
  const store = kind === 'memory' ? openMemoryStore({ nodeId: 'bench', now: () => nowMs }) : openStore({ path: join(dir, 'meta.db'), nodeId: 'bench', now: () => nowMs });
  try {
    const setup = timed(() => fill(store, nowMs));
    const put = <R extends MetaRecord>(build: (s: WriteStamp) => R): R => {
      const s = store.nextStamp();
      const r = build(s);
      store.applyLocal(r, s.seq);
      return r;
    };
    const none = (): never => { throw new Error('not used by the sweep'); };
    const trash = createTrash({ store, view: {} as FsView, put, now: () => nowMs, ttlMs: DAY_MS, ensureParents: none, dirChanged: none, freshIno: none });
    const first = timed(() => trash.sweep(1000, 60_000));
    const idle = timed(() => trash.sweep(1000, 60_000));
    const idle2 = timed(() => trash.sweep(1000, 60_000));
    const line = (what: string, r: { out: number; cpuS: number; wallMs: number }): string =>
      `${what}: ${r.out} unlinked, ${(r.cpuS * 1000).toFixed(2)} ms CPU, ${r.wallMs.toFixed(2)} ms wall`;
    process.stdout.write(`${kind} store: ${LIVE} live files, ${KEPT} trash entries not due, ${DUE} due (setup ${setup.cpuS.toFixed(1)} s CPU)\n`);
    process.stdout.write(`  ${line('sweep with entries due', first)}\n  ${line('sweep, nothing due', idle)}\n  ${line('sweep, nothing due (again)', idle2)}\n`);
    if (first.out !== DUE || idle.out !== 0) throw new Error(`expected ${DUE} then 0 unlinked, got ${first.out} and ${idle.out}`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
