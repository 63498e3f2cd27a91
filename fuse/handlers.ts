/**
 * The FUSE operations as plain async functions over RedCloudClient: each returns a value or
 * throws (a RedCloudError or a FuseErrnoError), and takes the operation's AbortSignal last. The
 * adapter (ops.ts) turns them into fuse-native callbacks. Files opened for writing are staged
 * (staged-file.ts) and committed on flush/fsync/release; read-only opens read through the chunk
 * cache; attributes and listings are cached for a short TTL and invalidated by our own writes.
 */
import { join } from 'node:path';
import type { EntryInfo } from '../src/common/api.js';
import { RedCloudError, errors } from '../src/common/errors.js';
import type { Logger } from '../src/common/logger.js';
import { parentOf } from '../src/common/paths.js';
import type { RedCloudClient } from '../src/client/types.js';
import { ChunkCache } from './chunk-cache.js';
import { DiskChunkCache } from './disk-chunk-cache.js';
import { fuseErrors } from './errno.js';
import { FileReader } from './file-reader.js';
import { StagedFile, WRITE_BEHIND_DEFAULT } from './staged-file.js';
import {
  TAGS_XATTR, isWriteOpen, O_TRUNC, parseTags, tagDiff, toStat, toStatfs,
  type FuseStat, type FuseStatfs,
} from './stat.js';
import { TtlCache } from './ttl-cache.js';

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
  owner: { uid: number; gid: number };
  nowMs?: () => number;
}

interface Handle {
  path: string;
  staged?: StagedFile;
  reader?: FileReader;
}

type Sig = AbortSignal;

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
  const attrs = new TtlCache<EntryInfo | null>(options.attrTtlMs, nowMs);
  const listings = new TtlCache<EntryInfo[]>(options.attrTtlMs, nowMs);
  const statMisses = new TtlCache<number>(options.attrTtlMs, nowMs);
  const listedForStat = new TtlCache<boolean>(options.attrTtlMs, nowMs);
  const handles = new Map<number, Handle>();
  const staged = new Map<string, Promise<StagedFile>>();
  let nextFd = 1;

  function invalidate(path: string): void {
    forget(path);
    listings.delete(parentOf(path));
  }

  /** Drops what is cached of `path` itself (and below it), keeping its directory's listing. */
  function forget(path: string): void {
    attrs.deleteTree(path);
    listings.deleteTree(path);
  }

  /** Lists `dir` (cached for the TTL) and fills the attribute cache with its entries. */
  async function listDir(dir: string, signal: Sig): Promise<EntryInfo[]> {
    let entries = listings.get(dir);
    if (!entries) {
      entries = await client.list(dir, { signal });
      listings.set(dir, entries);
      for (const e of entries) attrs.set(e.path, e);
    }
    return entries;
  }

  async function statEntry(path: string, signal: Sig): Promise<EntryInfo> {
    const cached = attrs.get(path);
    if (cached === null) throw errors.notFound(`No such file or directory: ${path}`, { path });
    if (cached) return cached;
    // many misses in one directory (ls -l, find, stat of every file): one listing answers them all
    const parent = parentOf(path);
    const misses = (statMisses.get(parent) ?? 0) + 1;
    statMisses.set(parent, misses);
    // at most one such listing per directory and TTL: creating many files invalidates it each time
    let entries = listings.get(parent);
    if (!entries && path !== '/' && misses >= STAT_MISSES_BEFORE_LISTING && !listedForStat.get(parent)) {
      listedForStat.set(parent, true);
      entries = await listDir(parent, signal).catch(() => undefined);
    }
    if (entries && path !== '/') {
      const hit = attrs.get(path) ?? entries.find((e) => e.path === path);
      if (hit) return hit;
      attrs.set(path, null);
      throw errors.notFound(`No such file or directory: ${path}`, { path });
    }
    try {
      const entry = await client.stat(path, { signal });
      attrs.set(path, entry);
      return entry;
    } catch (err) {
      if (err instanceof RedCloudError && err.code === 'NOT_FOUND') attrs.set(path, null);
      throw err;
    }
  }

  async function stagedAt(path: string): Promise<StagedFile | undefined> {
    return staged.get(path)?.catch(() => undefined);
  }

  /** The staged file of `path`, creating it from the committed version (or empty) if needed. */
  function acquireStaged(path: string, how: { create?: number; truncate?: boolean }, signal: Sig): Promise<StagedFile> {
    let p = staged.get(path);
    if (!p) {
      p = (async () => {
        const deps = { client, cache, stagingDir, logger, writeBehindChunks: options.writeBehindChunks ?? WRITE_BEHIND_DEFAULT };
        if (how.create !== undefined) return StagedFile.create(deps, path, null, how.create);
        if (how.truncate) {
          const entry = await statEntry(path, signal);
          if (entry.kind !== 'file') throw errors.isDir(`Not a regular file: ${path}`, { path });
          return StagedFile.create(deps, path, null, entry.mode);
        }
        const plan = await client.readPlan(path, { signal });
        if (plan.entry.kind !== 'file') throw errors.isDir(`Not a regular file: ${path}`, { path });
        return StagedFile.create(deps, path, plan, plan.entry.mode);
      })();
      staged.set(path, p);
      p.catch(() => { if (staged.get(path) === p) staged.delete(path); });
    }
    return p.then(async (s) => {
      s.refs++;
      if (how.truncate && s.size !== 0) await s.truncate(0);
      return s;
    });
  }

  async function commit(s: StagedFile, signal: Sig): Promise<void> {
    if (!s.needsCommit) return;
    const entry = await s.commit(signal);
    if (!entry) return;
    // a cached listing of the directory learns the entry instead of being dropped: in a loop that
    // creates files, the lookups of the next new names are then answered without a round trip
    forget(s.path);
    listings.update(parentOf(s.path), (entries) => [...entries.filter((e) => e.path !== entry.path), entry]);
    attrs.set(s.path, entry);
  }

  /** Drops a staged file nobody uses and that holds nothing uncommitted. */
  async function maybeDispose(s: StagedFile): Promise<void> {
    if (s.refs > 0 || s.needsCommit) return;
    const current = await stagedAt(s.path);
    if (current === s) staged.delete(s.path);
    await s.dispose();
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

  function stagedStat(s: StagedFile): FuseStat {
    return toStat({ kind: 'file', mode: s.mode, size: s.size, ...s.times() }, options.owner);
  }

  return {
    cache,
    /** open handles and staged files, for tests */
    debug: { handles, staged },

    async getattr(path: string, signal: Sig): Promise<FuseStat> {
      const s = await stagedAt(path);
      if (s && !s.unlinked) return stagedStat(s);
      return toStat(await statEntry(path, signal), options.owner);
    },

    async readdir(path: string, signal: Sig): Promise<{ names: string[]; stats: FuseStat[] }> {
      const entries = await listDir(path, signal);
      const names = entries.map((e) => e.path.slice(e.path.lastIndexOf('/') + 1));
      const stats = entries.map((e) => toStat(e, options.owner));
      for (const [p, sp] of staged) {
        const s = await sp.catch(() => undefined);
        const name = p.slice(p.lastIndexOf('/') + 1);
        if (s && !s.unlinked && parentOf(p) === path && !names.includes(name)) {
          names.push(name);
          stats.push(stagedStat(s));
        }
      }
      return { names, stats };
    },

    async open(path: string, flags: number, signal: Sig): Promise<number> {
      if (isWriteOpen(flags)) {
        const s = await acquireStaged(path, { truncate: (flags & O_TRUNC) !== 0 }, signal);
        return addHandle({ path, staged: s });
      }
      const s = await stagedAt(path);
      if (s && !s.unlinked) {
        s.refs++;
        return addHandle({ path, staged: s });
      }
      const plan = await client.readPlan(path, { signal });
      if (plan.entry.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      attrs.set(path, plan.entry);
      return addHandle({ path, reader: new FileReader(path, plan, cache, client) });
    },

    async create(path: string, mode: number, _signal: Sig): Promise<number> {
      const existing = await stagedAt(path);
      if (existing && !existing.unlinked) {
        existing.refs++;
        await existing.truncate(0);
        return addHandle({ path, staged: existing });
      }
      if (existing?.unlinked) staged.delete(path);
      const s = await acquireStaged(path, { create: mode & 0o7777 }, _signal);
      forget(path); // readdir adds staged files to a cached listing; the commit adds the entry to it
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
      invalidate(path);
    },

    async ftruncate(path: string, fd: number, size: number, signal: Sig): Promise<void> {
      const h = handleOf(fd);
      if (!h.staged) return this.truncate(path, size, signal);
      await h.staged.truncate(size);
    },

    async mkdir(path: string, mode: number, signal: Sig): Promise<void> {
      await client.mkdir(path, { mode: mode & 0o7777, signal });
      invalidate(path);
    },

    async rmdir(path: string, signal: Sig): Promise<void> {
      const entry = await statEntry(path, signal);
      if (entry.kind !== 'dir') throw errors.notDir(`Not a directory: ${path}`, { path });
      invalidate(path);
      await client.remove(path, { recursive: false, signal });
      invalidate(path);
    },

    async unlink(path: string, signal: Sig): Promise<void> {
      const s = await stagedAt(path);
      if (s) {
        s.unlinked = true;
        staged.delete(path);
        if (s.refs === 0) await s.dispose();
      }
      try {
        const entry = await statEntry(path, signal);
        if (entry.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
        await client.remove(path, { signal });
      } catch (err) {
        // a file created here and never committed exists only locally
        if (!(s && err instanceof RedCloudError && err.code === 'NOT_FOUND')) throw err;
      } finally {
        invalidate(path);
      }
    },

    async rename(from: string, to: string, signal: Sig): Promise<void> {
      const s = await stagedAt(from);
      if (s?.needsCommit) await commit(s, signal);
      await client.rename(from, to, { signal });
      const target = await stagedAt(to);
      if (target) target.unlinked = true;
      staged.delete(to);
      if (s) {
        staged.delete(from);
        s.path = to;
        staged.set(to, Promise.resolve(s));
      }
      // files open under a renamed directory commit to their new paths
      const prefix = `${from}/`;
      for (const [p, sp] of [...staged]) {
        if (!p.startsWith(prefix)) continue;
        const moved = `${to}/${p.slice(prefix.length)}`;
        staged.delete(p);
        staged.set(moved, sp);
        const inner = await sp.catch(() => undefined);
        if (inner) inner.path = moved;
      }
      invalidate(from);
      invalidate(to);
    },

    async chmod(path: string, mode: number, signal: Sig): Promise<void> {
      const s = await stagedAt(path);
      if (s) s.mode = mode & 0o7777;
      if (s?.needsCommit) return;
      const entry = await client.setattr(path, { mode: mode & 0o7777 }, { signal });
      if (s) s.committedTimes = { mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs };
      invalidate(path);
    },

    async chown(): Promise<void> {
      // ownership is the logged-in user's; accepted as a no-op so `cp -a` and `rsync` work
    },

    async utimens(path: string, _atimeMs: number, mtimeMs: number, signal: Sig): Promise<void> {
      const s = await stagedAt(path);
      if (s?.needsCommit) {
        s.mtimeMs = mtimeMs;
        return;
      }
      const entry = await client.setattr(path, { mtimeMs }, { signal });
      if (s) s.committedTimes = { mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs };
      invalidate(path);
    },

    async statfs(_path: string, signal: Sig): Promise<FuseStatfs> {
      return toStatfs(await client.status({ signal }));
    },

    async symlink(target: string, linkPath: string, signal: Sig): Promise<void> {
      await client.symlink(linkPath, target, { signal });
      invalidate(linkPath);
    },

    async readlink(path: string, signal: Sig): Promise<string> {
      const entry = await statEntry(path, signal);
      if (entry.kind !== 'symlink' || entry.target === undefined) throw errors.invalid(`Not a symlink: ${path}`, { path });
      return entry.target;
    },

    async getxattr(path: string, name: string, signal: Sig): Promise<Buffer> {
      if (name !== TAGS_XATTR) throw fuseErrors.noData(`No attribute ${name}`);
      const entry = await statEntry(path, signal);
      if (entry.tags.length === 0) throw fuseErrors.noData(`No tags on ${path}`);
      return Buffer.from(entry.tags.join(','), 'utf8');
    },

    async listxattr(path: string, signal: Sig): Promise<string[]> {
      const entry = await statEntry(path, signal);
      return entry.tags.length > 0 ? [TAGS_XATTR] : [];
    },

    async setxattr(path: string, name: string, value: Buffer, signal: Sig): Promise<void> {
      if (name !== TAGS_XATTR) throw fuseErrors.notSupported(`Only ${TAGS_XATTR} can be set`);
      const s = await stagedAt(path);
      if (s?.needsCommit) await commit(s, signal);
      attrs.delete(path);
      const entry = await statEntry(path, signal);
      const change = tagDiff(entry.tags, parseTags(value));
      if (change.add.length > 0 || change.remove.length > 0) await client.tag(path, change, { signal });
      invalidate(path);
    },

    async removexattr(path: string, name: string, signal: Sig): Promise<void> {
      if (name !== TAGS_XATTR) throw fuseErrors.noData(`No attribute ${name}`);
      attrs.delete(path);
      const entry = await statEntry(path, signal);
      if (entry.tags.length === 0) throw fuseErrors.noData(`No tags on ${path}`);
      await client.tag(path, { remove: entry.tags }, { signal });
      invalidate(path);
    },

    async link(): Promise<void> {
      throw fuseErrors.notSupported('Hard links are not supported');
    },

    async access(): Promise<void> {},

    /** Commits whatever is still staged (at unmount); returns the paths that failed. */
    async flushAll(signal: Sig): Promise<string[]> {
      const failed: string[] = [];
      for (const [path, sp] of staged) {
        const s = await sp.catch(() => undefined);
        if (!s) continue;
        try {
          await commit(s, signal);
        } catch (err) {
          logger.error({ err, path }, 'Could not upload staged changes at unmount');
          failed.push(path);
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
