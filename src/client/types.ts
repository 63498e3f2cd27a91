/**
 * What the CLI and the FUSE driver need from the cluster: the RedCloudClient interface. The
 * implementation (client.ts) fails over between controllers, uploads chunks in parallel and
 * downloads with replica failover; callers see only RedCloudErrors.
 */
import type { SnapshotInfo } from '../common/snapshot-api.js';
import type { Readable } from 'node:stream';
import type { ClusterStatus, CreateOwner, EntryInfo, LoginResponse, MknodRequest, ReadPlan, RemoveOutcome, SetAttrRequest, StatfsInfo, Timespec, TrashItem } from '../common/api.js';
import type { ChunkRef } from '../meta/types.js';
import type { Span } from '../meta/extents.js';
import type { InlineChunkLimits } from '../meta/inline.js';

export interface CallOptions {
  signal?: AbortSignal;
  /** this call's timeout instead of REQUEST_TIMEOUT (calls whose work grows with the tree: snapshots) */
  timeoutMs?: number;
}

export interface Progress {
  /** bytes done so far */
  doneBytes: number;
  totalBytes: number;
}

export interface UploadOptions extends CallOptions, CreateOwner {
  tags?: string[];
  mode?: number;
  mtimeMs?: number;
  /** mtime to nanoseconds (CommitRequest.mtime; a utimens before the first commit), over mtimeMs */
  mtime?: Timespec;
  /** the access time to set (CommitRequest.atime; a utimens before the first commit) */
  atime?: Timespec;
  /** commit to this inode (the one opened), wherever its names are now (CommitRequest.ino) */
  ino?: number;
  /**
   * the content replaces the file's: its previous version goes to the trash (CommitRequest.replaces);
   * uploadFile and uploadStream replace a whole file and default to true, commitChunks to false
   */
  replaces?: boolean;
  /** the id of the inode a creating commit makes (CommitRequest.newIno; a mount's create in a burst) */
  newIno?: string;
  onProgress?: (p: Progress) => void;
}

export interface DownloadOptions extends CallOptions {
  onProgress?: (p: Progress) => void;
}

/** A chunk of a staged file, as the FUSE driver hands it over for a partial re-upload. */
export interface StagedChunk {
  /** index in the file */
  index: number;
  /** already-known chunk (unchanged, or stored earlier: then with `receipts`) or new bytes to upload */
  ref?: ChunkRef;
  /** write receipts of a `ref` stored earlier with storeChunk (a chunk the file does not reference yet) */
  receipts?: string[];
  data?: Buffer;
  /**
   * New bytes read only when their upload starts (bounded memory: at most `concurrency` chunks
   * are held): resolves with the bytes and their ref (hashed by the loader). Needs `sizeBytes`.
   */
  load?: () => Promise<{ ref: ChunkRef; data: Buffer }>;
  /** size of a `load` chunk, known before it is loaded */
  sizeBytes?: number;
}

/**
 * A new chunk of an extent commit: `data` is stored first (or, with `inline`, sent in the commit
 * into the inode record; `inline` is cleared when the controller refused that and the chunk was
 * stored on chunkservers instead), or it was stored earlier (`receipts`, storeChunk).
 */
export interface FreshChunk {
  ref: ChunkRef;
  data?: Buffer;
  receipts?: string[];
  inline?: boolean;
}

export interface RedCloudClient {
  // accounts
  register(user: string, password: string, opts?: CallOptions): Promise<void>;
  /** Logs in and adopts the token (and learns the controller list). */
  login(user: string, password: string, opts?: CallOptions): Promise<LoginResponse>;
  whoami(opts?: CallOptions): Promise<{ user: string; controllers: string[] }>;

  // namespace
  stat(path: string, opts?: CallOptions): Promise<EntryInfo>;
  list(path: string, opts?: CallOptions): Promise<EntryInfo[]>;
  find(tags: string[], opts?: CallOptions & { under?: string }): Promise<EntryInfo[]>;
  tags(opts?: CallOptions): Promise<{ tag: string; count: number }[]>;
  /** the user's trash, newest first, and TRASH_TTL (optional: the test fakes have no trash) */
  trashList?(opts?: CallOptions): Promise<{ items: TrashItem[]; ttlMs: number }>;
  /** the read plan of a trashed file by its entry id (TrashItem.id), read without restoring it */
  trashRead?(id: string, opts?: CallOptions): Promise<ReadPlan>;
  /** brings back what was at `path` (and below it), to where it was or below `to` */
  trashRestore?(path: string, opts?: CallOptions & { to?: string }): Promise<TrashItem[]>;
  /** removes for good everything in the trash (or what was at or below `path`) */
  trashEmpty?(opts?: CallOptions & { path?: string }): Promise<number>;
  mkdir(path: string, opts?: CallOptions & CreateOwner & { mode?: number; parents?: boolean }): Promise<EntryInfo>;
  symlink(path: string, target: string, opts?: CallOptions & CreateOwner): Promise<EntryInfo>;
  /** fifo, socket, char/block device (metadata only), or an empty regular file */
  mknod(req: MknodRequest, opts?: CallOptions): Promise<EntryInfo>;
  /** hard link: `to` becomes a second name of the inode of `from` */
  link(from: string, to: string, opts?: CallOptions): Promise<EntryInfo>;
  remove(path: string, opts?: CallOptions & { recursive?: boolean }): Promise<number>;
  /** removes one name (remove without recursive); also answers its directory's entry after the change, if the controller sends it */
  unlink(path: string, opts?: CallOptions): Promise<{ removed: number; parent?: EntryInfo }>;
  /**
   * Unlinks of several non-directories in one request and one controller transaction; each path's
   * outcome, in order (a refused path changes nothing). NOT_FOUND for the request itself: the
   * controller predates the route (POST /v1/fs/remove-many).
   */
  unlinkMany(paths: string[], opts?: CallOptions): Promise<RemoveOutcome[]>;
  rename(from: string, to: string, opts?: CallOptions): Promise<EntryInfo>;
  setattr(path: string, attrs: Omit<SetAttrRequest, 'path'>, opts?: CallOptions): Promise<EntryInfo>;
  /** an extended attribute's value (NO_XATTR when absent) */
  getXattr(path: string, name: string, opts?: CallOptions): Promise<Buffer>;
  listXattrs(path: string, opts?: CallOptions): Promise<string[]>;
  setXattr(path: string, name: string, value: Buffer, opts?: CallOptions & { flag?: 'create' | 'replace' }): Promise<void>;
  removeXattr(path: string, name: string, opts?: CallOptions): Promise<void>;
  statfs(opts?: CallOptions): Promise<StatfsInfo>;
  tag(path: string, change: { add?: string[]; remove?: string[] }, opts?: CallOptions): Promise<EntryInfo>;
  status(opts?: CallOptions): Promise<ClusterStatus>;

  // data
  /** Uploads a local file (streamed, bounded memory) to `remotePath` and commits it; a file it replaces goes to the trash (`replaces`). */
  uploadFile(localPath: string, remotePath: string, opts?: UploadOptions): Promise<EntryInfo>;
  /** Uploads bytes from a stream of known or unknown length; a file it replaces goes to the trash (`replaces`). */
  uploadStream(source: Readable, remotePath: string, opts?: UploadOptions): Promise<EntryInfo>;
  /**
   * Commits a file made of known chunks plus new bytes (FUSE partial re-upload): only `data`
   * chunks are uploaded. `chunks` covers the whole file in order.
   */
  commitChunks(remotePath: string, chunks: StagedChunk[], size: number, opts?: UploadOptions & { ifVersion?: string }): Promise<EntryInfo>;
  /**
   * Commits the file as `spans` (src/meta/extents.ts) over its old chunks and `fresh` ones: those
   * with `data` are stored first (quorum, as every upload), those with `receipts` were stored
   * earlier (storeChunk). Only the fresh bytes travel: a 4 KiB overwrite stores 4 KiB.
   */
  commitExtents(
    remotePath: string, spans: Span<ChunkRef>[], fresh: FreshChunk[], size: number,
    opts?: UploadOptions & { ifVersion?: string },
  ): Promise<EntryInfo>;
  /**
   * Inline chunks (src/meta/inline.ts) this client may commit (commitExtents with `inline` fresh
   * chunks): zeros once a controller refused them. Absent: the client has none (fakes).
   */
  readonly inlineChunkLimits?: InlineChunkLimits;
  /**
   * Stores one chunk on its chunkservers without committing anything (the mount's write-behind):
   * resolves with its ref and the receipts a later commitChunks passes along with the ref.
   */
  storeChunk(data: Buffer, opts?: CallOptions): Promise<{ ref: ChunkRef; receipts: string[] }>;
  /** Downloads to a local file: written to a temp file beside it and renamed when whole and verified. */
  downloadFile(remotePath: string, localPath: string, opts?: DownloadOptions): Promise<EntryInfo>;
  /** The read plan of a file (chunks with locations and capabilities). */
  readPlan(path: string, opts?: CallOptions): Promise<ReadPlan>;
  /**
   * Fetches one chunk, verified by hash, failing over between its replicas. `deadlineMs` (epoch
   * ms): each replica attempt gets a share of the time left (attempt-share.ts). `into` (at least
   * chunk.size bytes) receives the bytes instead of a new buffer; the answer is then a view of it.
   */
  fetchChunk(chunk: ReadPlan['chunks'][number], opts?: CallOptions & { deadlineMs?: number; into?: Buffer }): Promise<Buffer>;
  /** Bytes [from, to) of one chunk, fetching and verifying only the 64 KiB blocks they cover (whole for a v1 chunk). */
  fetchRange(chunk: ReadPlan['chunks'][number], from: number, to: number, opts?: CallOptions & { deadlineMs?: number }): Promise<Buffer>;

  /**
   * Commits a small file whose bytes live in its inode record (no placement, no chunkserver): one
   * controller call. Undefined when the controller keeps no file this large inline (INLINE_MAX, or
   * a controller without inline files): then `inlineMaxBytes` is lowered and the caller stores chunks.
   */
  commitInline(remotePath: string, data: Buffer, opts?: UploadOptions & { ifVersion?: string }): Promise<EntryInfo | undefined>;

  /** The id this client gives a chunk of these bytes (its CHUNK_FORMAT; chunk-format.ts). */
  chunkId(data: Buffer): Promise<string>;
  /** The chunk size uploads use. */
  readonly chunkSizeBytes: number;

  // snapshots (optional: test fakes may lack them; the mount then has no .snapshots/)
  /** the same account reading snapshot NAME, read-only */
  inSnapshot?(name: string): RedCloudClient;
  snapshots?(opts?: CallOptions): Promise<SnapshotInfo[]>;
  /** Largest file written inline (src/meta/inline.ts fitsInline); 0: none. Lowered when a controller refuses one. */
  readonly inlineMaxBytes: number;
}
