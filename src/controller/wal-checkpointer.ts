/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses `wal_autocheckpoint` pages: it copies the pages back into the database and syncs the
 * WAL and the database, on the thread that committed. For a controller that is the event loop, so
 * every ~30th metadata write waited for two fsyncs (measured: COMMIT 1.1 ms → 0.45 ms per create
 * without it) and every request queued behind it. Here a worker thread (wal-checkpoint-worker.ts)
 * started a second after open, checkpoints every CHECKPOINT_EVERY_MS instead; the store's own automatic checkpoint stays as a
 * backstop at a much larger WAL (FALLBACK_PAGES), and returns to SQLite's default if the worker
 * dies. Both connections live in one process and one SQLite library, so their locks agree.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from '../common/logger.js';

const CHECKPOINT_EVERY_MS = 200;
/** the store's own checkpoint, if the worker falls this far behind (pages of 4 KiB: 64 MiB) */
const FALLBACK_PAGES = 16_384;
const SQLITE_DEFAULT_PAGES = 1000;
/** how long stop() waits for the thread to close its connection */
const STOP_WAIT_MS = 2000;

export interface WalCheckpointer {
  /** Closes the thread's connection (waiting up to STOP_WAIT_MS), so the store's close is the last one and folds the WAL in. */
  stop(): void;
}

/** the thread starts this long after open: a store opened and closed at once (tools, tests) never waits for it */
const START_AFTER_MS = 1000;

export function startWalCheckpointer(db: Database.Database, path: string, logger?: Logger): WalCheckpointer {
  const log = logger?.child({ component: 'wal-checkpoint' });
  const closed = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker | undefined;
  let stopped = false;
  const fallBack = (why: string): void => {
    if (stopped || !db.open) return;
    stopped = true;
    db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    log?.warn({ why }, 'WAL checkpoint thread stopped; checkpoints run in commits again');
  };
  const start = (): void => {
    if (stopped || !db.open) return;
    worker = new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), { workerData: { path, everyMs: CHECKPOINT_EVERY_MS, closed } });
    worker.unref();
    db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
    worker.on('message', (m: { error?: string }) => {
      if (m?.error) log?.warn({ err: m.error }, 'WAL checkpoint failed; retrying');
    });
    worker.on('error', (err) => fallBack(err.message));
    worker.on('exit', (code) => fallBack(`exit ${code}`));
  };
  const timer = setTimeout(start, START_AFTER_MS);
  timer.unref();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      if (!worker) return;
      worker.postMessage('stop');
      if (Atomics.wait(closed, 0, 0, STOP_WAIT_MS) === 'timed-out') log?.warn({ waitedMs: STOP_WAIT_MS }, 'WAL checkpoint thread did not close its connection in time');
    },
  };
}
