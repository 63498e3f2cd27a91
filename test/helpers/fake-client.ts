/**
 * An in-memory RedCloudClient for the driver's unit tests and fake-cluster mounts: a namespace of
 * inodes (hard links share one: nlink counts the names, xattrs, owner, mode and times are the
 * inode's; times are Timespecs), a content-addressed chunk map, call counters, and hooks to fail
 * or stall a method. `legacy` makes it answer like a controller older than the inode namespace
 * (no ino/uid/gid/nlink/Timespec fields; statfs and xattr routes 404). Not used in production paths.
 */
import type { Readable } from 'node:stream';
import type {
  ClusterStatus, CreateOwner, EntryInfo, LoginResponse, MknodRequest, ReadPlan, RemoveOutcome, SetAttrRequest, StatfsInfo, TimeSet, Timespec,
} from '../../src/common/api.js';
import { declaredTags, withDeclared } from '../../src/common/declared-tags.js';
import { RedCloudError, errors } from '../../src/common/errors.js';
import { sha256Hex } from '../../src/common/hash.js';
import { baseName, parentOf } from '../../src/common/paths.js';
import { inoNumber } from '../../src/meta/keys.js';
import type { ChunkRef, EntryKind } from '../../src/meta/types.js';
import { extentsProblem, spansOf, toRecord, type Extent, type Span } from '../../src/meta/extents.js';
import type { CallOptions, FreshChunk, RedCloudClient, StagedChunk, UploadOptions } from '../../src/client/types.js';

const XATTR_VALUE_MAX_BYTES = 64 * 1024;

function tsOfMs(ms: number): Timespec {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1e6 };
}

function msOfTs(t: Timespec): number {
  return t.sec * 1000 + Math.floor(t.nsec / 1e6);
}

/** One inode; every name of a hard-linked file maps to the same object. */
export class FakeInode {
  size = 0;
  tags: string[] = [];
  chunks: ChunkRef[] = [];
  /** a small file's bytes kept inline (commitInline) instead of chunks */
  inline?: Buffer;
  /** the content as extents over `chunks` (commitExtents) */
  extents?: Extent[];
  /** ids of its chunks kept inline (commitExtents with inline fresh chunks) */
  inlineChunks?: Set<string>;
  target?: string;
  rdev = 0;
  readonly xattrs = new Map<string, Buffer>();
  /** directory entries naming it (files; directories count 2 + subdirectories) */
  links = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;

  constructor(readonly ino: number, public kind: EntryKind, public mode: number, public uid: number, public gid: number, now: Timespec, public version: number) {
    this.atime = now;
    this.mtime = now;
    this.ctime = now;
  }

  get mtimeMs(): number {
    return msOfTs(this.mtime);
  }

  set mtimeMs(ms: number) {
    this.mtime = tsOfMs(ms);
  }

  get ctimeMs(): number {
    return msOfTs(this.ctime);
  }
}

export class FakeClient implements RedCloudClient {
  /** path → inode (hard links: several paths, one object) */
  readonly entries = new Map<string, FakeInode>();
  readonly inodes = new Map<number, FakeInode>();
  readonly chunks = new Map<string, Buffer>();
  readonly calls: Record<string, number> = {};
  /** the requests of the calls, by method, for tests that check what the mount asked */
  readonly requests: Record<string, unknown[]> = {};
  /** chunks received as data by commitChunks, per call */
  readonly uploads: number[][] = [];
  /** next call of a method throws this error */
  readonly failNext = new Map<string, RedCloudError>();
  /** calls of these methods never resolve (until their signal aborts) */
  readonly stall = new Set<string>();
  /** when true, no bytes are kept (throughput measurements) */
  discardData = false;
  /** answer like a controller without the inode namespace */
  legacy = false;
  /** owner of inodes created without one */
  defaultOwner = { uid: 0, gid: 0 };
  capacityBytes = 1024 ** 4;
  /** files up to this size are committed inline (0, the default: never, so the chunk counts of older tests hold) */
  inlineMaxBytes = 0;
  /** the controller's INLINE_MAX, when lower: a larger inline commit is refused (undefined) and inlineMaxBytes lowered, as the real client does */
  controllerInlineMax: number | undefined;
  private seq = 0;
  private nextIno = 100;

  constructor(readonly chunkSizeBytes = 4 * 1024 * 1024, private readonly nowMs: () => number = () => 1_700_000_000_000) {
    this.place('/', this.newInode('dir', 0o755));
  }

  private now(): Timespec {
    return tsOfMs(this.nowMs());
  }

  /** `number`: the inode number a mount chose (CommitRequest.newIno), if free */
  private newInode(kind: EntryKind, mode: number, owner: CreateOwner = {}, number?: number): FakeInode {
    const free = number !== undefined && !this.inodes.has(number);
    const e = new FakeInode(free ? number : this.nextIno++, kind, mode & 0o7777, owner.uid ?? this.defaultOwner.uid, owner.gid ?? this.defaultOwner.gid, this.now(), ++this.seq);
    this.inodes.set(e.ino, e);
    return e;
  }

  /** Names `e` at `path` (which must be free). */
  private place(path: string, e: FakeInode): void {
    this.entries.set(path, e);
    e.links++;
    this.dirChanged(path);
  }

  /** An entry in the directory of `path` came or went: its mtime and ctime move. */
  private dirChanged(path: string): void {
    const dir = path === '/' ? undefined : this.entries.get(parentOf(path));
    if (!dir) return;
    dir.mtime = dir.ctime = this.now();
    dir.version = ++this.seq;
  }

  /** Drops the name `path`; the inode goes with its last name. */
  private unname(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    e.links--;
    e.ctime = this.now();
    this.dirChanged(path);
    if (e.links <= 0) this.inodes.delete(e.ino);
  }

  private touch(e: FakeInode): void {
    e.ctime = this.now();
    e.version = ++this.seq;
  }

  private async enter(method: string, opts?: CallOptions, request?: unknown): Promise<void> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    if (request !== undefined) (this.requests[method] ??= []).push(request);
    const err = this.failNext.get(method);
    if (err) {
      this.failNext.delete(method);
      throw err;
    }
    if (this.stall.has(method)) {
      await new Promise<never>((_, reject) => {
        const s = opts?.signal;
        if (s) s.addEventListener('abort', () => reject(errors.aborted(`${method} aborted`)), { once: true });
      });
    }
  }

  /** A route older controllers lack: 404 in legacy mode. */
  private newRoute(name: string): void {
    if (this.legacy) throw errors.notFound(`Route ${name} not found`);
  }

  private nlinkOf(path: string, e: FakeInode): number {
    if (e.kind !== 'dir') return e.links;
    let subdirs = 0;
    for (const [p, c] of this.entries) if (p !== '/' && c.kind === 'dir' && parentOf(p) === path) subdirs++;
    return 2 + subdirs;
  }

  private info(path: string, e: FakeInode): EntryInfo {
    return {
      path, kind: e.kind, size: e.size, mode: e.mode, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, tags: [...e.tags],
      ...(this.legacy ? {} : {
        ino: e.ino, uid: e.uid, gid: e.gid, nlink: this.nlinkOf(path, e), rdev: e.rdev,
        atime: { ...e.atime }, mtime: { ...e.mtime }, ctime: { ...e.ctime }, xattrs: [...e.xattrs.keys()],
      }),
      ...(e.target !== undefined ? { target: e.target } : {}),
      ...(e.kind === 'file' ? { chunkCount: e.chunks.length } : {}),
      version: String(e.version),
    };
  }

  private get(path: string): FakeInode {
    const e = this.entries.get(path);
    if (!e) throw errors.notFound(`No such file or directory: ${path}`, { path });
    return e;
  }

  private ensureParents(path: string): void {
    const parent = parentOf(path);
    if (parent === path) return;
    const e = this.entries.get(parent);
    if (e && e.kind !== 'dir') throw errors.notDir(`Not a directory: ${parent}`);
    if (!e) {
      this.ensureParents(parent);
      this.place(parent, this.newInode('dir', 0o755));
    }
  }

  private parentDir(path: string): FakeInode {
    const parent = this.entries.get(parentOf(path));
    if (!parent) throw errors.notFound(`No such directory: ${parentOf(path)}`);
    if (parent.kind !== 'dir') throw errors.notDir(`Not a directory: ${parentOf(path)}`);
    return parent;
  }

  private free(path: string): void {
    if (this.entries.has(path)) throw errors.exists(`Already exists: ${path}`, { path });
  }

  /** Test helper: puts a file with these bytes, cut into chunks (a new inode at `path`). */
  putFile(path: string, data: Buffer, mode = 0o644): FakeInode {
    const refs: ChunkRef[] = [];
    for (let off = 0; off < data.length; off += this.chunkSizeBytes) {
      const part = Buffer.from(data.subarray(off, off + this.chunkSizeBytes));
      const id = sha256Hex(part);
      this.chunks.set(id, part);
      refs.push({ id, size: part.length });
    }
    this.ensureParents(path);
    this.unname(path);
    const e = this.newInode('file', mode);
    e.size = data.length;
    e.chunks = refs;
    this.place(path, e);
    return e;
  }

  /** Test helper: the bytes of a file. */
  content(path: string): Buffer {
    const inline = this.get(path).inline;
    if (inline) return Buffer.from(inline);
    const e = this.get(path);
    if (!e.extents) return Buffer.concat(e.chunks.map((c) => this.chunks.get(c.id)!));
    const out = Buffer.alloc(e.size);
    for (const s of spansOf(e.chunks, e.extents)) this.chunks.get(s.chunk.id)!.copy(out, s.off, s.chunkOff, s.chunkOff + s.len);
    return out;
  }

  async register(): Promise<void> { await this.enter('register'); }
  async login(user: string): Promise<LoginResponse> {
    await this.enter('login');
    return { token: 'fake', expiresAt: this.nowMs() + 3_600_000, user, controllers: ['fake://'] };
  }
  async whoami(): Promise<{ user: string; controllers: string[] }> {
    await this.enter('whoami');
    return { user: 'fake', controllers: ['fake://'] };
  }

  async stat(path: string, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('stat', opts);
    return this.info(path, this.get(path));
  }

  async list(path: string, opts?: CallOptions): Promise<EntryInfo[]> {
    await this.enter('list', opts);
    if (this.get(path).kind !== 'dir') throw errors.notDir(`Not a directory: ${path}`);
    return [...this.entries].filter(([p]) => p !== '/' && parentOf(p) === path).map(([p, e]) => this.info(p, e));
  }

  async find(tags: string[]): Promise<EntryInfo[]> {
    await this.enter('find');
    return [...this.entries].filter(([, e]) => e.kind === 'file' && tags.every((t) => e.tags.includes(t))).map(([p, e]) => this.info(p, e));
  }

  /** as the controller: tags in use with their counts, and the root's declared tags (count 0 while unused) */
  async tags(): Promise<{ tag: string; count: number }[]> {
    await this.enter('tags');
    const counts = new Map<string, number>();
    for (const [p, e] of this.entries) if (p !== '/') for (const t of e.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
    const root = this.entries.get('/');
    return withDeclared([...counts].map(([tag, count]) => ({ tag, count })), declaredTags(root ? root.xattrs.keys() : []));
  }

  async mkdir(path: string, opts?: CallOptions & CreateOwner & { mode?: number; parents?: boolean }): Promise<EntryInfo> {
    await this.enter('mkdir', opts, { path, mode: opts?.mode, uid: opts?.uid, gid: opts?.gid });
    this.free(path);
    if (!this.entries.has(parentOf(path)) && !opts?.parents) throw errors.notFound(`No such directory: ${parentOf(path)}`);
    this.ensureParents(path);
    const e = this.newInode('dir', opts?.mode ?? 0o755, opts);
    this.place(path, e);
    return this.info(path, e);
  }

  async symlink(path: string, target: string, opts?: CallOptions & CreateOwner): Promise<EntryInfo> {
    await this.enter('symlink', opts, { path, target, uid: opts?.uid, gid: opts?.gid });
    this.free(path);
    this.ensureParents(path);
    const e = this.newInode('symlink', 0o777, opts);
    e.target = target;
    e.size = Buffer.byteLength(target);
    this.place(path, e);
    return this.info(path, e);
  }

  async mknod(req: MknodRequest, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('mknod', opts, req);
    this.newRoute('mknod');
    this.free(req.path);
    this.parentDir(req.path);
    const e = this.newInode(req.kind, req.mode, req);
    if (req.kind === 'char' || req.kind === 'block') e.rdev = req.rdev ?? 0;
    this.place(req.path, e);
    return this.info(req.path, e);
  }

  async link(from: string, to: string, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('link', opts, { from, to });
    this.newRoute('link');
    const e = this.get(from);
    if (e.kind === 'dir') throw errors.notPermitted(`Is a directory: ${from}`);
    this.free(to);
    this.parentDir(to);
    this.place(to, e);
    this.touch(e);
    return this.info(to, e);
  }

  async remove(path: string, opts?: CallOptions & { recursive?: boolean }): Promise<number> {
    await this.enter('remove', opts);
    const e = this.get(path);
    const children = [...this.entries.keys()].filter((p) => p.startsWith(`${path}/`));
    if (e.kind === 'dir' && children.length > 0 && !opts?.recursive) throw errors.notEmpty(`Directory not empty: ${path}`);
    for (const c of children) this.unname(c);
    this.unname(path);
    return 1 + children.length;
  }

  async unlink(path: string, opts?: CallOptions): Promise<{ removed: number; parent?: EntryInfo }> {
    const removed = await this.remove(path, opts);
    const dir = parentOf(path);
    return { removed, parent: this.info(dir, this.get(dir)) };
  }

  async unlinkMany(paths: string[], opts?: CallOptions): Promise<RemoveOutcome[]> {
    await this.enter('unlinkMany', opts);
    return paths.map((path): RemoveOutcome => {
      const e = this.entries.get(path);
      if (!e) return { ok: false, code: 'NOT_FOUND', message: `No such file or directory: ${path}` };
      if (e.kind === 'dir') return { ok: false, code: 'IS_DIR', message: `Is a directory: ${path}` };
      this.unname(path);
      return { ok: true };
    });
  }

  async rename(from: string, to: string, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('rename', opts);
    const e = this.get(from);
    const existing = this.entries.get(to);
    if (existing === e) return this.info(to, e); // two names of one inode: nothing to do (POSIX)
    if (existing?.kind === 'dir' && [...this.entries.keys()].some((p) => p.startsWith(`${to}/`))) {
      throw errors.notEmpty(`Directory not empty: ${to}`);
    }
    if (existing && existing.kind === 'dir' && e.kind !== 'dir') throw errors.isDir(`Is a directory: ${to}`);
    if (existing && existing.kind !== 'dir' && e.kind === 'dir') throw errors.notDir(`Not a directory: ${to}`);
    this.ensureParents(to);
    this.unname(to);
    for (const [p, child] of [...this.entries]) {
      if (p.startsWith(`${from}/`)) {
        this.entries.delete(p);
        this.entries.set(to + p.slice(from.length), child);
      }
    }
    this.entries.delete(from);
    this.entries.set(to, e);
    this.dirChanged(from);
    this.dirChanged(to);
    this.touch(e);
    return this.info(to, e);
  }

  private timeOf(t: TimeSet): Timespec {
    return t === 'now' ? this.now() : { ...t };
  }

  async setattr(path: string, attrs: Omit<SetAttrRequest, 'path'>, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('setattr', opts, { path, ...attrs });
    const e = this.get(path);
    if (attrs.mode !== undefined) e.mode = attrs.mode & 0o7777;
    if (attrs.uid !== undefined) e.uid = attrs.uid;
    if (attrs.gid !== undefined) e.gid = attrs.gid;
    if (attrs.mtimeMs !== undefined) e.mtimeMs = attrs.mtimeMs;
    if (attrs.atime !== undefined) e.atime = this.timeOf(attrs.atime);
    if (attrs.mtime !== undefined) e.mtime = this.timeOf(attrs.mtime);
    this.touch(e);
    return this.info(path, e);
  }

  async getXattr(path: string, name: string, opts?: CallOptions): Promise<Buffer> {
    await this.enter('getXattr', opts);
    this.newRoute('xattr');
    const v = this.get(path).xattrs.get(name);
    if (!v) throw errors.noXattr(`No attribute ${name} on ${path}`);
    return Buffer.from(v);
  }

  async listXattrs(path: string, opts?: CallOptions): Promise<string[]> {
    await this.enter('listXattrs', opts);
    this.newRoute('xattrs');
    return [...this.get(path).xattrs.keys()];
  }

  async setXattr(path: string, name: string, value: Buffer, opts?: CallOptions & { flag?: 'create' | 'replace' }): Promise<void> {
    await this.enter('setXattr', opts, { path, name, value: Buffer.from(value), flag: opts?.flag });
    this.newRoute('xattr');
    const e = this.get(path);
    if (value.length > XATTR_VALUE_MAX_BYTES) throw errors.tooLarge(`xattr value over ${XATTR_VALUE_MAX_BYTES} bytes`);
    if (opts?.flag === 'create' && e.xattrs.has(name)) throw errors.exists(`Attribute ${name} exists`);
    if (opts?.flag === 'replace' && !e.xattrs.has(name)) throw errors.noXattr(`No attribute ${name}`);
    e.xattrs.set(name, Buffer.from(value));
    this.touch(e);
  }

  async removeXattr(path: string, name: string, opts?: CallOptions): Promise<void> {
    await this.enter('removeXattr', opts);
    this.newRoute('xattr/remove');
    const e = this.get(path);
    if (!e.xattrs.delete(name)) throw errors.noXattr(`No attribute ${name}`);
    this.touch(e);
  }

  async statfs(opts?: CallOptions): Promise<StatfsInfo> {
    await this.enter('statfs', opts);
    this.newRoute('statfs');
    return { availBytes: this.capacityBytes / 4, totalBytes: this.capacityBytes, files: this.inodes.size };
  }

  async tag(path: string, change: { add?: string[]; remove?: string[] }, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('tag', opts);
    const e = this.get(path);
    const set = new Set(e.tags);
    for (const t of change.add ?? []) set.add(t);
    for (const t of change.remove ?? []) set.delete(t);
    e.tags = [...set];
    return this.info(path, e);
  }

  async status(opts?: CallOptions): Promise<ClusterStatus> {
    await this.enter('status', opts);
    return {
      controller: 'fake',
      controllers: [{ id: 'fake', url: 'fake://', alive: true, lastSeenMs: this.nowMs() }],
      chunkservers: [
        { id: 'cs1', url: 'fake://cs1', healthy: true, lastHeartbeatMs: 0, capacityBytes: this.capacityBytes, freeBytes: this.capacityBytes / 2, chunkCount: this.chunks.size, full: false },
        { id: 'cs2', url: 'fake://cs2', healthy: false, lastHeartbeatMs: 0, capacityBytes: 999, freeBytes: 999, chunkCount: 0, full: false },
      ],
      chunks: { total: this.chunks.size, underReplicated: 0, replicationFactor: 'all' },
    };
  }

  async uploadFile(): Promise<EntryInfo> {
    throw errors.notSupported('uploadFile is not faked');
  }

  async uploadStream(_source: Readable): Promise<EntryInfo> {
    throw errors.notSupported('uploadStream is not faked');
  }

  private async refsOf(chunks: StagedChunk[], uploaded: number[]): Promise<ChunkRef[]> {
    const refs: ChunkRef[] = [];
    for (const c of chunks) {
      if (c.ref && c.receipts) {
        // stored earlier by storeChunk: the bytes were sent then
        if (!this.discardData && !this.chunks.has(c.ref.id)) throw errors.invalid(`Chunk ${c.ref.id} was never stored`);
        refs.push(c.ref);
        uploaded.push(c.index);
        continue;
      }
      const data = c.data ?? (c.load ? (await c.load()).data : undefined);
      if (data) {
        if (c.load && data.length !== c.sizeBytes) throw errors.invalid(`Staged chunk ${c.index} loaded ${data.length} bytes, ${c.sizeBytes} expected`);
        const id = sha256Hex(data);
        if (!this.discardData) this.chunks.set(id, Buffer.from(data));
        refs.push({ id, size: data.length });
        uploaded.push(c.index);
      } else {
        if (!c.ref || (!this.discardData && !this.chunks.has(c.ref.id))) throw errors.invalid(`Unknown chunk ref at ${c.index}`);
        refs.push(c.ref);
      }
    }
    return refs;
  }

  /**
   * Writes the content of the inode `opts.ino` (wherever its names are now), else of the file at
   * `path` (the same inode: hard links keep seeing it), else creates a file there.
   */
  async commitChunks(path: string, chunks: StagedChunk[], size: number, opts?: UploadOptions & { ifVersion?: string }): Promise<EntryInfo> {
    await this.enter('commitChunks', opts, { path, size, ino: opts?.ino, ...(opts?.newIno ? { newIno: opts.newIno } : {}), uid: opts?.uid, gid: opts?.gid, mode: opts?.mode });
    const uploaded: number[] = [];
    const refs = await this.refsOf(chunks, uploaded);
    if (refs.reduce((n, r) => n + r.size, 0) !== size) throw errors.invalid('Chunk sizes do not add up to size');
    const e = this.contentTarget(path, opts, !this.legacy);
    this.uploads.push(uploaded);
    return this.setContent(path, e, opts, { size, chunks: refs });
  }

  /** The file a commit writes: the inode `opts.ino` (if `byIno`), else the file at `path`, else a new file there. */
  private contentTarget(path: string, opts: UploadOptions | undefined, byIno: boolean): FakeInode {
    if (opts?.ino !== undefined && byIno) {
      const e = this.inodes.get(opts.ino);
      if (!e) throw errors.notFound(`No inode ${opts.ino}`, { ino: opts.ino });
      return e;
    }
    let e = this.entries.get(path);
    if (e && e.kind !== 'file') throw errors.isDir(`Is a directory: ${path}`);
    if (!e) {
      this.ensureParents(path);
      e = this.newInode('file', opts?.mode ?? 0o644, opts, opts?.newIno !== undefined ? inoNumber(opts.newIno) : undefined);
      this.place(path, e);
    }
    return e;
  }

  /** A commit's new content (and mode, mtime) on `e`; answers with the entry under `path`, or another of its names. */
  private setContent(path: string, e: FakeInode, opts: UploadOptions | undefined, content: { size: number; chunks: ChunkRef[]; extents?: Extent[]; inline?: Buffer }): EntryInfo {
    if (opts?.mode !== undefined) e.mode = opts.mode & 0o7777;
    e.size = content.size;
    e.chunks = content.chunks;
    e.extents = content.extents;
    e.inline = content.inline;
    e.inlineChunks = undefined;
    e.mtime = opts?.mtime ? { ...opts.mtime } : opts?.mtimeMs !== undefined ? tsOfMs(opts.mtimeMs) : this.now();
    if (opts?.atime) e.atime = { ...opts.atime };
    this.touch(e);
    const name = this.entries.get(path) === e ? path : [...this.entries].find(([, v]) => v === e)?.[0] ?? path;
    return this.info(name, e);
  }

  /** bytes received as fresh chunk data by commitExtents, per call (inline chunks not counted) */
  readonly extentUploads: number[] = [];
  /** inline chunk bytes received by commitExtents, per call */
  readonly inlineUploads: number[] = [];
  /** set: the client commits inline chunks within these limits (as the real client does) */
  inlineChunkLimits: { chunkMaxBytes: number; recordMaxBytes: number } | undefined;
  /** the controller's limit of a record's inline chunk bytes, when lower than the client's (413 and lowered limits beyond) */
  controllerInlineChunksMax: number | undefined;

  async commitExtents(
    path: string, spans: Span<ChunkRef>[], fresh: FreshChunk[], size: number, opts?: UploadOptions & { ifVersion?: string },
  ): Promise<EntryInfo> {
    await this.enter('commitExtents', opts, { path, size, ino: opts?.ino, ...(opts?.newIno ? { newIno: opts.newIno } : {}), fresh: fresh.length });
    let bytes = 0;
    let inlineBytes = 0;
    const e0 = opts?.ino !== undefined ? this.inodes.get(opts.ino) : this.entries.get(path);
    const inline = new Set<string>();
    for (const f of fresh) {
      if (f.inline && (!f.data || f.data.length > (this.inlineChunkLimits?.chunkMaxBytes ?? 0))) throw errors.invalid('Inline chunk without bytes or over the limit');
      if (f.data) {
        if (sha256Hex(f.data) !== f.ref.id || f.data.length !== f.ref.size) throw errors.invalid('Fresh chunk does not match its ref');
        if (!this.discardData) this.chunks.set(f.ref.id, Buffer.from(f.data));
        if (f.inline) {
          inline.add(f.ref.id);
          inlineBytes += f.data.length;
        } else bytes += f.data.length;
      } else if (!this.discardData && !this.chunks.has(f.ref.id)) throw errors.invalid(`Chunk ${f.ref.id} was never stored`);
    }
    for (const s of spans) if (!this.discardData && !this.chunks.has(s.chunk.id)) throw errors.invalid(`Unknown chunk ${s.chunk.id}`);
    const rec = toRecord(spans, size);
    const problem = rec.extents ? extentsProblem(rec.extents, rec.chunks, size) : undefined;
    if (problem) throw errors.invalid(`extents ${problem}`);
    const e = this.contentTarget(path, opts, true);
    if (e.kind !== 'file') throw errors.isDir(`Is a directory: ${path}`);
    this.extentUploads.push(bytes);
    this.inlineUploads.push(inlineBytes);
    // inline chunks of the current version named again stay inline (as the controller keeps them)
    for (const c of rec.chunks) if (e0?.inlineChunks?.has(c.id) && !fresh.some((f) => f.ref.id === c.id && !f.inline)) inline.add(c.id);
    const total = rec.chunks.filter((c) => inline.has(c.id)).reduce((n, c) => n + c.size, 0);
    const max = Math.min(this.inlineChunkLimits?.recordMaxBytes ?? 0, this.controllerInlineChunksMax ?? Number.POSITIVE_INFINITY);
    if (total > max && inline.size > 0) {
      // as the real client does on 413 { inlineMax }: its limits come down to the controller's
      this.inlineChunkLimits = { chunkMaxBytes: Math.min(max, this.inlineChunkLimits?.chunkMaxBytes ?? 0), recordMaxBytes: max };
      throw errors.tooLarge('Too many inline chunk bytes', { inlineMax: max });
    }
    const entry = this.setContent(path, e, opts, { size, chunks: rec.chunks, extents: rec.extents });
    e.inlineChunks = inline.size > 0 ? inline : undefined;
    return entry;
  }

  async storeChunk(data: Buffer, opts?: CallOptions): Promise<{ ref: ChunkRef; receipts: string[] }> {
    await this.enter('storeChunk', opts);
    const ref = { id: sha256Hex(data), size: data.length };
    if (!this.discardData) this.chunks.set(ref.id, Buffer.from(data));
    return { ref, receipts: [`receipt-${ref.id.slice(0, 8)}`] };
  }

  async downloadFile(): Promise<EntryInfo> {
    throw errors.notSupported('downloadFile is not faked');
  }

  async commitInline(path: string, data: Buffer, opts?: UploadOptions & { ifVersion?: string }): Promise<EntryInfo | undefined> {
    await this.enter('commitInline', opts, { path, size: data.length, ino: opts?.ino, ...(opts?.newIno ? { newIno: opts.newIno } : {}) });
    if (this.controllerInlineMax !== undefined && data.length > this.controllerInlineMax) {
      this.inlineMaxBytes = Math.min(this.inlineMaxBytes, this.controllerInlineMax);
      return undefined;
    }
    const e = this.contentTarget(path, opts, true);
    return this.setContent(path, e, opts, { size: data.length, chunks: [], inline: Buffer.from(data) });
  }

  async readPlan(path: string, opts?: CallOptions): Promise<ReadPlan> {
    await this.enter('readPlan', opts);
    const e = this.get(path);
    if (e.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`);
    let offset = 0;
    const chunks = e.chunks.map((c): ReadPlan['chunks'][number] => {
      const out = e.inlineChunks?.has(c.id)
        ? { ...c, offset, locations: [], cap: '', inline: this.chunks.get(c.id)!.toString('base64') }
        : { ...c, offset, locations: [{ id: 'cs1', url: 'fake://cs1' }], cap: `cap-${c.id.slice(0, 8)}` };
      offset += c.size;
      return out;
    });
    return { entry: this.info(path, e), chunks, ...(e.inline ? { inline: e.inline.toString('base64') } : {}), ...(e.extents ? { extents: e.extents } : {}) };
  }

  async fetchChunk(chunk: ReadPlan['chunks'][number], opts?: CallOptions & { into?: Buffer }): Promise<Buffer> {
    await this.enter('fetchChunk', opts);
    // as the real client: a chunk with no replica (one this mount stored, no plan named it since) cannot be fetched
    if (chunk.locations.length === 0 && chunk.inline === undefined) throw errors.unavailable(`No live replica of chunk ${chunk.id}`);
    const data = this.chunks.get(chunk.id);
    if (!data) throw errors.notFound(`No chunk ${chunk.id}`);
    if (!opts?.into) return data;
    data.copy(opts.into);
    return opts.into.subarray(0, data.length);
  }

  async chunkId(data: Buffer): Promise<string> {
    return sha256Hex(data);
  }

  async fetchRange(chunk: ReadPlan['chunks'][number], from: number, to: number, opts?: CallOptions): Promise<Buffer> {
    await this.enter('fetchRange', opts);
    if (chunk.locations.length === 0 && chunk.inline === undefined) throw errors.unavailable(`No live replica of chunk ${chunk.id}`);
    const data = this.chunks.get(chunk.id);
    if (!data) throw errors.notFound(`No chunk ${chunk.id}`);
    return data.subarray(from, to);
  }

  /** Name of the entry, for readability in tests. */
  static nameOf(path: string): string {
    return baseName(path);
  }
}
