/**
 * Operations that make names: mkdir, mknod, symlink and link (create, in handlers.ts, stages a
 * file and uses ownerFor). A new inode is owned by the calling process; in a setgid directory it
 * takes the directory's group, and a new directory there is setgid too (as ext4 does).
 */
import type { CreateOwner } from '../src/common/api.js';
import { errors } from '../src/common/errors.js';
import { parentOf } from '../src/common/paths.js';
import type { Caller, HandlerContext, Sig } from './handlers.js';
import { mknodKind, S_ISGID } from './stat.js';

export function nodeOps(ctx: HandlerContext) {
  const { client, meta } = ctx;

  /** Owner and mode of a new inode at `path` created by `caller` (undefined: the controller decides). */
  async function ownerFor(path: string, caller: Caller | undefined, mode: number, isDir: boolean, signal: Sig): Promise<{ owner: CreateOwner; mode: number }> {
    ctx.checkName(path);
    const owner: CreateOwner = caller ? { uid: caller.uid, gid: caller.gid } : {};
    const dir = parentOf(path);
    const parent = meta.modeAndOwner(dir) ?? await ctx.statEntry(dir, signal).catch(() => undefined);
    if (!parent || (parent.mode & S_ISGID) === 0) return { owner, mode };
    if (parent.gid !== undefined) owner.gid = parent.gid;
    return { owner, mode: isDir ? mode | S_ISGID : mode };
  }

  return {
    ownerFor,

    async mkdir(path: string, mode: number, caller: Caller | undefined, signal: Sig): Promise<void> {
      const made = await ownerFor(path, caller, mode & 0o7777, true, signal);
      const entry = await client.mkdir(path, { mode: made.mode, ...made.owner, signal });
      meta.invalidate(path);
      // made here, so empty: the lookups of the names a copy creates in it next (cp -a, tar -x) are
      // answered from this listing for its TTL instead of one stat each
      meta.setListing(path, []);
      meta.setAttr(path, entry);
    },

    async mknod(path: string, mode: number, rdev: number, caller: Caller | undefined, signal: Sig): Promise<void> {
      const node = mknodKind(mode);
      if (!node) throw errors.invalid(`mknod cannot make mode ${mode.toString(8)}`, { path });
      const made = await ownerFor(path, caller, node.perm, false, signal);
      await client.mknod({
        path, kind: node.kind, mode: made.mode, ...made.owner,
        ...(node.kind === 'char' || node.kind === 'block' ? { rdev } : {}),
      }, { signal });
      meta.invalidate(path);
    },

    async symlink(target: string, linkPath: string, caller: Caller | undefined, signal: Sig): Promise<void> {
      const made = await ownerFor(linkPath, caller, 0o777, false, signal);
      await client.symlink(linkPath, target, { ...made.owner, signal });
      meta.invalidate(linkPath);
    },

    async link(from: string, to: string, signal: Sig): Promise<void> {
      ctx.checkName(to);
      const s = await ctx.stagedFor(from);
      if (s?.needsCommit && s.ino === undefined) await ctx.commit(s, signal); // created here: it must exist first
      const entry = await client.link(from, to, { signal });
      if (s?.entry) s.entry = { ...entry, path: s.path };
      ctx.changed(from); // nlink and ctime of every name
      ctx.changed(to, entry);
    },

    async readlink(path: string, signal: Sig): Promise<string> {
      const entry = await ctx.statEntry(path, signal);
      if (entry.kind !== 'symlink' || entry.target === undefined) throw errors.invalid(`Not a symlink: ${path}`, { path });
      return entry.target;
    },
  };
}
