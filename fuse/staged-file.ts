/**
 * Close-to-open write staging: a file opened for writing lives in a local sparse file. Chunks of
 * the committed version are loaded lazily (only when a partial chunk is written or any part read),
 * written chunks are marked dirty, and commit() hands the cluster only the dirty chunks as data
 * (unchanged chunks as refs) through client.commitChunks. A failed commit keeps everything staged
 * so the next flush can retry. Operations on one staged file are serialised.
 */
import { randomBytes } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryInfo, ReadPlan, ReadPlanChunk } from '../src/common/api.js';
import { sha256Hex } from '../src/common/hash.js';
import type { RedCloudClient, StagedChunk } from '../src/client/types.js';
import type { ChunkCache } from './chunk-cache.js';

export interface StagedFileDeps {
  client: RedCloudClient;
  cache: ChunkCache;
  /** directory of the sparse staging files */
  stagingDir: string;
}

export class StagedFile {
  /** chunks of the last committed version (index i covers [i*cs, (i+1)*cs)) */
  private base: ReadPlanChunk[];
  /** chunks whose bytes in the staging file are valid */
  private readonly present = new Set<number>();
  /** chunks changed since the last commit */
  private readonly dirty = new Set<number>();
  private metaDirty: boolean;
  private lock: Promise<unknown> = Promise.resolve();
  /** open handles using this staged file */
  refs = 0;
  /** set by unlink: never commit again */
  unlinked = false;
  mtimeMs: number | undefined;
  /** times of the committed version (what stat shows while nothing changed) */
  committedTimes: { mtimeMs: number; ctimeMs: number } | undefined;
  /** when the staged bytes last changed (stat shows it while they are uncommitted) */
  changedAtMs = 0;
  readonly stats = { commits: 0, uploadedChunks: 0, loadedChunks: 0 };

  private constructor(
    private readonly deps: StagedFileDeps,
    public path: string,
    public mode: number,
    public size: number,
    base: ReadPlanChunk[],
    private readonly fh: FileHandle,
    private readonly filePath: string,
    isNew: boolean,
  ) {
    this.base = base;
    this.metaDirty = isNew;
  }

  get chunkSizeBytes(): number {
    return this.deps.client.chunkSizeBytes;
  }

  /** Stages `path`: from its read plan (existing file) or empty (plan null: a new file). */
  static async create(deps: StagedFileDeps, path: string, plan: ReadPlan | null, mode: number): Promise<StagedFile> {
    const filePath = join(deps.stagingDir, `${randomBytes(8).toString('hex')}.stage`);
    const fh = await open(filePath, 'w+', 0o600);
    const size = plan?.entry.size ?? 0;
    await fh.truncate(size);
    const staged = new StagedFile(deps, path, mode, size, plan?.chunks.slice() ?? [], fh, filePath, plan === null);
    staged.changedAtMs = Date.now();
    if (plan) staged.committedTimes = { mtimeMs: plan.entry.mtimeMs, ctimeMs: plan.entry.ctimeMs };
    if (plan && !staged.isUniform()) {
      // chunks of another size than ours: re-cut the whole file on the next commit
      for (let i = 0; i < staged.base.length; i++) await staged.loadBase(i);
      staged.base = [];
      staged.markAllDirty();
    }
    return staged;
  }

  /** True when there is something to commit. */
  get needsCommit(): boolean {
    return !this.unlinked && (this.metaDirty || this.dirty.size > 0);
  }

  /** mtime and ctime as stat shows them: explicit mtime, else the change time, else the committed times. */
  times(): { mtimeMs: number; ctimeMs: number } {
    const c = this.needsCommit || !this.committedTimes ? { mtimeMs: this.changedAtMs, ctimeMs: this.changedAtMs } : this.committedTimes;
    return this.mtimeMs !== undefined ? { mtimeMs: this.mtimeMs, ctimeMs: c.ctimeMs } : c;
  }

  get dirtyChunks(): number[] {
    return [...this.dirty].sort((a, b) => a - b);
  }

  write(data: Buffer, offset: number): Promise<number> {
    return this.serial(async () => {
      const end = offset + data.length;
      if (data.length === 0) return 0;
      const cs = this.chunkSizeBytes;
      for (let i = Math.floor(offset / cs); i * cs < end; i++) {
        const chunkStart = i * cs;
        const baseEnd = chunkStart + (this.base[i]?.size ?? 0);
        const coversBase = offset <= chunkStart && end >= baseEnd;
        if (!coversBase) await this.ensureLoaded(i);
        this.present.add(i);
        this.dirty.add(i);
      }
      // growing past a partial last chunk changes that chunk too
      if (offset > this.size) await this.markRangeDirty(this.size, offset);
      await this.fh.write(data, 0, data.length, offset);
      if (end > this.size) this.size = end;
      this.metaDirty = true;
      this.changedAtMs = Date.now();
      return data.length;
    });
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.serial(async () => {
      const end = Math.min(this.size, offset + length);
      if (offset >= end) return Buffer.alloc(0);
      const cs = this.chunkSizeBytes;
      for (let i = Math.floor(offset / cs); i * cs < end; i++) await this.ensureLoaded(i);
      const out = Buffer.allocUnsafe(end - offset);
      const { bytesRead } = await this.fh.read(out, 0, out.length, offset);
      return bytesRead === out.length ? out : out.subarray(0, bytesRead);
    });
  }

  truncate(size: number): Promise<void> {
    return this.serial(async () => {
      if (size === this.size) return;
      const cs = this.chunkSizeBytes;
      if (size < this.size) {
        const keep = Math.ceil(size / cs);
        if (size % cs !== 0) {
          await this.ensureLoaded(keep - 1);
          this.dirty.add(keep - 1);
        }
        this.base = this.base.slice(0, keep);
        for (const set of [this.present, this.dirty]) for (const i of set) if (i >= keep) set.delete(i);
      } else {
        await this.markRangeDirty(this.size, size);
      }
      await this.fh.truncate(size);
      this.size = size;
      this.metaDirty = true;
      this.changedAtMs = Date.now();
    });
  }

  /** Uploads the dirty chunks and commits the entry; on failure everything stays staged. */
  commit(signal: AbortSignal): Promise<EntryInfo | undefined> {
    return this.serial(async () => {
      if (!this.needsCommit) return undefined;
      const cs = this.chunkSizeBytes;
      const count = Math.ceil(this.size / cs);
      const chunks: StagedChunk[] = [];
      const next: ReadPlanChunk[] = [];
      let uploads = 0;
      for (let i = 0; i < count; i++) {
        const len = Math.min(cs, this.size - i * cs);
        const old = this.base[i];
        if (old && !this.dirty.has(i) && old.size === len) {
          chunks.push({ index: i, ref: { id: old.id, size: old.size } });
          next.push(old);
          continue;
        }
        await this.ensureLoaded(i);
        this.present.add(i);
        const offset = i * cs;
        next.push({ id: '', size: len, offset, locations: [], cap: '' });
        // read from the staging file only when its upload starts: bounded memory for huge files
        chunks.push({
          index: i, sizeBytes: len,
          load: async () => {
            const data = Buffer.allocUnsafe(len);
            const { bytesRead } = await this.fh.read(data, 0, len, offset);
            if (bytesRead !== len) data.fill(0, bytesRead);
            const id = sha256Hex(data);
            next[i]!.id = id;
            return { ref: { id, size: len }, data };
          },
        });
        uploads++;
      }
      const entry = await this.deps.client.commitChunks(this.path, chunks, this.size, {
        // the mtime stat showed while staged, so the committed entry looks the same (tar checks)
        signal, mode: this.mode, mtimeMs: this.mtimeMs ?? this.changedAtMs,
      });
      this.base = next;
      this.dirty.clear();
      this.metaDirty = false;
      this.mtimeMs = undefined;
      this.committedTimes = { mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs };
      this.stats.commits++;
      this.stats.uploadedChunks += uploads;
      return entry;
    });
  }

  /** Closes and deletes the staging file. */
  async dispose(): Promise<void> {
    await this.serial(async () => {
      await this.fh.close().catch(() => undefined);
      await rm(this.filePath, { force: true });
    });
  }

  private isUniform(): boolean {
    const cs = this.chunkSizeBytes;
    return this.base.every((c, i) => c.offset === i * cs && (c.size === cs || (i === this.base.length - 1 && c.size <= cs)));
  }

  private markAllDirty(): void {
    const count = Math.ceil(this.size / this.chunkSizeBytes);
    for (let i = 0; i < count; i++) {
      this.present.add(i);
      this.dirty.add(i);
    }
    this.metaDirty = true;
  }

  /** Chunks overlapping [from, to) become dirty (loaded first when they have committed bytes). */
  private async markRangeDirty(from: number, to: number): Promise<void> {
    const cs = this.chunkSizeBytes;
    for (let i = Math.floor(from / cs); i * cs < to; i++) {
      await this.ensureLoaded(i);
      this.present.add(i);
      this.dirty.add(i);
    }
  }

  private async ensureLoaded(i: number): Promise<void> {
    if (this.present.has(i)) return;
    if (i < this.base.length) await this.loadBase(i);
    this.present.add(i);
  }

  private async loadBase(i: number): Promise<void> {
    const chunk = this.base[i]!;
    const data = await this.deps.cache.get(chunk);
    await this.fh.write(data, 0, data.length, chunk.offset);
    this.stats.loadedChunks++;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
