/**
 * What the controller needs from its metadata store: the replicated records (src/meta), the
 * gossip update log, the namespace view derived from the records (src/meta/tree.ts), and chunk
 * locations. Two implementations pass one suite (test/unit/controller/store-suite.ts): SQLite
 * (store.ts, the daemon's) and memory (memory-store.ts, the reference for tests and simulations).
 *
 * The store decides nothing: a remote record goes through src/meta/replica.ts decideRemote, a
 * local one was built by src/meta/ops.ts; the store persists the result and keeps its indexes
 * (the tree view, tags, chunk references) in the same transaction.
 */
import type { WriteStamp } from '../meta/ops.js';
import type { Digest, InodeRecord, LinkRecord, MetaRecord, NodeId, Update } from '../meta/types.js';
import type { Fingerprinted } from './gossip/protocol.js';
import type { TombstoneCandidate } from './gossip/tombstones.js';
import type { Usage } from './usage-counters.js';

export interface RemoteApplyResult {
  /** false when the update was already known or absorbed (nothing changed) */
  changed: boolean;
  /**
   * Concurrent versions of the record disagreed and a rule chose; the SQLite store also reports
   * the tree's decisions the record caused (a move skipped as a cycle, a directory revived, a
   * name shown as a conflict copy). Logged as `Resolved conflict`.
   */
  conflict: boolean;
  before?: MetaRecord;
  after: MetaRecord;
}

/** A directory entry as the tree shows it: link `linkId` names inode `ino` in directory `parent`. */
export interface DirEntry {
  linkId: string;
  /** directory inode id */
  parent: string;
  /** the name shown (unique in its directory: tree.ts resolveNames) */
  name: string;
  ino: string;
  dir: boolean;
}

/** One entry of a directory listing with its inode (MetadataStore.listing). */
export interface ListedEntry {
  entry: DirEntry;
  inode: InodeRecord;
  /** link rows the inode has, placed or not: 1 means this entry is its only name */
  linkRows: number;
}

/** A link placed in an owner's trash, with when its trash move expires (MetadataStore.trashExpiring). */
export interface TrashCandidate {
  owner: string;
  linkId: string;
  expiresMs: number;
}

export interface MetadataStore {
  readonly nodeId: NodeId;
  /** Stamp of the next local write (seq and HLC); persisted by applyLocal. */
  nextStamp(): WriteStamp;
  /**
   * A peer holds this controller's own writes up to `seq` (its digest says so): the next local
   * write must be numbered above it. After a restore from an old backup, the write counter would
   * otherwise hand out numbers peers already hold for other writes, and those would be lost.
   */
  noteOwnSeq(seq: number): void;
  /** Persists a local version (built by src/meta/ops.ts) and its update-log row. */
  applyLocal(record: MetaRecord, seq: number): void;
  /**
   * Local writes in bulk (a snapshot's copies), in one transaction: the same records, log rows and
   * index rows as applyLocal of each in order, with the per-write bookkeeping that only depends on
   * the end state (directory replay, conflict names, bucket-hash rows) done once at the end.
   */
  applyLocalBatch(writes: readonly { record: MetaRecord; seq: number }[]): void;
  /** A gossip update: decideRemote, then persist; an update already known or absorbed changes nothing. */
  applyRemote(update: Update): RemoteApplyResult;
  /** A whole record from a peer (anti-entropy), merged outside the update log. */
  mergeRecord(record: MetaRecord): RemoteApplyResult;
  /** key, vv and hlc of every record, tombstones and death certificates included (anti-entropy). */
  fingerprints(): Iterable<Fingerprinted>;
  /** The anti-entropy hash of each bucket over those fingerprints (gossip/bucket-hashes.ts). */
  bucketHashes(): string[];
  /** Every record whose key hashes into one of `buckets` (gossip/protocol bucketOf). */
  recordsInBuckets(buckets: ReadonlySet<number>): MetaRecord[];
  getRecord(key: string): MetaRecord | undefined;
  digest(): Digest;
  /**
   * The updates `digest` lacks, by origin then seq: at most `limit`, and once their records pass
   * `maxBytes` (JSON + 64 per update, as gossip counts them) no further one after the update that
   * passed it, so a log of large records (small files inline) is never read whole into memory.
   */
  updatesSince(digest: Digest, limit: number, maxBytes?: number): Update[];
  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;

  // ---- the namespace view (consistent with the records inside any transaction) ----
  getInode(owner: string, ino: string): InodeRecord | undefined;
  getLink(owner: string, linkId: string): LinkRecord | undefined;
  /** The entry shown as `name` in directory `parent` (reachable from the root or not). */
  lookup(owner: string, parent: string, name: string): DirEntry | undefined;
  /** Entries shown in directory `parent`, sorted by name. */
  children(owner: string, parent: string): DirEntry[];
  /** `children` with each entry's inode (entries whose inode is not here are left out): one query for a whole `ls -l`. */
  listing(owner: string, parent: string): ListedEntry[];
  /** True if directory `parent` shows at least one entry. */
  hasChildren(owner: string, parent: string): boolean;
  /** Entries naming inode `ino` that are reachable from the root (hard links; nlink of a file). */
  linksOf(owner: string, ino: string): DirEntry[];
  /** Directories shown in directory `ino` (nlink of a directory is 2 + this). */
  subdirCount(owner: string, ino: string): number;
  /** Path of a reachable directory or entry's parent chain: `/a/b` for the entry named b in /a; undefined if unreachable. */
  pathOf(owner: string, entry: DirEntry): string | undefined;
  /** The inode id of a FUSE inode number (src/meta/keys.ts inoNumber), if this tree has it. */
  inoOfNumber(owner: string, n: number): string | undefined;
  /** Inodes of the owner that carry every tag (any kind; reachability is the caller's check). */
  findByTags(owner: string, tags: string[]): InodeRecord[];
  tagCounts(owner: string): { tag: string; count: number }[];
  /** Owners with at least one link placed in their trash (src/meta/trash.ts), sorted: the expiry sweep's round. */
  trashOwners(): string[];
  /**
   * Links placed in any owner's trash whose trash move (src/meta/trash.ts trashMoveOf) expires at
   * or before `expiresByMs`, by expiry time then link key, at most `limit`, after `after` (the last
   * one of the previous page): the expiry sweep's candidates, found through an index by expiry
   * time, without reading the entries not yet expired. The sweep still decides (dueForExpiry).
   */
  trashExpiring(expiresByMs: number, limit: number, after?: TrashCandidate): TrashCandidate[];
  /** The root and the inodes of the owner that a live link names (statfs "files"; removed ones are not counted even before their records are collected). */
  inodeCount(owner: string): number;
  /** The same inodes' count and the logical bytes of its regular files (usage-counters.ts): kept per write by the SQLite store, O(1). */
  usage(owner: string): Usage;

  // ---- chunk locations (soft state learned from heartbeats and receipts) ----
  replaceLocations(serverId: string, chunkIds: string[]): void;
  /** Remembers a chunkserver's address, so read plans can name it right after a restart. */
  saveChunkserver(id: string, url: string, lastHeartbeatMs: number): void;
  knownChunkservers(): { id: string; url: string; lastHeartbeatMs: number }[];
  addLocations(serverId: string, chunkIds: string[]): void;
  removeLocations(serverId: string, chunkIds: string[]): void;
  locationsOf(chunkId: string): string[];
  /**
   * Chunk references: the content chunks of every *named* inode — one that at least one link
   * record names with a latest move that is not an unlink. An inode whose last name was removed
   * references nothing (its chunks become garbage after GC_GRACE, behind the GC gate that waits
   * for every peer to be reachable and caught up), even before its record is collected.
   */
  /** Distinct chunks referenced by named inodes. */
  referencedChunkCount(): number;
  /** Referenced chunks with fewer than `want` locations among `liveServers`. */
  underReplicatedCount(want: number, liveServers: string[]): number;
  /** Every referenced chunk with the servers known to hold it (maybe none); sorted by id. */
  referencedChunkLocations(): { chunkId: string; locations: string[] }[];
  /** Chunks held by some chunkserver that no named inode references: garbage candidates. */
  unreferencedChunkLocations(): { chunkId: string; locations: string[] }[];
  /** True if a named inode references the chunk (re-checked before a delete). */
  isChunkReferenced(chunkId: string): boolean;
  /** True if a named inode of `owner` references the chunk (dedup without sending the bytes). */
  isChunkOwnedBy(chunkId: string, owner: string): boolean;

  // ---- collection of deleted records ----
  /**
   * Records that may be collected once every peer has seen their writes: file links unlinked at
   * or before `deletedBeforeMs` (HLC wall time of the unlink), and non-directory inodes no link
   * record names any more (all dead) whose last write is that old. `writes`: the update-log rows
   * of the key (origin → seq). Directory links and inodes are kept (their moves take part in the
   * tree replay; compaction of the move log is future work). At most `limit`.
   */
  tombstones(deletedBeforeMs: number, limit: number): TombstoneCandidate[];
  /**
   * Replaces these records by their death certificates (ops.ts deathOf) if they are still
   * collectable, dropping their update-log rows (per-origin floors keep the digest from going
   * backwards). Returns how many.
   */
  collectTombstones(keys: readonly string[]): number;
  /**
   * Resolves once every write made so far is on stable storage (group commit: concurrent callers
   * share one sync). The controller awaits it before answering any request that wrote.
   */
  durable(): Promise<void>;
  close(): void;
}
