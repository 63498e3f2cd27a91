/**
 * The thread wal-checkpointer.ts starts: its own connection to the store's database, running a
 * PASSIVE checkpoint every `everyMs` when another connection committed since the last complete
 * one (`data_version` moved; an idle controller reads a counter per round). PASSIVE never waits
 * for the writer, so the event loop's transactions go on meanwhile. On 'stop' it closes its
 * connection and says so in `closed`. A failure is posted to the parent (logged there) and the
 * next round tries again.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { path, everyMs, closed } = workerData as { path: string; everyMs: number; closed: Int32Array };
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const dataVersion = db.prepare('PRAGMA data_version').pluck();
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let seen: unknown;
const timer = setInterval(() => {
  try {
    const now = dataVersion.get();
    if (now === seen) return;
    const r = checkpoint.get() as { busy: number; log: number; checkpointed: number };
    // frames a reader still needed stay in the WAL: the next round tries again
    if (r.busy === 0 && r.checkpointed >= r.log) seen = now;
  } catch (err) {
    parentPort?.postMessage({ error: (err as Error).message });
  }
}, everyMs);
parentPort?.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try {
    db.close();
  } finally {
    Atomics.store(closed, 0, 1); // the parent waits for this before closing its own connection
    Atomics.notify(closed, 0);
    parentPort?.close();
  }
});
