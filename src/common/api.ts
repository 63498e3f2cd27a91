/**
 * The wire contract between the client, the controllers and the chunkservers: route paths and
 * the JSON bodies they take and answer. Errors are always `{ code, message }` (errors.ts).
 * Authentication: user routes take `Authorization: Bearer <session token>`; internal routes take
 * the `x-redcloud-cluster` header (tokens.ts); chunk routes take `x-redcloud-cap: <capability>`.
 */
import type { ChunkRef, EntryKind } from '../meta/types.js';
import type { Extent } from '../meta/extents.js';

/** A tag is 1 to TAG_CHARS_MAX characters; one request names at most TAGS_PER_CALL_MAX tags (schemas.ts). */
export const TAG_CHARS_MAX = 128;
export const TAGS_PER_CALL_MAX = 64;

export const CAP_HEADER = 'x-redcloud-cap';
export const RECEIPT_HEADER = 'x-redcloud-receipt';
/**
 * Sent on GET /chunks/:id by readers that hash what they receive (the client, a replicating
 * chunkserver): the chunkserver then streams the file without hashing it a second time. Readers
 * that meet a bad replica report it (POST /v1/fs/report-bad), and the scrubber finds the rest.
 */
export const CLIENT_VERIFIES_HEADER = 'x-redcloud-client-verifies';

// ---- controller: accounts ------------------------------------------------------------------
// POST /v1/register  RegisterRequest → 201 { user }
// POST /v1/login     LoginRequest → LoginResponse      (401 UNAUTHORIZED on wrong password / unknown user)
// GET  /v1/whoami    → { user, controllers: string[] }
export interface RegisterRequest { user: string; password: string }
export interface LoginRequest { user: string; password: string }
export interface LoginResponse {
  token: string;
  /** ms since epoch */
  expiresAt: number;
  user: string;
  /** every controller URL this controller knows, itself first */
  controllers: string[];
}

// ---- controller: namespace (all take ?path= or a body path; paths are normalised absolute) ---
// GET  /v1/fs/stat?path=P                 → EntryInfo                 (404 NOT_FOUND)
// GET  /v1/fs/list?path=P                 → { entries: EntryInfo[] }  direct children of a dir
// GET  /v1/fs/find?tag=A&tag=B[&path=P]   → { entries: EntryInfo[] }  files under P carrying all tags
// GET  /v1/fs/tags                        → { tags: { tag: string; count: number }[] }
// GET  /v1/fs/read?path=P                 → ReadPlan                  file with live chunk locations
// POST /v1/fs/placement  PlacementRequest → PlacementResponse
// POST /v1/fs/commit     CommitRequest    → EntryInfo                 create or replace a file
// POST /v1/fs/mkdir      { path, mode?, parents? }                   → EntryInfo (409 EXISTS)
// POST /v1/fs/symlink    { path, target } → EntryInfo
// POST /v1/fs/remove     { path, recursive? } → { removed: number }  (409 NOT_EMPTY)
// POST /v1/fs/rename     { from, to }     → EntryInfo                 (replaces a file target as POSIX)
// POST /v1/fs/setattr    SetAttrRequest   → EntryInfo
// POST /v1/fs/tags       { path, add?: string[], remove?: string[] } → EntryInfo
// POST /v1/fs/link       { from, to }     → EntryInfo of `to`         hard link: a second entry for the inode of `from`
//                        (EEXIST if `to` exists, EPERM for a directory); nlink counts the entries
// POST /v1/fs/mknod      MknodRequest     → EntryInfo                 fifo, socket, char or block device (metadata only)
// GET  /v1/fs/xattr?path=P&name=N         → { value: base64 }         (404 NO_XATTR → ENODATA)
// GET  /v1/fs/xattrs?path=P               → { names: string[] }       names of the inode's extended attributes
// POST /v1/fs/xattr      SetXattrRequest  → 204                       (EEXIST with flag create, ENODATA with replace)
// POST /v1/fs/xattr/remove { path, name } → 204                       (404 NO_XATTR)
// GET  /v1/fs/statfs                      → StatfsInfo                usable capacity at the replication factor, file counts
// POST /v1/fs/report-bad { chunkId, serverId, cap } → 202   a replica sent bytes that do not hash
//                        to the id; `cap` (the read capability) proves the caller may read the
//                        chunk; the controller asks that chunkserver to re-verify (POST /internal/verify)
// GET  /v1/status        → ClusterStatus
// GET  /v1/trash                          → { items: TrashItem[], ttlMs }   the token's user's trash, newest first
// POST /v1/trash/restore { path, to? }    → { restored: TrashItem[] }  (409 EXISTS on a conflict, nothing restored)
// POST /v1/trash/empty   { path? }        → { removed: number }
// GET  /v1/cluster-view  → ClusterView   read-only, for the status page (GET /ui): no login unless
//                        STATUS_PAGE=login, 404 with STATUS_PAGE=off; no file names or user data
// A file's parent directories are created implicitly by commit/mkdir(parents)/symlink.

/** A point in time as POSIX keeps it: seconds since the epoch (may be negative) and nanoseconds (0…999,999,999). */
export interface Timespec {
  sec: number;
  nsec: number;
}

/** A time to set: a Timespec, or "now" (the controller's clock; UTIME_NOW). */
export type TimeSet = Timespec | 'now';

export interface EntryInfo {
  path: string;
  kind: EntryKind;
  size: number;
  /** permission bits with setuid (0o4000), setgid (0o2000) and sticky (0o1000); no file-type bits */
  mode: number;
  mtimeMs: number;
  ctimeMs: number;
  /**
   * The inode's number, unique in the account's tree and the same for every hard link of one file
   * (the FUSE st_ino; below 2^53). Absent from controllers older than the inode namespace.
   */
  ino?: number;
  uid?: number;
  gid?: number;
  /** live directory entries naming this inode (directories: 2 + subdirectories) */
  nlink?: number;
  /** device number of char and block devices (Linux makedev encoding), else 0 */
  rdev?: number;
  atime?: Timespec;
  mtime?: Timespec;
  ctime?: Timespec;
  tags: string[];
  /** symlinks */
  target?: string;
  /** files: number of chunks */
  chunkCount?: number;
  /** opaque version string (changes on every write); clients use it to validate caches */
  version: string;
  /**
   * Names of the inode's extended attributes (not its tags), when there are at most
   * ENTRY_XATTR_NAMES_MAX: a client that has the entry answers a getxattr of any other name with
   * ENODATA itself. Absent from older controllers and for inodes with more names.
   */
  xattrs?: string[];
}

/** At most this many xattr names ride along in an EntryInfo. */
export const ENTRY_XATTR_NAMES_MAX = 16;

export interface ChunkLocation {
  /** chunkserver id */
  id: string;
  /** base URL, e.g. http://127.0.0.11:9000 */
  url: string;
  /** read plans: named only by the receipts the commit carried, not yet confirmed by a heartbeat */
  unconfirmed?: true;
}

export interface ReadPlanChunk extends ChunkRef {
  /** byte offset of this chunk in the file */
  offset: number;
  /** healthy replicas first, in the order to try */
  locations: ChunkLocation[];
  /** read capability for this chunk (x-redcloud-cap) */
  cap: string;
  /**
   * An inline chunk's bytes (base64) from the inode record (src/meta/inline.ts): read from here,
   * verified against the id, never from a chunkserver (`locations` empty, `cap` '').
   */
  inline?: string;
}

export interface ReadPlan {
  entry: EntryInfo;
  chunks: ReadPlanChunk[];
  /** a small file's bytes (base64) from its inode record; `chunks` is then empty */
  inline?: string;
  /**
   * The file as extents indexing `chunks` (each chunk listed once; its `offset` then means
   * nothing); absent: `chunks` back to back at their offsets.
   */
  extents?: Extent[];
}

export interface PlacementRequest {
  chunks: ChunkRef[];
}

/**
 * Header of a placement request: how many ms the controller may wait for WRITE_QUORUM chunkservers
 * before answering UNAVAILABLE (capped by its PLACEMENT_WAIT; a header, so older controllers ignore it).
 */
export const PLACEMENT_WAIT_HEADER = 'x-redcloud-wait-ms';

export interface PlacementChunk extends ChunkRef {
  /** chunkservers to upload to, best first */
  targets: ChunkLocation[];
  /**
   * ids of targets the controller knows to hold the chunk already, and from which this user may
   * claim it without sending the bytes: HEAD those for a receipt, PUT to the others straight away.
   * Absent (older controllers): HEAD every target first.
   */
  present?: string[];
  /** write capability for this chunk */
  cap: string;
  /** REPLICA_PIPELINE on: the signed forward list of `targets` (forward-list.ts); PUT once to the first with it */
  forward?: string;
}

export interface PlacementResponse {
  chunks: PlacementChunk[];
  /** replicas each chunk needs before commit succeeds */
  writeQuorum: number;
  chunkSizeBytes: number;
}

/** Owner of a new inode: the uid and gid of the process that creates it (the mount passes the caller's). */
export interface CreateOwner {
  uid?: number;
  gid?: number;
}

export interface CommitRequest extends CreateOwner {
  path: string;
  /**
   * Write the content of this inode (the one the file was opened as), wherever its names are now:
   * a file renamed or hard-linked while open is committed to the right inode. 404 if it is gone.
   */
  ino?: number;
  size: number;
  mode?: number;
  mtimeMs?: number;
  mtime?: Timespec;
  /** the access time to set with this content (a utimens before the file's first commit: cp -a, tar -x); absent: unchanged (a new file: its creation time) */
  atime?: Timespec;
  chunks: ChunkRef[];
  /**
   * The content as extents indexing `chunks` (src/meta/extents.ts; `chunks` is then every chunk
   * they use, each named once). Absent: the chunks back to back from 0.
   */
  extents?: Extent[];
  /** per chunk, the receipts (RECEIPT_HEADER values) of the chunkservers that stored it */
  receipts: Record<string, string[]>;
  /**
   * New inline chunks (src/meta/inline.ts): chunk id → base64 bytes of chunks in `chunks` that go
   * into the inode record instead of onto chunkservers (no receipts). A chunk the file's current
   * version holds inline, named in `chunks` without receipts, stays inline without being sent
   * again. Each is at most INLINE_MAX bytes and the record's at most INLINE_CHUNKS_FACTOR × INLINE_MAX (413 TOO_LARGE
   * with { inlineMax } beyond); older controllers refuse the field (the client then stores them).
   */
  inlineChunks?: Record<string, string>;
  /** tags to add on commit */
  tags?: string[];
  /** if set, commit only if the current version equals this (409 EXISTS otherwise); "" = must not exist */
  ifVersion?: string;
  /**
   * A small file's bytes (base64; `chunks` empty, `size` their length), kept in the inode record:
   * no placement, no chunkserver. Refused with 413 TOO_LARGE ({ inlineMax }) above INLINE_MAX.
   */
  inline?: string;
  /**
   * This content replaces the file's (it was truncated to 0 since its last commit: `cp` over it,
   * O_TRUNC): the controller keeps the version it replaces in the trash (TRASH_TTL), if not empty.
   */
  replaces?: boolean;
  /**
   * The inode id of the file this commit creates, chosen by the mount (NEW_INO_RE) so the inode
   * number it showed since open (keys.ts inoNumber) stays: a create in a burst is one request, its
   * first commit (fuse/file-ops.ts). Ignored when the file exists or the id is taken; the answer
   * says the number used.
   */
  newIno?: string;
}

/** A mount-chosen inode id: `m`, 12 hex digits of the mount, `.`, a counter in base 36. */
export const NEW_INO_RE = /^m[0-9a-f]{12}\.[0-9a-z]{1,11}$/;

export interface MknodRequest extends CreateOwner {
  path: string;
  kind: 'fifo' | 'socket' | 'char' | 'block' | 'file';
  /** permission bits (file-type bits are ignored: `kind` says the type) */
  mode: number;
  /** device number for char and block devices */
  rdev?: number;
}

/** POST /v1/fs/remove-many: unlinks of non-directories in one transaction (a mount's unlink burst, fuse/unlink-behind.ts). */
export const REMOVE_MANY_MAX = 256;
/** One path's outcome: removed, or the error code and message that path alone got (NOT_FOUND, IS_DIR, NOT_DIR, INVALID). */
export type RemoveOutcome = { ok: true } | { ok: false; code: string; message: string };

export interface SetXattrRequest {
  path: string;
  /** with namespace prefix: user.*, trusted.*, security.* (the mount refuses other namespaces) */
  name: string;
  /** the value's bytes, base64 (at most 64 KiB decoded) */
  value: string;
  /** create: fail with EEXIST if it exists; replace: fail with ENODATA if it does not */
  flag?: 'create' | 'replace';
}

export interface StatfsInfo {
  /** bytes the cluster can still store at its replication factor */
  availBytes: number;
  /** capacity at the replication factor (used + avail) */
  totalBytes: number;
  /** inodes in the account's tree */
  files: number;
  /** inodes the account may still create, when it has a file quota (absent: no limit) */
  filesFree?: number;
  /** the account's usage (src/controller/usage-counters.ts); absent from older controllers */
  usage?: { files: number; bytes: number; rawBytes: number };
  /** the account's limits, 0 = none (QUOTA_BYTES, QUOTA_FILES, QUOTA_RAW_BYTES, QUOTA_USERS); absent from older controllers */
  quota?: { bytes: number; files: number; rawBytes: number };
}

export interface SetAttrRequest {
  path: string;
  mode?: number;
  /** chown/chgrp; the kernel (default_permissions) has checked who may */
  uid?: number;
  gid?: number;
  atime?: TimeSet;
  mtime?: TimeSet;
  mtimeMs?: number;
  /** truncate: new size (chunks are cut/extended by the client, which then commits; size-only here for 0) */
  size?: number;
}

export interface ChunkserverStatus {
  id: string;
  url: string;
  healthy: boolean;
  lastHeartbeatMs: number;
  capacityBytes: number;
  freeBytes: number;
  chunkCount: number;
  full: boolean;
  /** bytes of the chunks it holds (absent from chunkservers older than this field) */
  usedBytes?: number;
  /** the disk its data dir is on (absent from older chunkservers, which then count as a disk each) */
  disk?: DiskReport;
}

/**
 * The file system a chunkserver's data dir lives on, so chunkservers sharing one disk count it
 * once (src/controller/space.ts). `id` is the same for every chunkserver on that file system of
 * one machine (a hash of the kernel's boot id and the directory's st_dev).
 */
export interface DiskReport {
  id: string;
  /** size of the file system (statfs blocks × bsize) */
  totalBytes: number;
  /** bytes chunkservers may still fill on it: free to unprivileged users (bavail) minus MIN_FREE_BYTES */
  availBytes: number;
}

export interface ControllerStatus {
  id: string;
  url: string;
  alive: boolean;
  lastSeenMs: number;
  /** updates this controller has that the reporting one lacks (0 when in sync) */
  lag?: number;
}

export interface ClusterStatus {
  controller: string;
  controllers: ControllerStatus[];
  chunkservers: ChunkserverStatus[];
  chunks: { total: number; underReplicated: number; replicationFactor: string | number };
  /** whether this controller registers accounts now (in sync with a majority; register-gate.ts) */
  registration?: { open: boolean; reason?: string };
  /** what the answering controller warns about at start (e.g. the development CLUSTER_SECRET) */
  warnings?: string[];
  /** raw and logical space (src/controller/space.ts); absent from older controllers */
  space?: SpaceStatus;
  /** chunks no file references, not yet deleted; absent from older controllers */
  garbage?: GarbageStatus;
  /** the token's user's trash (entries not yet expired, bytes of their files); absent from older controllers */
  trash?: { entries: number; bytes: number; ttlMs: number };
}

/** One entry of a user's trash (src/meta/trash.ts). */
export interface TrashItem {
  /** where it was when removed (for a restore: where it went) */
  path: string;
  kind: EntryKind;
  size: number;
  removedAtMs: number;
  /** when the expiry sweep removes it for good */
  expiresMs: number;
  /** its `<time>` directory in the mount's .trash/ */
  time: string;
  /** the trashed link's id */
  id: string;
}

export interface SpaceStatus {
  /** copies each chunk gets now (the replication factor, at most the healthy chunkservers) */
  copies: number;
  chunkservers: number;
  /** distinct disks among the healthy chunkservers */
  disks: number;
  /** free bytes of the distinct disks, each counted once */
  rawFreeBytes: number;
  /** chunk bytes on the healthy chunkservers, every copy and garbage included */
  rawUsedBytes: number;
  /** what statfs reports: bytes of files the cluster can still store at `copies` … */
  availBytes: number;
  /** … rawUsedBytes / copies … */
  usedBytes: number;
  /** … and their sum */
  totalBytes: number;
}

export interface GarbageStatus {
  /** unreferenced chunks some chunkserver still holds (all of them, whichever controller collects them) */
  chunks: number;
  /** their copies */
  replicas: number;
  /** estimated bytes: the chunkservers' chunk bytes in proportion to the replicas (chunk sizes of garbage are not tracked) */
  bytesEstimate: number;
  /** GC_GRACE: how long a chunk stays unreferenced before it is deleted */
  graceMs: number;
  /** when this controller's next deletion of garbage is due (ms since epoch); absent when it tracks none */
  nextCollectionMs?: number;
  /** why this controller's collection is postponed (a peer unreachable or ahead), if it is */
  postponed?: string;
}

/** A controller as the answering one sees it, with its gossip exchange. */
export interface ControllerView extends ControllerStatus {
  /** updates the peer held that the answering controller lacked at the last exchange */
  behind?: number;
  /** when the answering controller last learned the peer's digest, ms */
  lastExchangeMs?: number;
}

/** GET /v1/cluster-view: what the status page shows (src/controller/status-page.ts). Never file names or user data. */
export interface ClusterView {
  controller: string;
  /** the answering controller's clock, ms: ages are computed against it, not the browser's */
  nowMs: number;
  heartbeatTimeoutMs: number;
  controllers: ControllerView[];
  chunkservers: ChunkserverStatus[];
  chunks: { total: number; underReplicated: number; replicationFactor: string | number };
  repair: {
    intervalMs: number;
    /** totals since this controller started */
    cycles: number; replicated: number; replicateFailed: number; trimmed: number; garbageDeleted: number;
    /** unreferenced chunks waiting out GC_GRACE */
    garbageWaiting: number;
    last?: { atMs: number; durationMs: number; underReplicated: number; replicated: number; replicateFailed: number; noSource: number; deferred: number; gcPostponed?: string };
  };
  /** conflicts resolved by this controller since start: record kind and peer only */
  conflicts: { total: number; recent: { atMs: number; peer: string; kind: string }[] };
  registration?: { open: boolean; reason?: string };
  /** only with STATUS_PAGE=login (a logged-in viewer): start-up warnings */
  warnings?: string[];
}

// ---- controller: internal (cluster-authenticated) ---------------------------------------------
// POST /internal/heartbeat   HeartbeatRequest → HeartbeatResponse
// POST /internal/report-bad  { chunkId, serverId, reason } → 204
// POST /internal/gossip      (see src/controller/gossip)

export interface HeartbeatRequest {
  id: string;
  url: string;
  capacityBytes: number;
  freeBytes: number;
  chunkCount: number;
  /** true when the server accepts no new chunks (disk full / below MIN_FREE_BYTES) */
  full: boolean;
  /** bytes of stored chunks (optional: older chunkservers do not send it) */
  usedBytes?: number;
  /** the disk of its data dir (optional: older chunkservers do not send it) */
  disk?: DiskReport;
  /** full inventory (at start and periodically) … */
  inventory?: string[];
  /** … or the changes since the last heartbeat this controller acknowledged */
  added?: string[];
  removed?: string[];
}

export interface HeartbeatResponse {
  /** every controller URL this controller knows */
  controllers: string[];
  /** ask for a full inventory next time (e.g. controller restarted and lost soft state) */
  needInventory: boolean;
}

// ---- chunkserver ------------------------------------------------------------------------------
// PUT    /chunks/:id   raw body, x-redcloud-cap (op w)  → 201/200 { id, size, receipt } (receipt also in RECEIPT_HEADER)
//                      422 INTEGRITY if the bytes do not hash to :id (nothing kept); 507 NO_SPACE when full
// GET    /chunks/:id   x-redcloud-cap (op r)             → raw bytes (404 NOT_FOUND), x-redcloud-chunk-format;
//                      with `Range: bytes=a-b` and x-redcloud-client-verifies: 1 → 206 those bytes (chunk-format.ts)
// GET    /chunks/:id/blocks  x-redcloud-cap (op r)       → the block list (n × 32 bytes; empty for format sha256)
// (a PUT names the format its id is in with x-redcloud-chunk-format; none means sha256, as before blocks)
// (a PUT with x-redcloud-forward, the placement's signed forward list, also streams the chunk to the
//  next hop the list names and answers the later hops' receipts or errors in `chain`: forward-list.ts)
// HEAD   /chunks/:id   x-redcloud-cap (op r or w)        → 200 with content-length and (for op w) the
//                      x-redcloud-receipt header, so an uploader skips chunks a target already has; or 404
// DELETE /chunks/:id   x-redcloud-cap (op d) or cluster auth → 204
// POST   /internal/replicate  { chunkId, sources: ChunkLocation[] } (cluster auth) → { id, size, receipt }
// GET    /internal/inventory  (cluster auth) → { chunks: string[] }
// POST   /internal/verify     { chunkId } (cluster auth) → { ok } re-hashes the stored copy; a bad one
//                             is quarantined (deleted and reported to the controllers)
export interface ChunkPutResponse {
  id: string;
  size: number;
  receipt: string;
  /** false when the chunk was already there */
  created: boolean;
  /** a pipelined PUT (FORWARD_HEADER): what each later hop answered, in order */
  chain?: import('./forward-list.js').ChainLink[];
}
