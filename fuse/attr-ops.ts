/**
 * chmod, chown and utimens over client.setattr. The kernel (default_permissions) has checked who
 * may; these only pass the change on. A file created here and not committed yet keeps the change
 * (mode, owner) for its first commit; a utimens of a staged file with uncommitted bytes commits them
 * with the times (cp -a and tar -x set them before close: one request instead of a commit and a
 * setattr).
 */
import type { SetAttrRequest, TimeSet, Timespec } from '../src/common/api.js';
import type { HandlerContext, Sig } from './handlers.js';
import { msToTimespec, timespecToMs } from './stat.js';

/** A time as utimens gives it (the patched fuse-native): set to this, to now, or leave it. */
export type UtimeArg = TimeSet | 'omit';

/** uid/gid as chown gives them: -1 (0xffffffff as uint32) means unchanged. Pure. */
export function chownId(id: number): number | undefined {
  return id === -1 || id === 0xffff_ffff ? undefined : id;
}

/** The setattr of a utimens; undefined when both times are omitted. Pure. */
export function utimensAttrs(atime: UtimeArg, mtime: UtimeArg, nowMs: () => number): Omit<SetAttrRequest, 'path'> | undefined {
  const attrs: Omit<SetAttrRequest, 'path'> = {};
  if (atime !== 'omit') attrs.atime = atime;
  if (mtime !== 'omit') {
    attrs.mtime = mtime;
    // controllers older than Timespec times read mtimeMs (which cannot be before 1970)
    const ms = mtime === 'now' ? nowMs() : timespecToMs(mtime);
    if (ms >= 0) attrs.mtimeMs = ms;
  }
  return attrs.atime === undefined && attrs.mtime === undefined ? undefined : attrs;
}

/**
 * The times a utimens sets on a staged file for its next commit, over those set before (`now`:
 * the mount's clock, as a staged file's mtime is). Undefined when both are omitted. Pure.
 */
export function stagedTimes(before: StagedTimes, atime: UtimeArg, mtime: UtimeArg, nowMs: number): StagedTimes | undefined {
  if (atime === 'omit' && mtime === 'omit') return undefined;
  const at = (t: UtimeArg, old: Timespec | undefined): Timespec | undefined => (t === 'omit' ? old : t === 'now' ? msToTimespec(nowMs) : { sec: t.sec, nsec: t.nsec });
  const next: { atime?: Timespec; mtime?: Timespec } = {};
  const a = at(atime, before.atime);
  const m = at(mtime, before.mtime);
  if (a) next.atime = a;
  if (m) next.mtime = m;
  return next;
}

export type StagedTimes = Readonly<{ atime?: Timespec; mtime?: Timespec }>;

export function attrOps(ctx: HandlerContext) {
  const { client } = ctx;

  return {
    async chmod(path: string, mode: number, signal: Sig): Promise<void> {
      const perm = mode & 0o7777; // with setuid, setgid and sticky
      const s = await ctx.stagedFor(path);
      if (s) s.mode = perm;
      if (s?.needsCommit && s.ino === undefined) return; // created here: the commit carries the mode
      const entry = await client.setattr(path, { mode: perm }, { signal });
      if (s) {
        s.committedTimes = { mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs };
        s.entry = entry;
      }
      ctx.attrsChanged(path, entry);
    },

    async chown(path: string, uid: number, gid: number, signal: Sig): Promise<void> {
      const owner = { uid: chownId(uid), gid: chownId(gid) };
      if (owner.uid === undefined) delete owner.uid;
      if (owner.gid === undefined) delete owner.gid;
      if (Object.keys(owner).length === 0) return;
      const s = await ctx.stagedFor(path);
      if (s?.needsCommit && s.ino === undefined) {
        s.owner = { ...s.owner, ...owner };
        return;
      }
      const entry = await client.setattr(path, owner, { signal });
      if (s) s.entry = entry;
      ctx.attrsChanged(path, entry);
    },

    async utimens(path: string, atime: UtimeArg, mtime: UtimeArg, signal: Sig): Promise<void> {
      const attrs = utimensAttrs(atime, mtime, ctx.nowMs);
      if (!attrs) return;
      const s = await ctx.stagedFor(path);
      if (s?.needsCommit) {
        // the commit of the uncommitted changes carries the times: one request (cp -a, tar -x). Now,
        // not at close: the kernel caches the attributes this reply gives, which must be the
        // committed ones (a ctime that moves at close makes tar -c say "file changed as we read it")
        const before = s.setTimes;
        s.setTimes = stagedTimes(before, atime, mtime, ctx.nowMs())!;
        try {
          await ctx.commit(s, signal);
        } catch (err) {
          if (s.needsCommit) s.setTimes = before;
          throw err;
        }
        if (!s.needsCommit && s.entry) {
          // commit() updated the cache under the staged file's name; utimens may have named another link
          if (path !== s.path) ctx.attrsChanged(path, s.entry);
          return;
        }
      }
      const entry = await client.setattr(path, attrs, { signal });
      if (s) {
        s.committedTimes = { mtimeMs: entry.mtimeMs, ctimeMs: entry.ctimeMs };
        s.entry = entry;
      }
      ctx.attrsChanged(path, entry);
    },
  };
}
