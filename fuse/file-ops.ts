/**
 * The file operations: open (a reader for read-only opens, else the staged file), create, read,
 * write, flush/fsync/release (which commit), truncate. A read-only open of an unchanged file lets
 * the kernel keep its cached pages (kernel-pages.ts; keepsCache). Writes are staged (staged-file.ts) in the
 * open-file table (open-files.ts), one staged file per inode whatever name it was opened by.
 */
import type { CreateOwner, EntryInfo } from '../src/common/api.js';
import { RedCloudError, errors } from '../src/common/errors.js';
import { parentOf } from '../src/common/paths.js';
import type { ChunkCache } from './chunk-cache.js';
import { fuseErrors } from './errno.js';
import { FileReader } from './file-reader.js';
import type { Caller, HandlerContext, Sig } from './handlers.js';
import type { ChosenIno } from './new-inos.js';
import { nodeOps } from './node-ops.js';
import { KernelPages } from './kernel-pages.js';
import { OpenFiles } from './open-files.js';
import { StagedFile } from './staged-file.js';
import { isWriteOpen, O_TRUNC, stampAt } from './stat.js';

/** How a staged file is made: new (with the entry the controller created for it, if any), truncated, or from its committed version. */
interface StageHow {
  create?: { mode: number; owner: CreateOwner; entry?: EntryInfo; newIno?: ChosenIno };
  truncate?: boolean;
}

interface Handle {
  path: string;
  staged?: StagedFile;
  reader?: FileReader;
  /** a reader's version key (kernel-pages.ts) and whether its open keeps the kernel's pages */
  version?: string;
  keepCache?: boolean;
}

/** Largest fd handed out: bit 30 of open's answer is the keep-cache flag (scripts/fix-fuse-native.mjs). */
const FD_MAX = 0x3fff_ffff;

export function createFileOps(ctx: HandlerContext, o: { cache: ChunkCache; stagingDir: string; writeBehindChunks: number }) {
  const { client, logger, meta, files } = ctx;
  const handles = new Map<number, Handle>();
  const pages = new KernelPages();
  let nextFd = 1;
  const cachedIno = (path: string): number | undefined => meta.attr(path)?.ino;

  /** A staged file for `path` from its committed version, truncated, or new (`create`: its mode). */
  async function openStaged(path: string, how: StageHow, signal: Sig): Promise<StagedFile> {
    const deps = { client, cache: o.cache, stagingDir: o.stagingDir, logger, writeBehindChunks: o.writeBehindChunks };
    if (how.create) {
      const s = await StagedFile.create(deps, path, null, how.create.mode);
      s.owner = how.create.owner;
      s.newIno = how.create.newIno;
      if (how.create.entry) s.adopt(how.create.entry);
      return s;
    }
    if (how.truncate) {
      const entry = await ctx.statEntry(path, signal);
      if (entry.kind !== 'file') throw errors.isDir(`Not a regular file: ${path}`, { path });
      const s = await StagedFile.create(deps, path, null, entry.mode);
      s.entry = entry;
      s.ino = entry.ino;
      s.replaces = entry.size > 0; // the first commit replaces the committed version (kept in the trash)
      return s;
    }
    const plan = await client.readPlan(path, { signal });
    if (plan.entry.kind !== 'file') throw errors.isDir(`Not a regular file: ${path}`, { path });
    return StagedFile.create(deps, path, plan, plan.entry.mode);
  }

  /** The staged file of `path` (under its name or its inode), creating it if needed; takes a reference. */
  function acquireStaged(path: string, how: StageHow, signal: Sig): Promise<StagedFile> {
    pages.forget(path); // staged bytes may reach the kernel's pages of this name
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

  function handleOf(fd: number): Handle {
    const h = handles.get(fd);
    if (!h) throw fuseErrors.badFd(fd);
    return h;
  }

  function addHandle(h: Handle): number {
    const fd = nextFd++;
    if (nextFd > FD_MAX) nextFd = 1;
    handles.set(fd, h);
    return fd;
  }

  /** undefined until known: whether the controller has POST /v1/fs/mknod (older ones answer 404) */
  let mknodRoute: boolean | undefined;

  /**
   * Creates the empty file on the controller (mknod kind 'file'), so it has its inode number from
   * the start: st_ino must not change when the first commit lands (git, rsync -H, tar). Undefined
   * from controllers without the route: the file is then created by its first commit.
   */
  async function createOnController(path: string, mode: number, owner: CreateOwner, signal: Sig): Promise<EntryInfo | undefined> {
    if (mknodRoute === false) return undefined;
    try {
      const entry = await client.mknod({ path, kind: 'file', mode, ...owner }, { signal });
      mknodRoute = true;
      return entry;
    } catch (err) {
      if (mknodRoute !== undefined || !(err instanceof RedCloudError) || err.code !== 'NOT_FOUND') throw err;
      meta.deleteAttr(parentOf(path));
      await ctx.statEntry(parentOf(path), signal); // the directory is there: the route is not
      mknodRoute = false;
      return undefined;
    }
  }

  const ops = {
    async open(path: string, flags: number, signal: Sig): Promise<number> {
      if (isWriteOpen(flags)) {
        const s = await acquireStaged(path, { truncate: (flags & O_TRUNC) !== 0 }, signal);
        return addHandle({ path, staged: s });
      }
      const s = await ctx.liveStaged(path, cachedIno(path));
      if (s) {
        s.refs++;
        pages.forget(path);
        return addHandle({ path, staged: s });
      }
      const plan = await client.readPlan(path, { signal });
      if (plan.entry.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      const other = plan.entry.ino !== undefined ? await ctx.liveStaged(path, plan.entry.ino) : undefined;
      if (other) {
        other.refs++;
        pages.forget(path);
        return addHandle({ path, staged: other });
      }
      meta.setAttr(path, plan.entry);
      const version = KernelPages.versionOf(plan.entry);
      const keepCache = pages.openReader(path, version);
      return addHandle({ path, reader: new FileReader(path, plan, o.cache, client), version, keepCache });
    },

    /**
     * Whether the open of `path` that returned `fd` lets the kernel keep the file's cached pages
     * (unchanged since they were read). The path must match: an fd of another handler table (a
     * snapshot's) is not this one's.
     */
    keepsCache(fd: number, path: string): boolean {
      const h = handles.get(fd);
      return h?.keepCache === true && h.path === path;
    },

    async create(path: string, mode: number, caller: Caller | undefined, signal: Sig): Promise<number> {
      ctx.checkName(path);
      const existing = await files.at(path);
      pages.forget(path);
      if (existing && !existing.unlinked) {
        existing.refs++;
        await existing.truncate(0);
        return addHandle({ path, staged: existing });
      }
      if (existing?.unlinked) await files.unname(path);
      const { owner, mode: m } = await nodeOps(ctx).ownerFor(path, caller, mode & 0o7777, false, signal);
      // in a burst of creates the first commit creates the file, with an id chosen here (new-inos.ts)
      const newIno = ctx.newInos.take();
      const entry = newIno ? undefined : await createOnController(path, m, owner, signal);
      const s = await acquireStaged(path, { create: { mode: m, owner, entry, newIno } }, signal);
      meta.forget(path);
      const ino = entry?.ino ?? newIno?.number;
      if (ino !== undefined) ctx.noXattrs.set(String(ino), true);
      if (newIno) meta.dirEntryAdded(parentOf(path), stampAt(ctx.nowMs()));
      if (entry) {
        // the listing learns the entry (the lookups of the next new names in a create loop stay local)
        meta.putInListing(entry);
        meta.setAttr(path, entry);
        meta.dirEntryAdded(parentOf(path), stampAt(entry.ctimeMs, entry.ctime));
      }
      return addHandle({ path, staged: s });
    },

    /** Up to `length` bytes at `offset`; with `into` (the kernel's buffer) a file opened read-only is read straight into it and the answer is a view of it. */
    async read(_path: string, fd: number, length: number, offset: number, signal: Sig, into?: Buffer): Promise<Buffer> {
      const h = handleOf(fd);
      if (h.staged) return h.staged.read(offset, length);
      if (into) return into.subarray(0, await h.reader!.readInto(into, offset, length, signal));
      return h.reader!.read(offset, length, signal);
    },

    async write(_path: string, fd: number, data: Buffer, offset: number, _signal: Sig): Promise<number> {
      const h = handleOf(fd);
      if (!h.staged) throw fuseErrors.badFd(fd);
      return h.staged.write(data, offset);
    },

    async flush(_path: string, fd: number, signal: Sig): Promise<void> {
      const h = handleOf(fd);
      if (h.staged) await ctx.commit(h.staged, signal);
    },

    async fsync(path: string, fd: number, signal: Sig): Promise<void> {
      await this.flush(path, fd, signal);
    },

    async release(_path: string, fd: number, signal: Sig): Promise<void> {
      const h = handles.get(fd);
      if (!h) return;
      handles.delete(fd);
      if (h.version !== undefined) pages.closeReader(h.path, h.version);
      if (!h.staged) return;
      const s = h.staged;
      s.refs--;
      try {
        await ctx.commit(s, signal);
      } catch (err) {
        logger.warn({ err, path: s.path }, 'Upload on release failed; changes stay staged for the next open');
        throw err;
      } finally {
        await ctx.maybeDispose(s);
      }
    },

    async truncate(path: string, size: number, signal: Sig): Promise<void> {
      pages.forget(path);
      const s = await acquireStaged(path, {}, signal);
      try {
        await s.truncate(size);
        if (s.refs === 1) await ctx.commit(s, signal);
      } finally {
        s.refs--;
        await ctx.maybeDispose(s);
      }
      ctx.changed(path);
    },

    async ftruncate(path: string, fd: number, size: number, signal: Sig): Promise<void> {
      const h = handleOf(fd);
      if (!h.staged) return this.truncate(path, size, signal);
      await h.staged.truncate(size);
    },

  };

  return { handles, ops, pages };
}
