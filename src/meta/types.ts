/**
 * The records of the metadata state machine (the replica): users, inodes, directory links and the
 * death certificates of collected records. Each carries what the merge needs: a version vector, a
 * hybrid-logical-clock stamp with the writing controller's id, and per-field registers. Types only;
 * the logic lives beside this file.
 *
 * The namespace (DESIGN.md "Namespace (v2)") is two kinds of record per account (`owner`):
 * - an **inode** `i\0<owner>\0<ino>`: what a file, directory, symlink, fifo, socket or device is.
 *   Immutable kind/rdev/target; every mutable attribute group is its own last-writer-wins register
 *   (attr = mode/uid/gid, content = size/chunks, mtime, atime, one per xattr name), ctime is a
 *   max-register, tags an add-wins set. A concurrent chmod and write therefore both survive.
 * - a **link** `l\0<owner>\0<id>`: one directory entry, naming inode `ino` inside directory
 *   inode `parent` as `name`. Its location is a log of moves; the last one decides for files, and
 *   for directories the moves of all directories are replayed in HLC order, skipping any that would
 *   form a cycle (tree.ts), so the directories stay one tree. Unlink = a move to nowhere. Hard
 *   links are several links to one file inode; nlink counts the visible ones.
 * Ids (`ino`, link ids) are `<controller>.<write seq in base 36>`: unique without coordination.
 */

import type { Extent } from './extents.js';

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

/** POSIX time: [seconds since the epoch (may be negative), nanoseconds 0…999,999,999]. */
export type Ts = [number, number];

/** A last-writer-wins register: the value written at stamp `at` (the greater stamp wins). */
export interface Reg<T> {
  v: T;
  at: Hlc;
}

export interface InodeAttr {
  /** permission bits with suid/sgid/sticky (mode & 0o7777) */
  mode: number;
  uid: number;
  gid: number;
}

export interface InodeContent {
  size: number;
  /** files only, in order; the last may be shorter than CHUNK_SIZE */
  chunks: ChunkRef[];
  /**
   * chunk id → the chunkservers whose signed receipts the commit carried (distinct, sorted): where
   * the chunks were written, so every controller holding the record can plan reads before any
   * heartbeat names them. A hint, not the truth (repair moves replicas): read plans list these
   * holders as unconfirmed. Absent in records written before it existed.
   */
  holders?: Record<string, string[]>;
  /**
   * A small file's bytes (base64), kept in the record instead of chunks (`chunks` is then empty and
   * `size` is their length; src/meta/inline.ts). Absent for files in chunks and in older records.
   */
  inline?: string;
  /**
   * Files only: the content as extents indexing `chunks` (src/meta/extents.ts), sorted and
   * non-overlapping; bytes none covers read as zeros, and `chunks` is then every chunk they use.
   * Absent: the chunks back to back from 0 (every record written before extents existed).
   */
  extents?: Extent[];
  /**
   * Files in chunks only: chunks of `chunks` whose bytes travel in the record (chunk id → base64,
   * src/meta/inline.ts inline chunks) instead of on chunkservers; each is verified against its id.
   * Absent when there are none (and in records written before they existed).
   */
  inlineChunks?: Record<string, string>;
}

interface RecordBase {
  /** `i\0<owner>\0<ino>`, `l\0<owner>\0<id>`, `u\0<name>` (see keys.ts); entries are legacy */
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
  /** scrypt hash `scrypt$N$r$p$salt$hash`; null once the account is deleted (for good: the name stays retired) */
  passwordHash: string | null;
  createdAtMs: number;
  /**
   * The account's identity: the stamp of the write that created it. Of two accounts with one
   * name the earlier-created one owns it (merge.ts); session tokens name it (tokens.ts). Absent on
   * records written before accounts had one (their identity is createdAtMs; see accountStamp).
   */
  created?: Hlc;
  /** sessions issued before this time (ms) are revoked (logout); a max-register */
  revokedBeforeMs?: number;
}

export interface InodeRecord extends RecordBase {
  type: 'inode';
  owner: string;
  ino: string;
  /** immutable, as created */
  kind: EntryKind;
  rdev: number;
  target?: string;
  attr: Reg<InodeAttr>;
  content: Reg<InodeContent>;
  mtime: Reg<Ts>;
  atime: Reg<Ts>;
  /** the latest change of anything (max-register) */
  ctime: Ts;
  /** per name: base64 value, or null once removed */
  xattrs: Record<string, Reg<string | null>>;
  tags: TagSet;
}

/** One move of a link: into directory inode `parent` as `name`, or out of the tree (parent null). */
export interface Move {
  at: Hlc;
  parent: string | null;
  name: string;
  /** only on a move into the account's trash (trash.ts): where the entry was and when it expires */
  trash?: TrashInfo;
}

/** A trash entry's origin: its path when it was removed, and when the expiry sweep unlinks it (ms). */
export interface TrashInfo {
  path: string;
  expiresMs: number;
}

export interface LinkRecord extends RecordBase {
  type: 'link';
  owner: string;
  id: string;
  /** the inode it names (immutable) */
  ino: string;
  /** whether that inode is a directory (immutable): its moves take part in the tree replay */
  dir: boolean;
  /**
   * Its moves sorted by `at`: a file link keeps only its latest (last writer wins), a directory
   * link its history (the tree replay needs it; tree.ts).
   */
  moves: Move[];
}

/**
 * The death certificate of a collected inode or link: the record was deleted, every controller had
 * seen the delete, and it was collected. Any version of `key` stamped at or before `at` merges
 * into this certificate, so an old write can never bring the record back, whichever way it comes
 * (gossip, anti-entropy, a peer restored from a backup). See merge.ts.
 */
export interface DeadRecord extends RecordBase {
  type: 'dead';
  /** the latest stamp of the collected record */
  at: Hlc;
}

export type MetaRecord = InodeRecord | LinkRecord | UserRecord | DeadRecord;
/** Records of databases written before the inode namespace (converted on open, see migrate.ts). */
export type AnyRecord = MetaRecord | EntryRecord;

/** One update as gossip carries it: the record as produced by (origin, seq). */
export interface Update {
  origin: NodeId;
  seq: number;
  record: MetaRecord;
}

/** What a peer has seen: for each origin, the highest seq it holds. */
export type Digest = Record<NodeId, number>;
