/**
 * The FUSE operations as plain async functions over RedCloudClient: each returns a value or
 * throws (a RedCloudError or a FuseErrnoError), and takes the operation's AbortSignal last. The
 * adapter (ops.ts) turns them into fuse-native callbacks. Files opened for writing are staged
 * (staged-file.ts, open-files.ts: keyed by inode, so hard links and renames see one staged file)
 * and committed on flush/fsync/release to their inode; read-only opens read through the chunk
 * cache; attributes and listings are cached for a short TTL (meta-cache.ts) and invalidated by our
 * own changes, for every known name of a changed inode. Open/read/write/commit operations live in
 * file-ops.ts, attribute, node and xattr operations in attr-ops.ts, node-ops.ts and xattr-ops.ts,
 * all over the HandlerContext built here; this file keeps lookups, listings, unlink and rename.
 * Paths in the virtual tag directory (`.tags/`) are routed to tag-ops.ts by tag-route.ts.
 */
import { join } from 'node:path';
import type { EntryInfo } from '../src/common/api.js';
import { RedCloudError, errors } from '../src/common/errors.js';
import type { Logger } from '../src/common/logger.js';
import { MAX_NAME_BYTES, parentOf } from '../src/common/paths.js';
import { retryUnavailable } from '../src/client/retry.js';
import type { RedCloudClient } from '../src/client/types.js';
import { attrOps } from './attr-ops.js';
import { ChunkCache } from './chunk-cache.js';
import { DiskChunkCache } from './disk-chunk-cache.js';
import { createFileOps } from './file-ops.js';
import { FallbackInos } from './inos.js';
import { MetadataCache } from './meta-cache.js';
import { NewInos } from './new-inos.js';
import { nodeOps } from './node-ops.js';
import { OpenFiles } from './open-files.js';
import { WRITE_BEHIND_DEFAULT, type StagedFile } from './staged-file.js';
import { direntOf, msToTimespec, stampAt, statusToStatfs, toStat, toStatfs, type Dirent, type FuseStat, type FuseStatfs, type StatSource } from './stat.js';
import { createTagDir, type TagDir } from './tag-ops.js';
import { withTagDir } from './tag-route.js';
import { createTrashDir } from './trash-dir.js';
import { withTrashDir } from './trash-route.js';
import { TtlCache } from './ttl-cache.js';
import { UnlinkBehind } from './unlink-behind.js';
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
  /** the virtual tag directory at the root (tag-ops.ts); absent: none */
  tagsDir?: { name: string; writable: boolean; mountpoint?: string; listed?: boolean };
}

/** The process a creating operation runs for (fuse_get_context through Fuse.callerContext). */
export interface Caller {
  uid: number;
  gid: number;
}

export type Sig = AbortSignal;

/** What the operation modules share: the client, the caches, the open-file table and a few helpers. */
export interface HandlerContext {
  client: RedCloudClient;
  logger: Logger;
  meta: MetadataCache;
  files: OpenFiles;
  inos: FallbackInos;
  /** inode ids for creates in a burst (new-inos.ts) */
  newInos: NewInos;
  nowMs: () => number;
  statEntry(path: string, signal: Sig): Promise<EntryInfo>;
  /** the staged file of `path`: under that name, or of its inode when its entry is cached */
  stagedFor(path: string): Promise<StagedFile | undefined>;
  commit(s: StagedFile, signal: Sig): Promise<void>;
  /** the inode at `path` changed (setattr, link, xattr): drop what is cached of it under every known name */
  changed(path: string, entry?: EntryInfo): void;
  /** A setattr (mode, owner, times) or a commit answered `entry` for `path`: the cache of its inode is replaced by it, and its directory's cached listing learns it. */
  attrsChanged(path: string, entry: EntryInfo): void;
  /** a file's tags changed here (xattrs): the tag directory's answers are stale */
  tagsChanged(): void;
  statOf(e: StatSource, path: string): FuseStat;
  /** ENAMETOOLONG for a last component over 255 bytes */
  checkName(path: string): void;
  /** drops a staged file nobody uses and that holds nothing uncommitted */
  maybeDispose(s: StagedFile): Promise<void>;
  stagedStat(s: StagedFile, path: string): FuseStat;
  /** the staged file readers of `path` share (open for writing, maybe under another name), unless unlinked */
  liveStaged(path: string, ino: number | undefined): Promise<StagedFile | undefined>;
  /**
   * Inode numbers of files this mount just created, which have no extended attributes yet (for
   * the attribute TTL; any setxattr or removexattr here empties it): the kernel asks for
   * security.capability before every write, and the answer is ENODATA without a round trip.
   */
  noXattrs: TtlCache<true>;
}

/** Attribute-cache misses in one directory within the TTL after which its listing is fetched instead. */
export const STAT_MISSES_BEFORE_LISTING = 8;

export function createHandlers(components: { client: RedCloudClient; logger: Logger }, options: HandlerOptions) {
  const { logger } = components;
  const nowMs = options.nowMs ?? Date.now;
  // unlinks in a burst are answered at once and sent in batches; every other call waits for them (unlink-behind.ts)
  const behind = new UnlinkBehind({
    sendMany: (paths, signal) => components.client.unlinkMany(paths, { signal }),
    sendOne: (path, signal) => components.client.unlink(path, { signal }),
    failed: (path) => {
      meta.invalidate(path);
      inos.forget(path);
    },
    logger, nowMs,
  });
  const client = behind.ordered(components.client);
  const diskBytes = options.diskCacheSizeBytes ?? 0;
  const disk = diskBytes > 0 ? new DiskChunkCache({ logger }, { dir: options.cacheDir, capacityBytes: diskBytes }) : undefined;
  const cache = new ChunkCache({ ...components, disk }, {
    capacityBytes: options.cacheSizeBytes, readAheadChunks: options.readAheadChunks, fetchTimeoutMs: options.fetchTimeoutMs,
  });
  const stagingDir = join(options.cacheDir, 'staging');
  const meta = new MetadataCache(options.attrTtlMs, nowMs);
  const statMisses = new TtlCache<number>(options.attrTtlMs, nowMs);
  const listedForStat = new TtlCache<boolean>(options.attrTtlMs, nowMs);
  const noXattrs = new TtlCache<true>(options.attrTtlMs, nowMs);
  const inos = new FallbackInos();
  const newInos = new NewInos(nowMs, logger);
  const files = new OpenFiles();

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
    let listed = path === '/' ? undefined : meta.listed(parent, path);
    if (listed === undefined && path !== '/' && misses >= STAT_MISSES_BEFORE_LISTING && !listedForStat.get(parent)) {
      listedForStat.set(parent, true);
      listed = await listDir(parent, signal).then((entries) => entries.find((e) => e.path === path) ?? null, () => undefined);
    }
    if (listed !== undefined) {
      const hit = meta.attr(path) ?? listed;
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

  async function commit(s: StagedFile, signal: Sig): Promise<void> {
    if (!s.needsCommit) return;
    const wasNew = s.ino === undefined && s.entry === undefined;
    // a cluster that cannot take the write yet (daemons coming up, a controller just restarted)
    // is retried within the operation's deadline instead of failing close() with EIO
    const entry = await retryUnavailable(() => s.commit(signal), {
      signal, onRetry: (err, attempt, delayMs) => logger.warn({ path: s.path, attempt, delayMs, err: err.message }, 'Commit unavailable; retrying'),
    });
    if (!entry) return;
    if (wasNew && s.newIno) newInos.committed(s.newIno, entry.ino);
    files.rekey(s);
    // a cached listing of the directory learns the entry instead of being dropped: in a loop that
    // creates files, the lookups of the next new names are then answered without a round trip
    attrsChanged(s.path, entry);
    if (wasNew) meta.dirEntryAdded(parentOf(s.path), stampAt(entry.ctimeMs, entry.ctime));
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

  function attrsChanged(path: string, entry: EntryInfo): void {
    meta.invalidateIno(entry.ino);
    meta.forget(path);
    if (entry.path === path) meta.putInListing(entry);
    meta.setAttr(path, entry);
  }

  /** A staged file's stat: its size and times, the committed inode's owner, links and number. */
  function stagedStat(s: StagedFile, path: string): FuseStat {
    const e = s.entry;
    const clean = e !== undefined && !s.needsCommit;
    const times = s.times();
    const set = s.setTimes;
    return statOf({
      kind: 'file', mode: s.mode, size: s.size, ...times,
      ino: s.shownIno, uid: e?.uid ?? s.owner?.uid, gid: e?.gid ?? s.owner?.gid, nlink: e?.nlink,
      ...(clean ? { atime: e.atime, mtime: e.mtime, ctime: e.ctime } : {}),
      // times a utimens set for the next commit, to the nanosecond; ctime is the last change, not the mtime set
      ...(set.mtime ? { mtime: set.mtime, ctime: msToTimespec(times.ctimeMs) } : {}),
      ...(set.atime ? { atime: set.atime } : {}),
    }, path);
  }

  /** The staged file readers of `path` share (open for writing elsewhere, maybe under another name). */
  async function liveStaged(path: string, ino: number | undefined): Promise<StagedFile | undefined> {
    const s = await files.at(path, ino);
    return s && !s.unlinked ? s : undefined;
  }

  let tagDir: TagDir | undefined;
  const ctx: HandlerContext = {
    client, logger, meta, files, inos, newInos, nowMs, statEntry, stagedFor, commit, maybeDispose, changed, attrsChanged, statOf, checkName, stagedStat, liveStaged, noXattrs,
    tagsChanged: () => tagDir?.dropCaches(),
  };
  const fileOps = createFileOps(ctx, { cache, stagingDir, writeBehindChunks: options.writeBehindChunks ?? WRITE_BEHIND_DEFAULT });

  tagDir = options.tagsDir?.name ? createTagDir({ client, inos, changed: (p) => changed(p), statEntry }, {
    ...options.tagsDir, ttlMs: options.attrTtlMs, owner: options.owner, nowMs,
  }) : undefined;

  const trashDir = createTrashDir({ client, inos, cache }, { ttlMs: options.attrTtlMs, owner: options.owner, nowMs });
  return withTrashDir(withTagDir({
    cache,
    /** open handles and staged files, for tests */
    debug: { handles: fileOps.handles, files, meta },

    async getattr(path: string, signal: Sig): Promise<FuseStat> {
      checkName(path);
      // a staged file is asked for only if one is registered (no await per stat of a plain file)
      const ino = cachedIno(path);
      const s = files.pending(path, ino) ? await liveStaged(path, ino) : undefined;
      if (s) return stagedStat(s, path);
      const entry = await statEntry(path, signal);
      const other = entry.ino !== undefined && files.pending(path, entry.ino) ? await liveStaged(path, entry.ino) : undefined;
      return other ? stagedStat(other, path) : statOf(entry, path);
    },

    async readdir(path: string, signal: Sig): Promise<{ names: string[]; stats: Dirent[] }> {
      const entries = await listDir(path, signal);
      // . and .. need only their numbers (cached after the listing, as a rule)
      const up = parentOf(path);
      const self = cachedIno(path) ?? (await statEntry(path, signal)).ino ?? inos.of(path);
      const parent = path === '/' ? self : cachedIno(up) ?? await statEntry(up, signal).then((e) => e.ino ?? inos.of(up), () => self);
      const names = ['.', '..'];
      const stats = [direntOf('dir', self), direntOf('dir', parent)];
      for (const e of entries) {
        names.push(e.path.slice(e.path.lastIndexOf('/') + 1));
        stats.push(direntOf(e.kind, e.ino ?? inos.of(e.path)));
      }
      const seen = new Set(names);
      for (const { path: p, staged: s } of await files.list()) {
        const name = p.slice(p.lastIndexOf('/') + 1);
        if (!s.unlinked && parentOf(p) === path && p !== '/' && !seen.has(name)) {
          seen.add(name);
          names.push(name);
          stats.push(direntOf('file', s.shownIno ?? inos.of(p)));
        }
      }
      return { names, stats };
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
      let removed: { parent?: EntryInfo } | undefined;
      let queued = false;
      const ino = cachedIno(path);
      try {
        entry = await statEntry(path, signal);
        if (entry.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
        // the only name of a file nobody has open here, in a burst of unlinks: answered now, sent in a batch
        queued = !s && (entry.nlink ?? 1) <= 1 && behind.offer(path);
        if (!queued) removed = await client.unlink(path, { signal });
      } catch (err) {
        // a file created here and never committed exists only locally
        if (!(s && err instanceof RedCloudError && err.code === 'NOT_FOUND')) throw err;
      } finally {
        meta.invalidateIno(ino);
        meta.invalidateIno(entry?.ino ?? s?.ino);
        // gone: its directory's listing and attributes follow the change; failed: both are refetched
        if (queued) {
          meta.entryRemovedAt(path, stampAt(nowMs()));
        } else if (removed) meta.entryRemoved(path, removed.parent);
        else meta.invalidate(path);
      }
      await files.unname(path);
      inos.forget(path);
      fileOps.pages.forget(path);
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
      fileOps.pages.forget(from);
      fileOps.pages.forget(to);
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

    ...fileOps.ops,
    ...attrOps(ctx),
    ...nodeOps(ctx),
    ...xattrOps(ctx),

    /** fsync of a directory: the unlinks answered early have reached the controller. */
    async fsyncdir(_path: string, _signal: Sig): Promise<void> {
      await behind.drain();
    },

    /** Commits whatever is still staged (at unmount) after the queued unlinks; returns the paths that failed. */
    async flushAll(signal: Sig): Promise<string[]> {
      await behind.drain();
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
  }, tagDir), trashDir);
}

export type Handlers = ReturnType<typeof createHandlers>;
