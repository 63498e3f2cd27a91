/**
 * The snapshot routes' wire types (the rest of the API is in api.ts): `POST /v1/snapshots/create`,
 * `GET /v1/snapshots`, `POST /v1/snapshots/remove`, `POST /v1/snapshots/restore`,
 * `GET /v1/snapshots/diff`, and the header that makes any read route of `/v1/fs/` read a snapshot.
 */
import type { Hlc } from '../meta/types.js';

/** On a `/v1/fs/` request: read snapshot NAME instead of the live tree; a write is READ_ONLY. */
export const SNAPSHOT_HEADER = 'x-redcloud-snapshot';

export interface SnapshotInfo {
  /** the name shown (unique per account) */
  name: string;
  id: string;
  /** the directory it copies, as its path was when taken */
  source: string;
  /** the stamp of its first record: it holds what its controller had seen then */
  takenAt: Hlc;
  takenAtMs: number;
  /** the controller that took it */
  node: string;
  /** directory entries it holds */
  entries: number;
  /** false while its taking controller is still writing its copies (or if it stopped midway: `snapshot rm` it) */
  complete: boolean;
}

export interface SnapshotChange {
  change: 'added' | 'removed' | 'modified' | 'renamed';
  /** relative to the snapshot's root */
  path: string;
  /** renamed: where it was */
  from?: string;
  /** renamed: its content or mode changed too */
  modified?: boolean;
}
