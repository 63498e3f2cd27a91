/**
 * An in-memory RedCloudClient for the driver's unit tests and fake-cluster mounts: a namespace
 * map, a content-addressed chunk map, call counters, and hooks to fail or stall a method. Not
 * used in production paths.
 */
import type { Readable } from 'node:stream';
import type { ClusterStatus, EntryInfo, LoginResponse, ReadPlan } from '../../src/common/api.js';
import { RedCloudError, errors } from '../../src/common/errors.js';
import { sha256Hex } from '../../src/common/hash.js';
import { baseName, parentOf } from '../../src/common/paths.js';
import type { ChunkRef, EntryKind } from '../../src/meta/types.js';
import type { CallOptions, RedCloudClient, StagedChunk, UploadOptions } from '../../src/client/types.js';

interface FakeEntry {
  kind: EntryKind;
  mode: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  tags: string[];
  chunks: ChunkRef[];
  target?: string;
  version: number;
}

export class FakeClient implements RedCloudClient {
  readonly entries = new Map<string, FakeEntry>();
  readonly chunks = new Map<string, Buffer>();
  readonly calls: Record<string, number> = {};
  /** chunks received as data by commitChunks, per call */
  readonly uploads: number[][] = [];
  /** next call of a method throws this error */
  readonly failNext = new Map<string, RedCloudError>();
  /** calls of these methods never resolve (until their signal aborts) */
  readonly stall = new Set<string>();
  /** when true, no bytes are kept (throughput measurements) */
  discardData = false;
  capacityBytes = 1024 ** 4;
  private seq = 0;

  constructor(readonly chunkSizeBytes = 4 * 1024 * 1024, private readonly nowMs: () => number = () => 1_700_000_000_000) {
    this.entries.set('/', this.newEntry('dir', 0o755));
  }

  private newEntry(kind: EntryKind, mode: number, extra: Partial<FakeEntry> = {}): FakeEntry {
    const t = this.nowMs();
    return { kind, mode, size: 0, mtimeMs: t, ctimeMs: t, tags: [], chunks: [], version: ++this.seq, ...extra };
  }

  private async enter(method: string, opts?: CallOptions): Promise<void> {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
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

  private info(path: string, e: FakeEntry): EntryInfo {
    return {
      path, kind: e.kind, size: e.size, mode: e.mode, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, tags: [...e.tags],
      ...(e.target !== undefined ? { target: e.target } : {}),
      ...(e.kind === 'file' ? { chunkCount: e.chunks.length } : {}),
      version: String(e.version),
    };
  }

  private get(path: string): FakeEntry {
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
      this.entries.set(parent, this.newEntry('dir', 0o755));
    }
  }

  /** Test helper: puts a file with these bytes, cut into chunks. */
  putFile(path: string, data: Buffer, mode = 0o644): void {
    const refs: ChunkRef[] = [];
    for (let off = 0; off < data.length; off += this.chunkSizeBytes) {
      const part = Buffer.from(data.subarray(off, off + this.chunkSizeBytes));
      const id = sha256Hex(part);
      this.chunks.set(id, part);
      refs.push({ id, size: part.length });
    }
    this.ensureParents(path);
    this.entries.set(path, this.newEntry('file', mode, { size: data.length, chunks: refs }));
  }

  /** Test helper: the bytes of a file. */
  content(path: string): Buffer {
    return Buffer.concat(this.get(path).chunks.map((c) => this.chunks.get(c.id)!));
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
    return [...this.entries].filter(([, e]) => tags.every((t) => e.tags.includes(t))).map(([p, e]) => this.info(p, e));
  }

  async tags(): Promise<{ tag: string; count: number }[]> {
    await this.enter('tags');
    return [];
  }

  async mkdir(path: string, opts?: CallOptions & { mode?: number; parents?: boolean }): Promise<EntryInfo> {
    await this.enter('mkdir', opts);
    if (this.entries.has(path)) throw errors.exists(`Already exists: ${path}`);
    if (!this.entries.has(parentOf(path)) && !opts?.parents) throw errors.notFound(`No such directory: ${parentOf(path)}`);
    this.ensureParents(path);
    const e = this.newEntry('dir', opts?.mode ?? 0o755);
    this.entries.set(path, e);
    return this.info(path, e);
  }

  async symlink(path: string, target: string, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('symlink', opts);
    if (this.entries.has(path)) throw errors.exists(`Already exists: ${path}`);
    this.ensureParents(path);
    const e = this.newEntry('symlink', 0o777, { target, size: Buffer.byteLength(target) });
    this.entries.set(path, e);
    return this.info(path, e);
  }

  async remove(path: string, opts?: CallOptions & { recursive?: boolean }): Promise<number> {
    await this.enter('remove', opts);
    const e = this.get(path);
    const children = [...this.entries.keys()].filter((p) => p.startsWith(`${path}/`));
    if (e.kind === 'dir' && children.length > 0 && !opts?.recursive) throw errors.notEmpty(`Directory not empty: ${path}`);
    for (const c of children) this.entries.delete(c);
    this.entries.delete(path);
    return 1 + children.length;
  }

  async rename(from: string, to: string, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('rename', opts);
    const e = this.get(from);
    const existing = this.entries.get(to);
    if (existing?.kind === 'dir' && [...this.entries.keys()].some((p) => p.startsWith(`${to}/`))) {
      throw errors.notEmpty(`Directory not empty: ${to}`);
    }
    this.ensureParents(to);
    for (const [p, child] of [...this.entries]) {
      if (p.startsWith(`${from}/`)) {
        this.entries.delete(p);
        this.entries.set(to + p.slice(from.length), child);
      }
    }
    this.entries.delete(from);
    e.version = ++this.seq;
    this.entries.set(to, e);
    return this.info(to, e);
  }

  async setattr(path: string, attrs: { mode?: number; mtimeMs?: number }, opts?: CallOptions): Promise<EntryInfo> {
    await this.enter('setattr', opts);
    const e = this.get(path);
    if (attrs.mode !== undefined) e.mode = attrs.mode;
    if (attrs.mtimeMs !== undefined) e.mtimeMs = attrs.mtimeMs;
    e.version = ++this.seq;
    return this.info(path, e);
  }

  // the inode namespace's calls; fuse work gives the fake real ones
  async mknod(): Promise<EntryInfo> { throw errors.notSupported('FakeClient.mknod'); }
  async link(): Promise<EntryInfo> { throw errors.notSupported('FakeClient.link'); }
  async getXattr(): Promise<Buffer> { throw errors.notSupported('FakeClient.getXattr'); }
  async listXattrs(): Promise<string[]> { return []; }
  async setXattr(): Promise<void> { throw errors.notSupported('FakeClient.setXattr'); }
  async removeXattr(): Promise<void> { throw errors.notSupported('FakeClient.removeXattr'); }
  async statfs(): Promise<{ availBytes: number; totalBytes: number; files: number }> {
    return { availBytes: this.capacityBytes, totalBytes: this.capacityBytes, files: this.entries.size };
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

  async commitChunks(path: string, chunks: StagedChunk[], size: number, opts?: UploadOptions & { ifVersion?: string }): Promise<EntryInfo> {
    await this.enter('commitChunks', opts);
    const refs: ChunkRef[] = [];
    const uploaded: number[] = [];
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
    if (refs.reduce((n, r) => n + r.size, 0) !== size) throw errors.invalid('Chunk sizes do not add up to size');
    const old = this.entries.get(path);
    if (old && old.kind !== 'file') throw errors.isDir(`Is a directory: ${path}`);
    this.ensureParents(path);
    const e = this.newEntry('file', opts?.mode ?? old?.mode ?? 0o644, {
      size, chunks: refs, tags: old?.tags ?? [], ...(opts?.mtimeMs !== undefined ? { mtimeMs: opts.mtimeMs } : {}),
    });
    this.entries.set(path, e);
    this.uploads.push(uploaded);
    return this.info(path, e);
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

  async readPlan(path: string, opts?: CallOptions): Promise<ReadPlan> {
    await this.enter('readPlan', opts);
    const e = this.get(path);
    if (e.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`);
    let offset = 0;
    const chunks = e.chunks.map((c) => {
      const out = { ...c, offset, locations: [{ id: 'cs1', url: 'fake://cs1' }], cap: `cap-${c.id.slice(0, 8)}` };
      offset += c.size;
      return out;
    });
    return { entry: this.info(path, e), chunks };
  }

  async fetchChunk(chunk: ReadPlan['chunks'][number], opts?: CallOptions): Promise<Buffer> {
    await this.enter('fetchChunk', opts);
    const data = this.chunks.get(chunk.id);
    if (!data) throw errors.notFound(`No chunk ${chunk.id}`);
    return data;
  }

  /** Name of the entry, for readability in tests. */
  static nameOf(path: string): string {
    return baseName(path);
  }
}
