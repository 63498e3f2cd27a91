/**
 * The snapshot calls of the client (src/common/snapshot-api.ts) over its controller call: create,
 * list, remove, restore, diff. Reading inside a snapshot is the ordinary client made with
 * `snapshot: NAME` (client.ts `inSnapshot`): every read carries the snapshot header.
 */
import type { EntryInfo } from '../common/api.js';
import { normalizePath } from '../common/paths.js';
import type { SnapshotChange, SnapshotInfo } from '../common/snapshot-api.js';
import type { CallOptions } from './types.js';

type Query = Record<string, string | string[] | undefined>;
export interface SnapshotCalls {
  get<T>(route: string, q: Query, o?: CallOptions): Promise<T>;
  post<T>(route: string, body: unknown, o?: CallOptions): Promise<T>;
}

export interface SnapshotApi {
  createSnapshot(path: string, name: string, o?: CallOptions): Promise<SnapshotInfo>;
  snapshots(o?: CallOptions): Promise<SnapshotInfo[]>;
  /** returns the entries unlinked */
  removeSnapshot(name: string, o?: CallOptions): Promise<number>;
  /** back to its source path, or to `to` */
  restoreSnapshot(name: string, to?: string, o?: CallOptions): Promise<EntryInfo>;
  /** from snapshot `a` to `b`, or to the live directory `a` was taken of */
  diffSnapshots(a: string, b?: string, o?: CallOptions): Promise<SnapshotChange[]>;
}

const p = (path: string): string => normalizePath(path, { relativeTo: '/' });
/**
 * Timeout of create, restore and rm, whose work grows with the tree (one record per entry: a
 * million entries take minutes); the controller keeps answering meanwhile, so the call is not
 * taken for a dead controller and retried elsewhere.
 */
export const SNAPSHOT_CALL_TIMEOUT_MS = 15 * 60_000;
const long = (o?: CallOptions): CallOptions => ({ ...o, timeoutMs: o?.timeoutMs ?? SNAPSHOT_CALL_TIMEOUT_MS });

export function snapshotApi(c: SnapshotCalls): SnapshotApi {
  return {
    createSnapshot: (path, name, o) => c.post<SnapshotInfo>('/v1/snapshots/create', { path: p(path), name }, long(o)),
    snapshots: async (o) => (await c.get<{ snapshots: SnapshotInfo[] }>('/v1/snapshots', {}, o)).snapshots,
    removeSnapshot: async (name, o) => (await c.post<{ removed: number }>('/v1/snapshots/remove', { name }, long(o))).removed,
    restoreSnapshot: (name, to, o) => c.post<EntryInfo>('/v1/snapshots/restore', { name, ...(to !== undefined ? { to: p(to) } : {}) }, long(o)),
    diffSnapshots: async (a, b, o) => (await c.get<{ changes: SnapshotChange[] }>('/v1/snapshots/diff', { a, b }, long(o))).changes,
  };
}
