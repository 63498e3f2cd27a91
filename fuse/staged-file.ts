/**
 * Close-to-open write staging: a file opened for writing lives in memory while small, else in a
 * local sparse file (staging-store.ts). The committed version is a list of extents
 * (src/meta/extents.ts); its bytes are loaded lazily, only when a part of a chunk is read or the
 * chunk is rewritten whole (a write inside a chunk does not load it: the bytes written since open
 * are tracked and loading fills around them). commit() stores only the byte ranges changed since
 * the last commit as new chunks and commits extents over them and the old chunks
 * (client.commitExtents): a 4 KiB overwrite + fsync stores 4 KiB. When more than one chunk's worth
 * changed, or the extents would be too fragmented (compaction), it hands the cluster the dirty and
 * fragmented chunks whole (unchanged whole chunks as refs) through client.commitChunks. A failed
 * commit keeps everything staged so the next flush can retry. Operations on one staged file are
 * serialised.
 *
 * Write-behind: once a sequential writer has moved past a whole dirty chunk, that chunk is stored
 * on the chunkservers in the background (client.storeChunk, a few at a time), so a large write
 * overlaps its upload instead of paying for it all at close. Each chunk has a write generation; a
 * background result counts at commit only if the chunk was not written since it was read, else the
 * commit uploads the chunk as usual. Background failures are only logged: the commit retries them
 * and reports its own errors to close().
 *
 * Inline chunks (src/meta/inline.ts): at an extent commit, fresh chunks of at most INLINE_MAX go
 * into the inode record (no placement, no PUT: one controller call per fsync) while the record's
 * inline chunks stay within INLINE_MAX in all; the commit that would pass it folds them instead,
 * packing their live bytes into new chunks stored on chunkservers (compaction.ts inlineChoice,
 * packInline). A base chunk that is inline is never reused as a whole chunk by commitChunks.
 *
 * Small files (src/meta/inline.ts fitsInline under the client's INLINE_MAX) are committed inline,
 * their bytes in the commit (one controller call, no chunk stored), and a file opened from an
 * inline plan starts with all its bytes staged; growing past the limit commits chunks again.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CreateOwner, EntryInfo, ReadPlan, ReadPlanChunk, Timespec } from '../src/common/api.js';
import type { Logger } from '../src/common/logger.js';
import type { FreshChunk, RedCloudClient, StagedChunk, UploadOptions } from '../src/client/types.js';
import { inlineBytes } from '../src/client/download.js';
import { inlineChunkData } from '../src/client/inline.js';
import { fitsInline } from '../src/meta/inline.js';
import type { ChunkRef } from '../src/meta/types.js';
import { cellsToCompact, inlineChoice, packInline } from './compaction.js';
import {
  addRange, clip, clipRanges, extentsProblem, fragments, fromChunks, gaps, overlay, pieces, spansOf, splitRanges, wholeAt, type Ranges, type Span,
} from '../src/meta/extents.js';
import { BufferPool } from '../src/common/buffer-pool.js';
import { RedCloudError, errors } from '../src/common/errors.js';
import type { ChunkCache } from './chunk-cache.js';
import type { ChosenIno } from './new-inos.js';
import { MemoryBudget, StagingStore } from './staging-store.js';
import { timespecToMs } from './stat.js';

export interface StagedFileDeps {
  client: RedCloudClient;
  cache: ChunkCache;
  /** directory of the sparse staging files (of files too large to stage in memory) */
  stagingDir: string;
  /** in-memory staging: files up to spillBytes, all together up to the budget (default DEFAULT_STAGING_MEMORY) */
  stagingMemory?: { spillBytes: number; budget: MemoryBudget };
  logger?: Logger;
  /** whole chunks stored in the background at once (0: everything at commit) */
  writeBehindChunks: number;
}

/** Files up to 1 MiB are staged in memory, up to 64 MiB of them per mount; larger ones in local files. */
export const DEFAULT_STAGING_MEMORY = { spillBytes: 1024 * 1024, budget: new MemoryBudget(64 * 1024 * 1024) };

/**
 * Largest file the mount stages (EFBIG beyond, as a local filesystem has its limit): growing a file
 * marks every chunk it adds, so the bound also bounds that work (2^40 / 4 MiB = 262,144 chunks).
 */
export const MAX_FILE_BYTES = 2 ** 40;

/**
 * A commit whose bytes changed since the last one are at most this many (and at most one chunk)
 * stores just them as new chunks and commits extents (commitExtents); a larger one rewrites the
 * changed chunks whole.
 */
export const EXTENT_COMMIT_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Compaction: a commit that would leave more extents than this that are not whole chunks (on a
 * CHUNK_SIZE boundary) rewrites the most fragmented chunks whole, down to half this (compaction.ts;
 * a 4 KiB overwrite inside a chunk makes 3). Reads of a file stay a bounded number of pieces per chunk.
 */
export const EXTENT_FRAGMENTS_MAX = 128;
/** Byte ranges tracked per staged file (written, dirty); beyond, the file falls back to whole chunks. */
export const STAGED_RANGES_MAX = 1024;

/** Background chunk uploads per staged file, unless the mount says otherwise (--write-behind). */
export const WRITE_BEHIND_DEFAULT = 2;
/** Deadline of one background chunk upload. */
export const WRITE_BEHIND_TIMEOUT_MS = 120_000;
/** A background result older than this is uploaded again at commit (its chunk may have been collected). */
export const WRITE_BEHIND_MAX_AGE_MS = 10 * 60_000;

const aheadPools = new Map<number, BufferPool>();

/** The pool of chunk buffers write-behind reads chunks of `sizeBytes` into (shared by all staged files). */
function aheadBuffers(sizeBytes: number): BufferPool {
  let pool = aheadPools.get(sizeBytes);
  if (!pool) aheadPools.set(sizeBytes, (pool = new BufferPool(sizeBytes, 2 * WRITE_BEHIND_DEFAULT)));
  return pool;
}

/** A chunk stored in the background, valid while its chunk's write generation is still `gen`. */
interface StoredAhead {
  gen: number;
  ref: ChunkRef;
  receipts: string[];
  atMs: number;
}

export class StagedFile {
  /** the last committed version as extents (cut at truncates since); chunks this mount wrote have no locations, their bytes are staged */
  private base: Span<ReadPlanChunk>[];
  /**
   * bytes written since open in chunks not loaded (`present`): a write inside a chunk does not load
   * it; loading later fills only around these. Untracked (writes load first) once too many.
   */
  private written: Ranges = [];
  private partialWrites = true;
  /** bytes changed since the last commit (what an extent commit stores); undefined once too many */
  private dirtyRanges: Ranges | undefined = [];
  /** chunks whose bytes in the staging file are valid */
  private readonly present = new Set<number>();
  /** chunks changed since the last commit */
  private readonly dirty = new Set<number>();
  private metaDirty: boolean;
  private lock: Promise<unknown> = Promise.resolve();
  /** write generation per chunk: bumped by every change of its bytes */
  private readonly gens = new Map<number, number>();
  /** chunks stored in the background, by index */
  private readonly ahead = new Map<number, StoredAhead>();
  /** chunks waiting for a background upload slot */
  private readonly aheadQueue: number[] = [];
  private readonly aheadInflight = new Map<number, Promise<void>>();
  private readonly aheadAbort = new AbortController();
  /** open handles using this staged file */
  refs = 0;
  /** set by unlink: never commit again */
  unlinked = false;
  /** times of the committed version (what stat shows while nothing changed) */
  committedTimes: { mtimeMs: number; ctimeMs: number } | undefined;
  /** when the staged bytes last changed (stat shows it while they are uncommitted) */
  changedAtMs = 0;
  /** the inode this file was opened as (commits go to it wherever its names are); undefined until a new file's first commit */
  ino: number | undefined;
  /** the committed entry (owner, nlink, ino as stat shows them) */
  entry: EntryInfo | undefined;
  /** owner of a file created here, sent with its first commit */
  owner: CreateOwner | undefined;
  /** the inode id a file created here in a burst chose (new-inos.ts), sent with its first commit; its number is what stat shows until then */
  newIno: ChosenIno | undefined;
  /**
   * Times a utimens set, which the next commit carries (attr-ops.ts: a utimens of uncommitted
   * changes commits them with the times). A write or truncate afterwards moves mtime to now, as on
   * ext4: it drops the mtime set. Replaced, never changed in place, so a commit knows whether the
   * times it sent are still the last ones.
   */
  setTimes: Readonly<{ atime?: Timespec; mtime?: Timespec }> = {};
  /** the setTimes the commit in flight sent */
  private sentTimes: StagedFile['setTimes'] = {};
  /** truncated to 0 since the last commit: the next commit replaces the committed version (kept in the trash, CommitRequest.replaces) */
  replaces = false;
  readonly stats = { commits: 0, inlineCommits: 0, extentCommits: 0, uploadedChunks: 0, uploadedExtentBytes: 0, loadedChunks: 0, storedAhead: 0, inlineChunks: 0, inlineFolds: 0 };

  private constructor(
    private readonly deps: StagedFileDeps,
    public path: string,
    public mode: number,
    public size: number,
    base: Span<ReadPlanChunk>[],
    private readonly store: StagingStore,
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
    const memory = deps.stagingMemory ?? DEFAULT_STAGING_MEMORY;
    const store = new StagingStore(filePath, memory.spillBytes, memory.budget);
    const size = plan?.entry.size ?? 0;
    const problem = plan?.extents ? extentsProblem(plan.extents, plan.chunks, size) : undefined;
    if (problem) throw errors.integrity(`Read plan of ${path}: extents ${problem}`);
    await store.truncate(size);
    const staged = new StagedFile(deps, path, mode, size, plan ? spansOf(plan.chunks, plan.extents) : [], store, plan === null);
    staged.changedAtMs = Date.now();
    const inline = plan ? inlineBytes(plan) : undefined;
    if (inline) {
      // a small file's bytes came with its plan (inode record): all present, no chunk to load
      await store.write(inline, 0);
      for (let i = 0; i * staged.chunkSizeBytes < inline.length; i++) staged.present.add(i);
      // in no chunk: a commit in chunks stores them all
      staged.dirtyRanges = [{ off: 0, len: inline.length }];
    }
    if (plan) {
      staged.committedTimes = { mtimeMs: plan.entry.mtimeMs, ctimeMs: plan.entry.ctimeMs };
      staged.entry = plan.entry;
      staged.ino = plan.entry.ino;
    }
    // chunks of another size than ours are fragments: compaction re-cuts them (commit)
    return staged;
  }

  /** The file exists on the controller as `entry` (created empty there): nothing to commit until it changes. */
  adopt(entry: EntryInfo): void {
    this.entry = entry;
    this.ino = entry.ino;
    this.mode = entry.mode;
    this.committedTimes = { mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs };
    if (this.size === 0 && this.dirty.size === 0) this.metaDirty = false;
  }

  /** The inode number stat shows: the committed one, or the one a file created in a burst chose. */
  get shownIno(): number | undefined {
    return this.ino ?? this.newIno?.number;
  }

  /** True when there is something to commit. */
  get needsCommit(): boolean {
    return !this.unlinked && (this.metaDirty || this.dirty.size > 0);
  }

  /** mtime and ctime as stat shows them: explicit mtime, else the change time, else the committed times. */
  times(): { mtimeMs: number; ctimeMs: number } {
    const c = this.needsCommit || !this.committedTimes ? { mtimeMs: this.changedAtMs, ctimeMs: this.changedAtMs } : this.committedTimes;
    return this.setTimes.mtime ? { mtimeMs: timespecToMs(this.setTimes.mtime), ctimeMs: c.ctimeMs } : c;
  }

  /** A write or truncate moves mtime to now: a time set before it no longer holds. */
  private contentChanged(): void {
    this.metaDirty = true;
    this.changedAtMs = Date.now();
    if (this.setTimes.mtime) this.setTimes = { ...this.setTimes, mtime: undefined };
  }

  get dirtyChunks(): number[] {
    return [...this.dirty].sort((a, b) => a - b);
  }

  write(data: Buffer, offset: number): Promise<number> {
    return this.serial(async () => {
      const end = offset + data.length;
      if (end > MAX_FILE_BYTES) throw errors.tooLarge(`Files are at most ${MAX_FILE_BYTES} bytes`, { path: this.path });
      if (data.length === 0) return 0;
      const cs = this.chunkSizeBytes;
      for (let i = Math.floor(offset / cs); i * cs < end; i++) {
        const coversBase = offset <= i * cs && end >= this.baseEndIn(i);
        if (coversBase) this.present.add(i);
        else if (!this.partialWrites) await this.ensureLoaded(i);
        this.markDirty(i);
      }
      // growing past a partial last chunk changes that chunk too
      if (offset > this.size) await this.markRangeDirty(this.size, offset);
      await this.noteWritten(offset, end);
      await this.store.write(data, offset);
      if (end > this.size) this.size = end;
      this.contentChanged();
      // a writer that starts a new chunk is done with the one before (sequential writes)
      const last = Math.floor((end - 1) / cs);
      if (offset % cs === 0 || Math.floor(offset / cs) !== last) this.queueAhead(last - 1);
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
      const bytesRead = await this.store.read(out, 0, out.length, offset);
      return bytesRead === out.length ? out : out.subarray(0, bytesRead);
    });
  }

  truncate(size: number): Promise<void> {
    return this.serial(async () => {
      if (size === 0 && this.entry) this.replaces = true;
      if (size === this.size) return;
      if (size > MAX_FILE_BYTES) throw errors.tooLarge(`Files are at most ${MAX_FILE_BYTES} bytes`, { path: this.path });
      const cs = this.chunkSizeBytes;
      if (size < this.size) {
        const keep = Math.ceil(size / cs);
        if (size % cs !== 0) {
          if (!this.partialWrites) await this.ensureLoaded(keep - 1);
          this.markDirty(keep - 1);
        }
        this.base = clip(this.base, size);
        this.written = clipRanges(this.written, size);
        if (this.dirtyRanges) this.dirtyRanges = clipRanges(this.dirtyRanges, size);
        for (const set of [this.present, this.dirty]) for (const i of set) if (i >= keep) set.delete(i);
        // the bytes there are gone: no background result for them may count
        for (const i of this.gens.keys()) if (i >= keep) this.gens.set(i, this.gen(i) + 1);
      } else {
        await this.markRangeDirty(this.size, size);
      }
      await this.store.truncate(size);
      this.size = size;
      this.contentChanged();
    });
  }

  /** Uploads the dirty chunks and commits the entry; on failure everything stays staged. */
  commit(signal: AbortSignal): Promise<EntryInfo | undefined> {
    return this.serial(async () => {
      if (!this.needsCommit) return undefined;
      // queued background uploads are the commit's job now; running ones may still count
      this.aheadQueue.length = 0;
      await Promise.all(this.aheadInflight.values());
      if (fitsInline(this.size, this.deps.client.inlineMaxBytes, this.chunkSizeBytes)) {
        const entry = await this.commitInline(signal);
        if (entry) return entry;
      }
      const refusedExtents = (err: unknown): undefined => {
        // a controller older than extents refuses them (INVALID): whole chunks it takes
        if (!(err instanceof RedCloudError) || (err.code !== 'INVALID' && err.code !== 'TOO_LARGE')) throw err;
        this.deps.logger?.debug({ path: this.path, err: err.message }, 'Extent commit refused; committing whole chunks');
        return undefined;
      };
      const viaExtents = await this.commitExtents(signal).catch((err: unknown) => {
        // a controller with a lower INLINE_MAX refused the record's inline chunks (TOO_LARGE): the
        // client lowered its limits, so the next attempt folds them onto chunkservers
        if (err instanceof RedCloudError && err.code === 'TOO_LARGE') return this.commitExtents(signal).catch(refusedExtents);
        return refusedExtents(err);
      });
      if (viaExtents) return viaExtents;
      const nowMs = Date.now();
      const cs = this.chunkSizeBytes;
      const count = Math.ceil(this.size / cs);
      const chunks: StagedChunk[] = [];
      const next: ReadPlanChunk[] = [];
      let uploads = 0;
      for (let i = 0; i < count; i++) {
        const len = Math.min(cs, this.size - i * cs);
        const whole = this.dirty.has(i) ? undefined : wholeAt(this.base, i * cs, len);
        // an inline chunk is on no chunkserver: a commit of whole chunks stores it
        const old = whole?.inline === undefined ? whole : undefined;
        if (old) {
          chunks.push({ index: i, ref: { id: old.id, size: old.size } });
          next.push({ ...old, offset: i * cs });
          continue;
        }
        const stored = this.ahead.get(i);
        if (stored && stored.gen === this.gen(i) && stored.ref.size === len && nowMs - stored.atMs < WRITE_BEHIND_MAX_AGE_MS) {
          chunks.push({ index: i, ref: stored.ref, receipts: stored.receipts });
          next.push({ id: stored.ref.id, size: len, offset: i * cs, locations: [], cap: '' });
          uploads++;
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
            const bytesRead = await this.store.read(data, 0, len, offset);
            if (bytesRead !== len) data.fill(0, bytesRead);
            const id = await this.deps.client.chunkId(data);
            next[i]!.id = id;
            return { ref: { id, size: len }, data };
          },
        });
        uploads++;
      }
      const entry = await this.deps.client.commitChunks(this.path, chunks, this.size, this.commitOptions(signal));
      this.committed(entry, fromChunks(next), []);
      this.stats.uploadedChunks += uploads;
      return entry;
    });
  }

  /** What every commit sends besides the content. */
  private commitOptions(signal: AbortSignal): UploadOptions {
    const { atime, mtime } = this.sentTimes = this.setTimes;
    return {
      // the mtime stat showed while staged, so the committed entry looks the same (tar checks); a set one to the nanosecond
      signal, mode: this.mode, ...(mtime ? { mtime } : { mtimeMs: this.changedAtMs }), ...(atime ? { atime } : {}),
      ...(this.replaces ? { replaces: true } : {}),
      ...(this.ino !== undefined ? { ino: this.ino } : { ...this.owner, ...(this.newIno ? { newIno: this.newIno.id } : {}) }),
    };
  }

  /**
   * Commits the whole (small) file inline, in its inode record: one controller call, no chunk
   * stored. Undefined when the controller keeps no file this large inline (the caller stores
   * chunks). Afterwards every byte is in the staging file and the file has no base chunks.
   */
  private async commitInline(signal: AbortSignal): Promise<EntryInfo | undefined> {
    const cs = this.chunkSizeBytes;
    for (let i = 0; i * cs < this.size; i++) await this.ensureLoaded(i);
    const data = Buffer.allocUnsafe(this.size);
    const bytesRead = await this.store.read(data, 0, data.length, 0);
    if (bytesRead !== data.length) data.fill(0, bytesRead);
    const entry = await this.deps.client.commitInline(this.path, data, this.commitOptions(signal));
    if (!entry) return undefined;
    // the bytes are in the record, in no chunk: a commit in chunks stores them all
    this.committed(entry, [], this.size > 0 ? [{ off: 0, len: this.size }] : []);
    this.stats.inlineCommits++;
    return entry;
  }

  /** A commit succeeded: `entry` is the committed version, `base` its content, `dirtyRanges` what a commit in chunks must still store. */
  private committed(entry: EntryInfo, base: Span<ReadPlanChunk>[], dirtyRanges: Ranges): void {
    this.replaces = false;
    this.entry = entry;
    this.ino = entry.ino ?? this.ino;
    this.base = base;
    this.dirtyRanges = dirtyRanges;
    this.dirty.clear();
    this.ahead.clear();
    // times set while this commit was in flight are still to be committed
    this.metaDirty = this.setTimes !== this.sentTimes;
    if (!this.metaDirty) this.setTimes = {};
    this.committedTimes = { mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs };
    this.stats.commits++;
  }

  /** Closes and deletes the staging file. */
  async dispose(): Promise<void> {
    this.aheadQueue.length = 0;
    this.aheadAbort.abort();
    await Promise.all(this.aheadInflight.values());
    await this.serial(async () => {
      await this.store.close();
    });
  }


  private gen(i: number): number {
    return this.gens.get(i) ?? 0;
  }

  /** Chunk i's bytes change: it is dirty, and any background result for it is stale. */
  private markDirty(i: number): void {
    this.dirty.add(i);
    this.gens.set(i, this.gen(i) + 1);
  }

  /** Whether chunk i is worth storing in the background now: whole, dirty, not stored at its generation. */
  private wantsAhead(i: number): boolean {
    // a chunk staged whole (a sequential writer covered it): one written into only has holes where its old bytes go
    return i >= 0 && !this.unlinked && this.dirty.has(i) && this.present.has(i) && (i + 1) * this.chunkSizeBytes <= this.size &&
      this.ahead.get(i)?.gen !== this.gen(i) && !this.aheadInflight.has(i);
  }

  private queueAhead(i: number): void {
    if (this.deps.writeBehindChunks === 0 || !this.wantsAhead(i) || this.aheadQueue.includes(i)) return;
    this.aheadQueue.push(i);
    this.pumpAhead();
  }

  private pumpAhead(): void {
    while (this.aheadInflight.size < this.deps.writeBehindChunks && this.aheadQueue.length > 0) {
      const i = this.aheadQueue.shift()!;
      if (!this.wantsAhead(i)) continue;
      const run = this.storeAhead(i).finally(() => {
        this.aheadInflight.delete(i);
        this.pumpAhead();
      });
      this.aheadInflight.set(i, run);
    }
  }

  /** Reads chunk i from the staging file and stores it; never rejects. */
  private async storeAhead(i: number): Promise<void> {
    const gen = this.gen(i);
    const pool = aheadBuffers(this.chunkSizeBytes);
    const data = pool.take();
    // a failed or aborted upload may still be sending these bytes: only a finished one gives them back
    let reusable = true;
    try {
      const bytesRead = await this.store.read(data, 0, data.length, i * data.length);
      if (bytesRead !== data.length) return; // truncated meanwhile
      const signal = AbortSignal.any([this.aheadAbort.signal, AbortSignal.timeout(WRITE_BEHIND_TIMEOUT_MS)]);
      reusable = false;
      const { ref, receipts } = await this.deps.client.storeChunk(data, { signal });
      reusable = true;
      if (this.gen(i) !== gen) return; // written again meanwhile
      this.ahead.set(i, { gen, ref, receipts, atMs: Date.now() });
      this.stats.storedAhead++;
    } catch (err) {
      this.deps.logger?.debug({ path: this.path, chunk: i, err: (err as Error).message }, 'Write-behind upload failed; the commit uploads the chunk');
    } finally {
      if (reusable) pool.give(data);
    }
  }

  /** Chunks overlapping [from, to) become dirty (loaded first when they have committed bytes). */
  private async markRangeDirty(from: number, to: number): Promise<void> {
    const cs = this.chunkSizeBytes;
    for (let i = Math.floor(from / cs); i * cs < to; i++) {
      if (!this.partialWrites) await this.ensureLoaded(i);
      this.markDirty(i);
    }
  }

  /** Chunk i's committed bytes are staged: loaded from the base, except where written since open. */
  private async ensureLoaded(i: number): Promise<void> {
    if (this.present.has(i)) return;
    const cs = this.chunkSizeBytes;
    let loaded = false;
    for (const g of gaps(this.written, i * cs, (i + 1) * cs)) {
      for (const p of pieces(this.base, g.off, g.off + g.len)) {
        if (!p.chunk) continue;
        const data = await this.deps.cache.read(p.chunk, p.chunkOff, p.chunkOff + p.len);
        await this.store.write(data, p.off);
        loaded = true;
      }
    }
    if (loaded) this.stats.loadedChunks++;
    this.present.add(i);
  }

  /** Where the committed bytes of chunk i end (its start when it has none). */
  private baseEndIn(i: number): number {
    const cs = this.chunkSizeBytes;
    const ps = pieces(this.base, i * cs, (i + 1) * cs).filter((p) => p.chunk !== undefined);
    const last = ps[ps.length - 1];
    return last ? last.off + last.len : i * cs;
  }

  /**
   * The file's current bytes `data` at `off` are written to the staging file and count as staged
   * (not dirty): the base is about to name chunks this mount cannot fetch (a fold's packs, stored
   * but without locations here), so loading must never need them. Without range tracking, their
   * chunks are loaded whole first, while the base still names where the bytes are.
   */
  private async keepStaged(parts: { off: number; data: Buffer }[]): Promise<void> {
    const cs = this.chunkSizeBytes;
    for (const p of parts) {
      if (!this.partialWrites) {
        for (let i = Math.floor(p.off / cs); i * cs < p.off + p.data.length; i++) await this.ensureLoaded(i);
        continue;
      }
      await this.store.write(p.data, p.off);
      this.written = addRange(this.written, p.off, p.off + p.data.length);
    }
    if (this.written.length > STAGED_RANGES_MAX) {
      // too many: stage every chunk written into whole (the base still names the bytes), then track no more
      for (const r of this.written) {
        for (let i = Math.floor(r.off / cs); i * cs < r.off + r.len; i++) await this.ensureLoaded(i);
      }
      this.written = [];
      this.partialWrites = false;
    }
  }

  /** Bytes [from, to) are about to be written: tracked as written and dirty while the bounds allow. */
  private async noteWritten(from: number, to: number): Promise<void> {
    if (this.dirtyRanges) {
      this.dirtyRanges = addRange(this.dirtyRanges, from, to);
      if (this.dirtyRanges.length > STAGED_RANGES_MAX) this.dirtyRanges = undefined;
    }
    if (!this.partialWrites) return;
    this.written = addRange(this.written, from, to);
    if (this.written.length <= STAGED_RANGES_MAX) return;
    // too many: stage every chunk written into whole, then track no more
    const cs = this.chunkSizeBytes;
    for (const r of this.written) {
      for (let i = Math.floor(r.off / cs); i * cs < r.off + r.len; i++) await this.ensureLoaded(i);
    }
    this.written = [];
    this.partialWrites = false;
  }

  /**
   * Commits only the bytes changed since the last commit, as new chunks, and the file as extents
   * over them and the old ones. Undefined (nothing done) when too much changed or the result would
   * be too fragmented: the caller then rewrites the changed and fragmented chunks whole.
   */
  private async commitExtents(signal: AbortSignal): Promise<EntryInfo | undefined> {
    if (!this.dirtyRanges) return undefined;
    const cs = this.chunkSizeBytes;
    const ranges = splitRanges(clipRanges(this.dirtyRanges, this.size), cs);
    const bytes = ranges.reduce((n, r) => n + r.len, 0);
    if (bytes > Math.min(cs, EXTENT_COMMIT_MAX_BYTES)) return undefined;
    // too fragmented: the most fragmented cells are rewritten whole (compaction.ts), the dirty ranges in them go with them
    const planned = clip(overlay(this.base, ranges.map((r) => ({ off: r.off, len: r.len, chunk: { size: r.len }, chunkOff: 0 }))), this.size);
    const compact = new Set(cellsToCompact(planned, cs, EXTENT_FRAGMENTS_MAX));
    const nowMs = Date.now();
    const fresh: FreshChunk[] = [];
    const top: Span<ReadPlanChunk>[] = [];
    for (const i of compact) {
      await this.ensureLoaded(i);
      const off = i * cs;
      const len = Math.min(cs, this.size - off);
      const data = Buffer.allocUnsafe(len);
      const bytesRead = await this.store.read(data, 0, len, off);
      if (bytesRead !== len) data.fill(0, bytesRead);
      fresh.push({ ref: { id: await this.deps.client.chunkId(data), size: len }, data });
      top.push({ off, len, chunk: { ...fresh[fresh.length - 1]!.ref, offset: off, locations: [], cap: '' }, chunkOff: 0 });
    }
    for (const r of ranges) {
      const i = Math.floor(r.off / cs);
      if (compact.has(i)) continue;
      const stored = this.ahead.get(i);
      if (stored && r.off === i * cs && stored.gen === this.gen(i) && stored.ref.size === r.len && nowMs - stored.atMs < WRITE_BEHIND_MAX_AGE_MS) {
        fresh.push({ ref: stored.ref, receipts: stored.receipts });
      } else {
        const data = Buffer.allocUnsafe(r.len);
        const bytesRead = await this.store.read(data, 0, r.len, r.off);
        if (bytesRead !== r.len) data.fill(0, bytesRead);
        fresh.push({ ref: { id: await this.deps.client.chunkId(data), size: r.len }, data });
      }
      top.push({ off: r.off, len: r.len, chunk: { ...fresh[fresh.length - 1]!.ref, offset: r.off, locations: [], cap: '' }, chunkOff: 0 });
    }
    let next = clip(overlay(this.base, top), this.size);
    if (fragments(next, cs) > EXTENT_FRAGMENTS_MAX) return undefined;
    const placed = await this.placeInline(next, fresh);
    next = placed.next;
    const entry = await this.deps.client.commitExtents(this.path, next, placed.fresh, this.size, this.commitOptions(signal));
    // chunks the client had to store on chunkservers after all (a controller refused them inline)
    const refused = new Set(placed.fresh.filter((f) => f.inline === false && placed.inlined.has(f.ref.id)).map((f) => f.ref.id));
    for (const sp of next) if (refused.has(sp.chunk.id)) delete sp.chunk.inline;
    this.committed(entry, next, []);
    this.stats.extentCommits++;
    const inlined = placed.fresh.filter((f) => f.inline);
    this.stats.inlineChunks += inlined.length;
    this.stats.uploadedExtentBytes += placed.fresh.reduce((n, f) => n + (f.inline ? 0 : f.data?.length ?? 0), 0);
    return entry;
  }

  /**
   * Inline chunks at an extent commit (compaction.ts inlineChoice): small fresh chunks go into the
   * inode record (their plan chunks carry the bytes from now on), or, when the record would hold
   * too many inline bytes, its inline chunks and those small fresh ones are folded: their live
   * bytes packed into new chunks that go to the chunkservers (packInline), the spans pointed there.
   */
  private async placeInline(spans: Span<ReadPlanChunk>[], fresh: FreshChunk[]): Promise<{ next: Span<ReadPlanChunk>[]; fresh: FreshChunk[]; inlined: Set<string> }> {
    const limits = this.deps.client.inlineChunkLimits ?? { chunkMaxBytes: 0, recordMaxBytes: 0 };
    const data = new Map<string, Buffer>();
    for (const f of fresh) if (f.data) data.set(f.ref.id, f.data);
    const oldInline = (c: ReadPlanChunk): boolean => c.inline !== undefined && !data.has(c.id);
    const isFresh = (c: ReadPlanChunk): boolean => data.has(c.id);
    const choice = inlineChoice(spans, oldInline, isFresh, limits);
    if (!choice.fold) {
      const ids = new Set(choice.inline.map((c) => c.id));
      for (const sp of spans) if (ids.has(sp.chunk.id)) sp.chunk.inline = data.get(sp.chunk.id)!.toString('base64');
      return { next: spans, fresh: fresh.map((f) => (ids.has(f.ref.id) ? { ...f, inline: true } : f)), inlined: ids };
    }
    const small = (c: ReadPlanChunk): boolean => oldInline(c) || (isFresh(c) && c.size <= limits.chunkMaxBytes);
    const { packed, packBytes } = packInline(spans, small, this.chunkSizeBytes);
    const bufs = packBytes.map((n) => Buffer.allocUnsafe(n));
    const decoded = new Map<string, Buffer>();
    for (const pk of packed) {
      const c = pk.span.chunk;
      let src = data.get(c.id) ?? decoded.get(c.id);
      if (!src) decoded.set(c.id, (src = inlineChunkData(c)));
      src.copy(bufs[pk.pack]!, pk.packOff, pk.span.chunkOff, pk.span.chunkOff + pk.span.len);
    }
    // the packs have no locations here: their bytes must stay readable from the staging file
    await this.keepStaged(packed.map((pk) => ({ off: pk.span.off, data: bufs[pk.pack]!.subarray(pk.packOff, pk.packOff + pk.span.len) })));
    const packs: ReadPlanChunk[] = [];
    for (const b of bufs) packs.push({ id: await this.deps.client.chunkId(b), size: b.length, offset: 0, locations: [], cap: '' });
    const moved = new Map(packed.map((pk) => [pk.span, pk]));
    const next = spans.map((sp) => {
      const pk = moved.get(sp);
      return pk ? { off: sp.off, len: sp.len, chunk: packs[pk.pack]!, chunkOff: pk.packOff } : sp;
    });
    const used = new Set(next.map((sp) => sp.chunk.id));
    const kept = fresh.filter((f) => used.has(f.ref.id));
    this.stats.inlineFolds++;
    this.deps.logger?.debug({ path: this.path, packs: packs.length, bytes: packBytes.reduce((n, x) => n + x, 0) }, 'Folding inline chunks onto chunkservers');
    return { next, fresh: [...kept, ...packs.map((c, i) => ({ ref: { id: c.id, size: c.size }, data: bufs[i]! }))], inlined: new Set() };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
