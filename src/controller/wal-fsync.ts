/**
 * Makes a SQLite database's committed transactions durable: fdatasync of its write-ahead log.
 * The store runs SQLite with `synchronous = NORMAL`, under which a commit writes its WAL frames
 * but does not sync them (checkpoints still sync the WAL before and the database after copying),
 * so a power cut could lose acknowledged commits. Syncing the WAL file before acknowledging closes
 * that gap, and group-commit.ts lets one sync cover every commit made before it. The sync runs on
 * libuv's thread pool, so the event loop keeps serving (and writing) meanwhile. The WAL file is
 * opened on first use (SQLite creates it with the first write), its directory synced once so its
 * name is durable too, and reopened if it was deleted.
 */
import { close, closeSync, fdatasync, fstatSync, open } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const openP = promisify(open);
const closeP = promisify(close);
const fdatasyncP = promisify(fdatasync);

export interface WalSync {
  sync(): Promise<void>;
  /** closes the descriptor (the store's close) */
  close(): void;
}

export function walFsync(dbPath: string): WalSync {
  const walPath = `${dbPath}-wal`;
  let handle: { fd: number } | undefined;
  const current = async (): Promise<number> => {
    if (handle) {
      // SQLite keeps its WAL file while the database is open (a checkpoint rewinds it in place),
      // so one fstat says whether it is still the file: a deleted one has no links left (fstat of an
      // open descriptor reads the inode in memory: done here, not as a thread-pool round trip per sync)
      if (fstatSync(handle.fd).nlink > 0) return handle.fd;
      await closeP(handle.fd);
      handle = undefined;
    }
    const fd = await openP(walPath, 'r+');
    handle = { fd };
    const dir = await openP(dirname(walPath), 'r');
    try {
      await fdatasyncP(dir);
    } finally {
      await closeP(dir);
    }
    return fd;
  };
  return {
    async sync() {
      await fdatasyncP(await current());
    },
    close() {
      if (handle) closeSync(handle.fd);
      handle = undefined;
    },
  };
}
