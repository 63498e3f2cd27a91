/**
 * The mount's on-disk chunk cache tier: verified chunks kept as files `<dir>/chunks/<aa>/<id>`
 * (id = SHA-256 hex of the bytes), bounded by bytes with LRU eviction of whole files, so chunks
 * read once are served by a pread of just the bytes asked for — also after a remount.
 * Trust: what this process puts was hash-verified by the fetch; files found at start (an earlier
 * mount, maybe torn by a crash) are indexed unverified and hashed whole on first access, and
 * deleted on mismatch. A cache never fails a read: I/O errors are logged and count as a miss.
 */
import { readFileSync, type Dirent } from 'node:fs';
import { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../src/common/private-files.js';
import { mkdir, open, readdir, type FileHandle, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatMatching } from '../src/common/chunk-format.js';
import { isChunkId } from '../src/common/hash.js';
import type { Logger } from '../src/common/logger.js';
import { SizedLru, type SizedEntry } from './lru.js';

/** A put is skipped when free space is below the larger of these (the cache must not fill the disk). */
export const DISK_FREE_MIN_BYTES = 1024 ** 3;
export const DISK_FREE_MIN_FRACTION = 0.05;
/** Temp files are `<id>.tmp-<pid>-<n>` next to their final name; leftovers are deleted at start. */
const TMP_MARK = '.tmp-';
const SUBDIR_RE = /^[0-9a-f]{2}$/;
/**
 * Chunk files kept open for range reads (least recently used closed first; saves an open and a
 * close per read): a quarter of the process's soft open-files limit, between 64 and 1024 (1024
 * open chunks cover a 4 GiB working set). `limitsText` is /proc/self/limits. Pure.
 */
export function openFilesMaxFor(limitsText: string | undefined): number {
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limitsText ?? '')?.[1]);
  return Number.isFinite(soft) && soft > 0 ? Math.min(1024, Math.max(64, Math.floor(soft / 4))) : 64;
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Whether the cache should stop writing to a file system with this much space. Pure. */
export function diskNearlyFull(space: DiskSpace): boolean {
  return space.freeBytes < Math.max(DISK_FREE_MIN_BYTES, DISK_FREE_MIN_FRACTION * space.totalBytes);
}

async function statfsSpace(dir: string): Promise<DiskSpace> {
  const s = await statfs(dir);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

export interface DiskChunkCacheOptions {
  /** the mount's cache dir; chunk files go under `<dir>/chunks/` */
  dir: string;
  /** 0 disables the tier: nothing is read, written or created */
  capacityBytes: number;
  /** chunk files kept open at most; default openFilesMaxFor(this process's limits) */
  openFilesMax?: number;
}

export interface DiskChunkCacheComponents {
  logger: Logger;
  /** free/total bytes of the file system holding `dir` (tests); default statfs */
  diskSpace?: (dir: string) => Promise<DiskSpace>;
}

interface OpenFile {
  fh: FileHandle;
  users: number;
  /** evicted or dropped: closed when its last user is done */
  closing: boolean;
}

interface FoundFile {
  id: string;
  sizeBytes: number;
  mtimeMs: number;
}

export class DiskChunkCache {
  readonly root: string;
  /** counters for tests and metrics */
  readonly stats = { puts: 0, skippedPuts: 0, hits: 0, misses: 0, corrupt: 0, evictions: 0, tempRemoved: 0 };
  private readonly index: SizedLru<SizedEntry>;
  private readonly diskSpace: (dir: string) => Promise<DiskSpace>;
  private enabled: boolean;
  private stopped = false;
  private loaded = false;
  private starting?: Promise<void>;
  private readonly verifying = new Map<string, Promise<Buffer | undefined>>();
  private readonly writing = new Set<string>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly madeDirs = new Set<string>();
  /** id → open handle, least recently used first */
  private readonly openFiles = new Map<string, OpenFile>();
  private readonly openFilesMax: number;
  private tmpSeq = 0;

  constructor(private readonly components: DiskChunkCacheComponents, readonly options: DiskChunkCacheOptions) {
    this.root = join(options.dir, 'chunks');
    this.index = new SizedLru<SizedEntry>(options.capacityBytes, (e) => e.sizeBytes);
    this.enabled = options.capacityBytes > 0;
    this.openFilesMax = options.openFilesMax ?? openFilesMaxFor(readLimits());
    this.diskSpace = components.diskSpace ?? statfsSpace;
  }

  get sizeBytes(): number {
    return this.index.sizeBytes;
  }

  get count(): number {
    return this.index.count;
  }

  /** Chunk files held open for range reads (at most openFilesMax while idle). */
  get openFileCount(): number {
    return this.openFiles.size;
  }

  /** Whether `id` is indexed (verified or not). */
  has(id: string): boolean {
    return this.index.has(id);
  }

  /** False only when a read of `id` would certainly miss (index loaded, id absent): lets callers skip an await. */
  mayHave(id: string): boolean {
    return !this.loaded ? this.enabled : this.index.has(id);
  }

  /** Indexes what an earlier mount left (once; every other method waits for it). Never throws. */
  start(): Promise<void> {
    this.starting ??= this.load();
    return this.starting;
  }

  /** Stores a verified chunk (temp file + rename, no fsync). Never throws: failures are logged and skipped. */
  put(id: string, data: Buffer): Promise<void> {
    return this.track(this.putNow(id, data));
  }

  /** Bytes [from, to) of chunk `id` by one pread, or undefined when not cached (or found corrupt). */
  async readRange(id: string, from: number, to: number): Promise<Buffer | undefined> {
    const entry = await this.lookup(id);
    if (!entry) return undefined;
    if (!entry.verified) return (await this.verify(id))?.subarray(from, to);
    if (from < 0 || to > entry.sizeBytes || from > to) return this.miss();
    return this.pread(id, from, to);
  }

  /** The whole chunk `id`, or undefined when not cached (or found corrupt). */
  async readAll(id: string): Promise<Buffer | undefined> {
    const entry = await this.lookup(id);
    if (!entry) return undefined;
    if (!entry.verified) return this.verify(id);
    try {
      const data = await readFile(this.pathOf(id));
      if (data.length !== entry.sizeBytes) return await this.drop(id, 'wrong size');
      this.stats.hits++;
      return data;
    } catch (err) {
      return this.readFailed(id, err);
    }
  }

  /** Resolves when no put, verification or deletion is in flight. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** No more puts; resolves when what was in flight settled. Files stay for the next mount. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
    for (const id of [...this.openFiles.keys()]) this.closeFile(id);
  }

  private pathOf(id: string): string {
    return join(this.root, id.slice(0, 2), id);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.background.add(p);
    void p.finally(() => this.background.delete(p)).catch(() => undefined);
    return p;
  }

  private miss(): undefined {
    this.stats.misses++;
    return undefined;
  }

  private async lookup(id: string) {
    await this.start();
    if (!this.enabled || !isChunkId(id)) return this.miss();
    return this.index.get(id) ?? this.miss();
  }

  private async putNow(id: string, data: Buffer): Promise<void> {
    await this.start();
    if (!this.enabled || this.stopped || !isChunkId(id) || this.index.has(id) || this.writing.has(id)) return;
    const log = this.components.logger;
    if (data.length > this.options.capacityBytes) {
      this.stats.skippedPuts++;
      log.debug({ chunkId: id, sizeBytes: data.length, capacityBytes: this.options.capacityBytes }, 'Disk chunk cache skips a chunk larger than its capacity');
      return;
    }
    this.writing.add(id);
    const file = this.pathOf(id);
    const tmp = `${file}${TMP_MARK}${process.pid}-${++this.tmpSeq}`;
    try {
      const space = await this.diskSpace(this.root);
      if (diskNearlyFull(space)) {
        this.stats.skippedPuts++;
        log.debug({ chunkId: id, ...space }, 'Disk chunk cache skips a chunk: disk nearly full');
        return;
      }
      await this.ensureDir(dirname(file));
      await writeFile(tmp, data, { mode: PRIVATE_FILE_MODE });
      await rename(tmp, file);
      this.stats.puts++;
      for (const old of this.index.set(id, { sizeBytes: data.length, verified: true })) this.evict(old);
    } catch (err) {
      this.stats.skippedPuts++;
      log.warn({ err, chunkId: id }, 'Disk chunk cache could not store a chunk');
      await rm(tmp, { force: true }).catch(() => undefined);
    } finally {
      this.writing.delete(id);
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    this.madeDirs.add(dir);
  }

  private async pread(id: string, from: number, to: number): Promise<Buffer | undefined> {
    let file: OpenFile | undefined;
    try {
      file = await this.acquire(id);
      const length = to - from;
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await file.fh.read(buf, 0, length, from);
      if (bytesRead !== length) return await this.drop(id, 'short read');
      this.stats.hits++;
      return buf;
    } catch (err) {
      return this.readFailed(id, err);
    } finally {
      if (file) this.release(file);
    }
  }

  /** An open handle of chunk file `id` (shared, kept open for later reads). */
  private async acquire(id: string): Promise<OpenFile> {
    let file = this.openFiles.get(id);
    if (!file) {
      const fh = await open(this.pathOf(id), 'r');
      file = this.openFiles.get(id); // another reader may have opened it meanwhile
      if (!this.index.has(id)) {
        void fh.close().catch(() => undefined); // evicted while opening: do not keep a deleted file open
        throw Object.assign(new Error(`${id} was evicted`), { code: 'ENOENT' });
      }
      if (file) {
        void fh.close().catch(() => undefined);
      } else {
        file = { fh, users: 0, closing: false };
        this.closeIdleBeyond(this.openFilesMax - 1);
      }
    }
    this.openFiles.delete(id);
    this.openFiles.set(id, file);
    file.users++;
    return file;
  }

  private release(file: OpenFile): void {
    file.users--;
    if (file.users > 0) return;
    if (file.closing) void file.fh.close().catch(() => undefined);
    else if (this.openFiles.size > this.openFilesMax) this.closeIdleBeyond(this.openFilesMax);
  }

  /** Stops keeping `id` open (its file is being deleted); closed now or by its last user. */
  private closeFile(id: string): void {
    const file = this.openFiles.get(id);
    if (!file) return;
    this.openFiles.delete(id);
    file.closing = true;
    if (file.users === 0) void file.fh.close().catch(() => undefined);
  }

  private closeIdleBeyond(max: number): void {
    for (const [id, file] of this.openFiles) {
      if (this.openFiles.size <= max) return;
      if (file.users === 0) this.closeFile(id);
    }
  }

  /** First access of a file from an earlier mount: hash it whole; one check per id at a time. */
  private verify(id: string): Promise<Buffer | undefined> {
    let p = this.verifying.get(id);
    if (!p) {
      p = this.track(this.readAndCheck(id)).finally(() => this.verifying.delete(id));
      this.verifying.set(id, p);
    }
    return p;
  }

  private async readAndCheck(id: string): Promise<Buffer | undefined> {
    try {
      const data = await readFile(this.pathOf(id));
      // either chunk format (a v1 SHA-256 id or a block-tree id): the bytes must hash to the id
      if (formatMatching(id, data) === undefined) {
        this.stats.corrupt++;
        return await this.drop(id, 'hash mismatch');
      }
      const entry = this.index.peek(id);
      if (entry) entry.verified = true;
      this.stats.hits++;
      return data;
    } catch (err) {
      return this.readFailed(id, err);
    }
  }

  private readFailed(id: string, err: unknown): undefined {
    this.index.delete(id);
    this.closeFile(id);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      this.components.logger.warn({ err, chunkId: id }, 'Disk chunk cache could not read a chunk; treated as a miss');
    }
    return this.miss();
  }

  /** Forgets and deletes a cached file whose bytes are wrong. */
  private async drop(id: string, reason: string): Promise<undefined> {
    this.components.logger.warn({ chunkId: id, reason }, 'Removed a corrupt cached chunk');
    this.index.delete(id);
    this.closeFile(id);
    await this.unlink(this.pathOf(id));
    return this.miss();
  }

  private evict(id: string): void {
    this.stats.evictions++;
    this.closeFile(id);
    void this.track(this.unlink(this.pathOf(id)));
  }

  private async unlink(file: string): Promise<void> {
    await rm(file, { force: true }).catch((err: unknown) => {
      this.components.logger.warn({ err, file }, 'Disk chunk cache could not delete a file');
    });
  }

  private async load(): Promise<void> {
    try {
      await this.loadIndex();
    } finally {
      this.loaded = true;
    }
  }

  private async loadIndex(): Promise<void> {
    if (!this.enabled) return;
    try {
      await ensurePrivateDir(this.root);
      const found = await this.scan();
      found.sort((a, b) => a.mtimeMs - b.mtimeMs); // oldest first, as the least recently used
      for (const f of found) for (const old of this.index.set(f.id, { sizeBytes: f.sizeBytes, verified: false })) this.evict(old);
      this.components.logger.info({
        dir: this.root, files: this.index.count, sizeBytes: this.index.sizeBytes, tempRemoved: this.stats.tempRemoved,
      }, 'Disk chunk cache indexed');
    } catch (err) {
      this.enabled = false;
      this.components.logger.warn({ err, dir: this.root }, 'Disk chunk cache disabled: cannot use its directory');
    }
  }

  /** One readdir per `<aa>` directory (at most 256) and a stat per chunk file; deletes temp files. */
  private async scan(): Promise<FoundFile[]> {
    const subdirs = (await readdir(this.root, { withFileTypes: true })).filter((d) => d.isDirectory() && SUBDIR_RE.test(d.name));
    const perDir = await Promise.all(subdirs.map((d) => this.scanDir(d.name)));
    return perDir.flat();
  }

  private async scanDir(sub: string): Promise<FoundFile[]> {
    const dir = join(this.root, sub);
    let names: Dirent[];
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    this.madeDirs.add(dir);
    const out: FoundFile[] = [];
    for (const d of names) {
      const file = join(dir, d.name);
      if (d.name.includes(TMP_MARK)) {
        this.stats.tempRemoved++;
        await this.unlink(file);
      } else if (d.isFile() && isChunkId(d.name) && d.name.startsWith(sub)) {
        const s = await stat(file).catch(() => undefined);
        if (s) out.push({ id: d.name, sizeBytes: s.size, mtimeMs: s.mtimeMs });
      }
    }
    return out;
  }
}
