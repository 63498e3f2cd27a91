/**
 * The FUSE operations as plain async functions over RedCloudClient: each returns a value or
 * throws (a RedCloudError or a FuseErrnoError), and takes the operation's AbortSignal last. The
 * adapter (ops.ts) turns them into fuse-native callbacks. Files opened for writing are staged
 * (staged-file.ts, open-files.ts: keyed by inode, so hard links and renames see one staged file)
 * and committed on flush/fsync/release to their inode; read-only opens read through the chunk
 * cache; attributes and listings are cached for a short TTL (meta-cache.ts) and invalidated by our
 * own changes, for every known name of a changed inode. Attribute, node and xattr operations live
 * in attr-ops.ts, node-ops.ts and xattr-ops.ts over the HandlerContext built here.
 */
import { join } from 'node:path';
import type { CreateOwner, EntryInfo } from '../src/common/api.js';
import { RedCloudError, errors } from '../src/common/errors.js';
import type { Logger } from '../src/common/logger.js';
import { MAX_NAME_BYTES, parentOf } from '../src/common/paths.js';
import type { RedCloudClient } from '../src/client/types.js';
import { attrOps } from './attr-ops.js';
import { ChunkCache } from './chunk-cache.js';
import { DiskChunkCache } from './disk-chunk-cache.js';
import { fuseErrors } from './errno.js';
import { FileReader } from './file-reader.js';
import { FallbackInos } from './inos.js';
import { MetadataCache } from './meta-cache.js';
import { nodeOps } from './node-ops.js';
import { OpenFiles } from './open-files.js';
import { StagedFile, WRITE_BEHIND_DEFAULT } from './staged-file.js';
import {
  isWriteOpen, O_TRUNC, statusToStatfs, toStat, toStatfs, type FuseStat, type FuseStatfs, type StatSource,
} from './stat.js';
import { TtlCache } from './ttl-cache.js';
import { xattrOps } from './xattr-ops.js';

export interface HandlerOptions {
  cacheDir: string;
  cacheSizeBytes: number;
  /** bytes of the on-disk chunk cache under cacheDir/chunks; 0 or absent: none */
  diskCacheSizeBytes?: number;
  readAheadChunks: number;
  /** whole chunks stored in the background per file being written (default WRITE_BEHIND_DEFAULT; 0: none) */
  writeBehindChunks?: number;
  attrTtlMs: number;
  fetchTimeoutMs: number;
  /** owner shown for entries without one (controllers older than the inode namespace) */
  owner: { uid: number; gid: number };
  nowMs?: () => number;
}

/** The process a creating operation runs for (fuse_get_context through Fuse.callerContext). */
export interface Caller {
  uid: number;
  gid: number;
}

interface Handle {
  path: string;
  staged?: StagedFile;
  reader?: FileReader;
}

export type Sig = AbortSignal;

/** What the operation modules share: the client, the caches, the open-file table and a few helpers. */
export interface HandlerContext {
  client: RedCloudClient;
  logger: Logger;
  meta: MetadataCache;
  files: OpenFiles;
  inos: FallbackInos;
  nowMs: () => number;
  statEntry(path: string, signal: Sig): Promise<EntryInfo>;
  /** the staged file of `path`: under that name, or of its inode when its entry is cached */
  stagedFor(path: string): Promise<StagedFile | undefined>;
  commit(s: StagedFile, signal: Sig): Promise<void>;
  /** the inode at `path` changed (setattr, link, xattr): drop what is cached of it under every known name */
  changed(path: string, entry?: EntryInfo): void;
  statOf(e: StatSource, path: string): FuseStat;
  /** ENAMETOOLONG for a last component over 255 bytes */
  checkName(path: string): void;
}

/** Attribute-cache misses in one directory within the TTL after which its listing is fetched instead. */
export const STAT_MISSES_BEFORE_LISTING = 8;

export function createHandlers(components: { client: RedCloudClient; logger: Logger }, options: HandlerOptions) {
  const { client, logger } = components;
  const nowMs = options.nowMs ?? Date.now;
  const diskBytes = options.diskCacheSizeBytes ?? 0;
  const disk = diskBytes > 0 ? new DiskChunkCache({ logger }, { dir: options.cacheDir, capacityBytes: diskBytes }) : undefined;
  const cache = new ChunkCache({ ...components, disk }, {
    capacityBytes: options.cacheSizeBytes, readAheadChunks: options.readAheadChunks, fetchTimeoutMs: options.fetchTimeoutMs,
  });
  const stagingDir = join(options.cacheDir, 'staging');
  const meta = new MetadataCache(options.attrTtlMs, nowMs);
  const statMisses = new TtlCache<number>(options.attrTtlMs, nowMs);
  const listedForStat = new TtlCache<boolean>(options.attrTtlMs, nowMs);
  const inos = new FallbackInos();
  const files = new OpenFiles();
  const handles = new Map<number, Handle>();
  let nextFd = 1;

  const cachedIno = (path: string): number | undefined => meta.attr(path)?.ino;

  /** A name longer than Linux allows: ENAMETOOLONG before anything is asked (the kernel leaves it to us). */
  function checkName(path: string): void {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw errors.nameTooLong(`Name over ${MAX_NAME_BYTES} bytes`, { path });
  }

  function statOf(e: StatSource, path: string): FuseStat {
    return toStat(e, { ...options.owner, ino: e.ino ?? inos.of(path) });
  }

  /** Lists `dir` (cached for the TTL) and fills the attribute cache with its entries. */
  async function listDir(dir: string, signal: Sig): Promise<EntryInfo[]> {
    let entries = meta.listing(dir);
    if (!entries) {
      entries = await client.list(dir, { signal });
      meta.setListing(dir, entries);
    }
    return entries;
  }

  async function statEntry(path: string, signal: Sig): Promise<EntryInfo> {
    const cached = meta.attr(path);
    if (cached === null) throw errors.notFound(`No such file or directory: ${path}`, { path });
    if (cached) return cached;
    // many misses in one directory (ls -l, find, stat of every file): one listing answers them all
    const parent = parentOf(path);
    const misses = (statMisses.get(parent) ?? 0) + 1;
    statMisses.set(parent, misses);
    // at most one such listing per directory and TTL: creating many files invalidates it each time
    let entries = meta.listing(parent);
    if (!entries && path !== '/' && misses >= STAT_MISSES_BEFORE_LISTING && !listedForStat.get(parent)) {
      listedForStat.set(parent, true);
      entries = await listDir(parent, signal).catch(() => undefined);
    }
    if (entries && path !== '/') {
      const hit = meta.attr(path) ?? entries.find((e) => e.path === path);
      if (hit) return hit;
      meta.setAttr(path, null);
      throw errors.notFound(`No such file or directory: ${path}`, { path });
    }
    try {
      const entry = await client.stat(path, { signal });
      meta.setAttr(path, entry);
      return entry;
    } catch (err) {
      if (err instanceof RedCloudError && err.code === 'NOT_FOUND') meta.setAttr(path, null);
      throw err;
    }
  }

  const stagedFor = (path: string): Promise<StagedFile | undefined> => files.at(path, cachedIno(path));

  /** A staged file for `path` from its committed version, truncated, or new (`create`: its mode). */
  async function openStaged(path: string, how: { create?: { mode: number; owner: CreateOwner }; truncate?: boolean }, signal: Sig): Promise<StagedFile> {
    const deps = { client, cache, stagingDir, logger, writeBehindChunks: options.writeBehindChunks ?? WRITE_BEHIND_DEFAULT };
    if (how.create) {
      const s = await StagedFile.create(deps, path, null, how.create.mode);
      s.owner = how.create.owner;
      return s;
    }
    if (how.truncate) {
      const entry = await statEntry(path, signal);
      if (entry.kind !== 'file') throw errors.isDir(`Not a regular file: ${path}`, { path });
      const s = await StagedFile.create(deps, path, null, entry.mode);
      s.entry = entry;
      s.ino = entry.ino;
      return s;
    }
    const plan = await client.readPlan(path, { signal });
    if (plan.entry.kind !== 'file') throw errors.isDir(`Not a regular file: ${path}`, { path });
    return StagedFile.create(deps, path, plan, plan.entry.mode);
  }

  /** The staged file of `path` (under its name or its inode), creating it if needed; takes a reference. */
  function acquireStaged(path: string, how: { create?: { mode: number; owner: CreateOwner }; truncate?: boolean }, signal: Sig): Promise<StagedFile> {
    let p = how.create ? undefined : files.pending(path, cachedIno(path));
    if (!p) {
      p = openStaged(path, how, signal);
      files.add(path, OpenFiles.keyOf(path, undefined), p);
      p.then((s) => files.rekey(s), () => undefined);
    }
    return p.then(async (s) => {
      s.refs++;
      if (how.truncate && s.size !== 0) await s.truncate(0);
      return s;
    });
  }

  async function commit(s: StagedFile, signal: Sig): Promise<void> {
    if (!s.needsCommit) return;
    const wasNew = s.ino === undefined && s.entry === undefined;
    const entry = await s.commit(signal);
    if (!entry) return;
    files.rekey(s);
    meta.invalidateIno(entry.ino);
    // a cached listing of the directory learns the entry instead of being dropped: in a loop that
    // creates files, the lookups of the next new names are then answered without a round trip
    meta.forget(s.path);
    meta.putInListing(entry);
    meta.setAttr(s.path, entry);
    if (wasNew) meta.dirTouched(parentOf(s.path)); // its mtime changed
  }

  /** Drops a staged file nobody uses and that holds nothing uncommitted. */
  async function maybeDispose(s: StagedFile): Promise<void> {
    if (s.refs > 0 || s.needsCommit) return;
    await files.remove(s);
    await s.dispose();
  }

  function changed(path: string, entry?: EntryInfo): void {
    meta.invalidateIno(entry?.ino ?? cachedIno(path));
    meta.invalidate(path);
    if (entry) meta.setAttr(path, entry);
  }

  function handleOf(fd: number): Handle {
    const h = handles.get(fd);
    if (!h) throw fuseErrors.badFd(fd);
    return h;
  }

  function addHandle(h: Handle): number {
    const fd = nextFd++;
    if (nextFd > 0x7fff_ffff) nextFd = 1;
    handles.set(fd, h);
    return fd;
  }

  /** A staged file's stat: its size and times, the committed inode's owner, links and number. */
  function stagedStat(s: StagedFile, path: string): FuseStat {
    const e = s.entry;
    const clean = e !== undefined && !s.needsCommit && s.mtimeMs === undefined;
    return statOf({
      kind: 'file', mode: s.mode, size: s.size, ...s.times(),
      ino: s.ino, uid: e?.uid ?? s.owner?.uid, gid: e?.gid ?? s.owner?.gid, nlink: e?.nlink,
      ...(clean ? { atime: e.atime, mtime: e.mtime, ctime: e.ctime } : {}),
    }, path);
  }

  /** The staged file readers of `path` share (open for writing elsewhere, maybe under another name). */
  async function liveStaged(path: string, ino: number | undefined): Promise<StagedFile | undefined> {
    const s = await files.at(path, ino);
    return s && !s.unlinked ? s : undefined;
  }

  const ctx: HandlerContext = { client, logger, meta, files, inos, nowMs, statEntry, stagedFor, commit, changed, statOf, checkName };

  return {
    cache,
    /** open handles and staged files, for tests */
    debug: { handles, files, meta },

    async getattr(path: string, signal: Sig): Promise<FuseStat> {
      checkName(path);
      const s = await liveStaged(path, cachedIno(path));
      if (s) return stagedStat(s, path);
      const entry = await statEntry(path, signal);
      const other = entry.ino !== undefined ? await liveStaged(path, entry.ino) : undefined;
      return other ? stagedStat(other, path) : statOf(entry, path);
    },

    async readdir(path: string, signal: Sig): Promise<{ names: string[]; stats: FuseStat[] }> {
      const entries = await listDir(path, signal);
      const self = await statEntry(path, signal);
      const up = parentOf(path);
      const parent = path === '/' ? self : await statEntry(up, signal).catch(() => self);
      const names = ['.', '..', ...entries.map((e) => e.path.slice(e.path.lastIndexOf('/') + 1))];
      const stats = [statOf(self, path), statOf(parent, up), ...entries.map((e) => statOf(e, e.path))];
      const seen = new Set(names);
      for (const { path: p, staged: s } of await files.list()) {
        const name = p.slice(p.lastIndexOf('/') + 1);
        if (!s.unlinked && parentOf(p) === path && p !== '/' && !seen.has(name)) {
          seen.add(name);
          names.push(name);
          stats.push(stagedStat(s, p));
        }
      }
      return { names, stats };
    },

    async open(path: string, flags: number, signal: Sig): Promise<number> {
      if (isWriteOpen(flags)) {
        const s = await acquireStaged(path, { truncate: (flags & O_TRUNC) !== 0 }, signal);
        return addHandle({ path, staged: s });
      }
      const s = await liveStaged(path, cachedIno(path));
      if (s) {
        s.refs++;
        return addHandle({ path, staged: s });
      }
      const plan = await client.readPlan(path, { signal });
      if (plan.entry.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      const other = plan.entry.ino !== undefined ? await liveStaged(path, plan.entry.ino) : undefined;
      if (other) {
        other.refs++;
        return addHandle({ path, staged: other });
      }
      meta.setAttr(path, plan.entry);
      return addHandle({ path, reader: new FileReader(path, plan, cache, client) });
    },

    async create(path: string, mode: number, caller: Caller | undefined, signal: Sig): Promise<number> {
      checkName(path);
      const existing = await files.at(path);
      if (existing && !existing.unlinked) {
        existing.refs++;
        await existing.truncate(0);
        return addHandle({ path, staged: existing });
      }
      if (existing?.unlinked) await files.unname(path);
      const { owner, mode: m } = await nodeOps(ctx).ownerFor(path, caller, mode & 0o7777, false, signal);
      const s = await acquireStaged(path, { create: { mode: m, owner } }, signal);
      meta.forget(path); // readdir adds staged files to a cached listing; the commit adds the entry to it
      return addHandle({ path, staged: s });
    },

    async read(_path: string, fd: number, length: number, offset: number, signal: Sig): Promise<Buffer> {
      const h = handleOf(fd);
      if (h.staged) return h.staged.read(offset, length);
      return h.reader!.read(offset, length, signal);
    },

    async write(_path: string, fd: number, data: Buffer, offset: number, _signal: Sig): Promise<number> {
      const h = handleOf(fd);
      if (!h.staged) throw fuseErrors.badFd(fd);
      return h.staged.write(data, offset);
    },

    async flush(_path: string, fd: number, signal: Sig): Promise<void> {
      const h = handleOf(fd);
      if (h.staged) await commit(h.staged, signal);
    },

    async fsync(path: string, fd: number, signal: Sig): Promise<void> {
      await this.flush(path, fd, signal);
    },

    async release(_path: string, fd: number, signal: Sig): Promise<void> {
      const h = handles.get(fd);
      if (!h) return;
      handles.delete(fd);
      if (!h.staged) return;
      const s = h.staged;
      s.refs--;
      try {
        await commit(s, signal);
      } catch (err) {
        logger.warn({ err, path: s.path }, 'Upload on release failed; changes stay staged for the next open');
        throw err;
      } finally {
        await maybeDispose(s);
      }
    },

    async truncate(path: string, size: number, signal: Sig): Promise<void> {
      const s = await acquireStaged(path, {}, signal);
      try {
        await s.truncate(size);
        if (s.refs === 1) await commit(s, signal);
      } finally {
        s.refs--;
        await maybeDispose(s);
      }
      changed(path);
    },

    async ftruncate(path: string, fd: number, size: number, signal: Sig): Promise<void> {
      const h = handleOf(fd);
      if (!h.staged) return this.truncate(path, size, signal);
      await h.staged.truncate(size);
    },

    async rmdir(path: string, signal: Sig): Promise<void> {
      const entry = await statEntry(path, signal);
      if (entry.kind !== 'dir') throw errors.notDir(`Not a directory: ${path}`, { path });
      meta.invalidate(path);
      await client.remove(path, { recursive: false, signal });
      meta.invalidate(path);
      inos.forget(path, true);
    },

    async unlink(path: string, signal: Sig): Promise<void> {
      const s = await stagedFor(path);
      let entry: EntryInfo | undefined;
      try {
        entry = await statEntry(path, signal);
        if (entry.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
        await client.remove(path, { signal });
      } catch (err) {
        // a file created here and never committed exists only locally
        if (!(s && err instanceof RedCloudError && err.code === 'NOT_FOUND')) throw err;
      } finally {
        changed(path);
        meta.invalidateIno(entry?.ino ?? s?.ino);
      }
      await files.unname(path);
      inos.forget(path);
      // the inode lives on under its other names; with its last name gone, its staged changes go too
      if (s && (entry?.nlink ?? 1) <= 1) {
        s.unlinked = true;
        await files.remove(s);
        if (s.refs === 0) await s.dispose();
      }
    },

    async rename(from: string, to: string, signal: Sig): Promise<void> {
      checkName(to);
      const s = await stagedFor(from);
      // a file created here must exist before it can be moved; one with an inode commits to it later
      if (s?.needsCommit && s.ino === undefined) await commit(s, signal);
      const source = await statEntry(from, signal).catch(() => undefined);
      const replaced = meta.attr(to) ?? undefined;
      await client.rename(from, to, { signal });
      const sameInode = source?.ino !== undefined && source.ino === replaced?.ino;
      if (!sameInode) {
        const target = await files.unname(to);
        if (target && target !== s && (replaced?.nlink ?? 1) <= 1) target.unlinked = true;
        await files.rename(from, to);
        inos.move(from, to, source?.kind === 'dir');
      }
      meta.invalidateIno(source?.ino);
      meta.invalidateIno(replaced?.ino);
      meta.invalidate(from);
      meta.invalidate(to);
    },

    async statfs(_path: string, signal: Sig): Promise<FuseStatfs> {
      try {
        return toStatfs(await client.statfs({ signal }));
      } catch (err) {
        // controllers older than GET /v1/fs/statfs: the healthy chunkservers' raw figures
        if (!(err instanceof RedCloudError && err.code === 'NOT_FOUND')) throw err;
        return statusToStatfs(await client.status({ signal }));
      }
    },

    async access(): Promise<void> {},

    ...attrOps(ctx),
    ...nodeOps(ctx),
    ...xattrOps(ctx),

    /** Commits whatever is still staged (at unmount); returns the paths that failed. */
    async flushAll(signal: Sig): Promise<string[]> {
      const failed: string[] = [];
      for (const s of await files.all()) {
        try {
          await commit(s, signal);
        } catch (err) {
          logger.error({ err, path: s.path }, 'Could not upload staged changes at unmount');
          failed.push(s.path);
        }
      }
      return failed;
    },

    /** Drops the caches; resolves once the disk cache's background writes have settled. */
    stop(): Promise<void> {
      return cache.stop();
    },
  };
}

export type Handlers = ReturnType<typeof createHandlers>;
