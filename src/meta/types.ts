/**
 * The records of the metadata state machine: users and namespace entries, each carrying what the
 * merge needs (a version vector, a hybrid-logical-clock stamp with the writing controller's id,
 * and tags as an add-wins observed-remove set). Types only; the logic lives beside this file.
 */

export type NodeId = string;

/** Hybrid logical clock stamp; ordered by (wallMs, logical, node). */
export interface Hlc {
  wallMs: number;
  logical: number;
  node: NodeId;
}

/**
 * Per-key version vector: for each controller, the highest write sequence number of that
 * controller's writes to this key that this version has seen. Sequence numbers are the
 * controller's global write counter (also the gossip sequence), so they are not contiguous per key.
 */
export type VersionVector = Record<NodeId, number>;

/** A write event: (controller, its write sequence number). */
export type Dot = [NodeId, number];

/** Tags as an add-wins set: each present tag maps to the dots of the adds that put it there. */
export type TagSet = Record<string, Dot[]>;

export interface ChunkRef {
  /** SHA-256 hex of the chunk's bytes */
  id: string;
  /** bytes */
  size: number;
}

export type EntryKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block';

export interface EntryValue {
  kind: EntryKind;
  /** bytes (files), 0 for dirs, target length for symlinks */
  size: number;
  /** permission bits, e.g. 0o644 */
  mode: number;
  mtimeMs: number;
  ctimeMs: number;
  /** files only, in order; the last may be shorter than CHUNK_SIZE */
  chunks: ChunkRef[];
  /** symlinks only */
  target?: string;
}

interface RecordBase {
  /** `e\0<owner>\0<path>` for entries, `u\0<name>` for users (see keys.ts) */
  key: string;
  vv: VersionVector;
  hlc: Hlc;
}

export interface EntryRecord extends RecordBase {
  type: 'entry';
  owner: string;
  path: string;
  /** null for a tombstone */
  value: EntryValue | null;
  tags: TagSet;
}

export interface UserRecord extends RecordBase {
  type: 'user';
  name: string;
  /** scrypt hash `scrypt$N$r$p$salt$hash`; null for a deleted user */
  passwordHash: string | null;
  createdAtMs: number;
}

export type MetaRecord = EntryRecord | UserRecord;

/** One update as gossip carries it: the record as produced by (origin, seq). */
export interface Update {
  origin: NodeId;
  seq: number;
  record: MetaRecord;
}

/** What a peer has seen: for each origin, the highest seq it holds. */
export type Digest = Record<NodeId, number>;
