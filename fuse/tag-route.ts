/**
 * Routes the handlers' operations on paths in the tag directory to tag-ops.ts and leaves every
 * other path to the namespace's handlers; the root's listing does not show the tag directory unless
 * asked (`--show-tags-dir`): it is reached by name (`cd`, `ls`, `stat` work). Operations that would write files there are EROFS.
 */
import type { UtimeArg } from './attr-ops.js';
import { fuseErrors } from './errno.js';
import type { Caller, Sig } from './handlers.js';
import type { FuseStat } from './stat.js';
import type { TagDir } from './tag-ops.js';

/** The operations withTagDir wraps (a subset of Handlers). */
export interface RoutedOps {
  getattr(path: string, signal: Sig): Promise<FuseStat>;
  readdir(path: string, signal: Sig): Promise<{ names: string[]; stats: FuseStat[] }>;
  readlink(path: string, signal: Sig): Promise<string>;
  symlink(target: string, linkPath: string, caller: Caller | undefined, signal: Sig): Promise<void>;
  unlink(path: string, signal: Sig): Promise<void>;
  mkdir(path: string, mode: number, caller: Caller | undefined, signal: Sig): Promise<void>;
  rmdir(path: string, signal: Sig): Promise<void>;
  open(path: string, flags: number, signal: Sig): Promise<number>;
  create(path: string, mode: number, caller: Caller | undefined, signal: Sig): Promise<number>;
  mknod(path: string, mode: number, rdev: number, caller: Caller | undefined, signal: Sig): Promise<void>;
  truncate(path: string, size: number, signal: Sig): Promise<void>;
  chmod(path: string, mode: number, signal: Sig): Promise<void>;
  chown(path: string, uid: number, gid: number, signal: Sig): Promise<void>;
  utimens(path: string, atime: UtimeArg, mtime: UtimeArg, signal: Sig): Promise<void>;
  rename(from: string, to: string, signal: Sig): Promise<void>;
  link(from: string, to: string, signal: Sig): Promise<void>;
  getxattr(path: string, name: string, signal: Sig): Promise<Buffer>;
  listxattr(path: string, signal: Sig): Promise<string[]>;
  setxattr(path: string, name: string, value: Buffer, flags: number, signal: Sig): Promise<void>;
  removexattr(path: string, name: string, signal: Sig): Promise<void>;
}

export function withTagDir<H extends RoutedOps>(h: H, t: TagDir | undefined): H {
  if (!t) return h;
  const refuse = async (path: string): Promise<never> => { throw t.readOnly(path); };
  return {
    ...h,
    getattr: (p, s) => (t.owns(p) ? t.getattr(p, s) : h.getattr(p, s)),
    async readdir(p, s) {
      if (t.owns(p)) return t.readdir(p, s);
      const r = await h.readdir(p, s);
      if (p !== '/') return r;
      const keep = r.names.map((n) => n !== t.name);
      const names = r.names.filter((_, i) => keep[i]);
      const stats = r.stats.filter((_, i) => keep[i]);
      if (t.listed) {
        names.push(t.name);
        stats.push(await t.getattr(`/${t.name}`, s));
      }
      return { names, stats };
    },
    readlink: (p, s) => (t.owns(p) ? t.readlink(p, s) : h.readlink(p, s)),
    symlink: (target, p, c, s) => (t.owns(p) ? t.symlink(target, p, s) : h.symlink(target, p, c, s)),
    unlink: (p, s) => (t.owns(p) ? t.unlink(p, s) : h.unlink(p, s)),
    mkdir: (p, m, c, s) => (t.owns(p) ? t.mkdir(p, s) : h.mkdir(p, m, c, s)),
    rmdir: (p, s) => (t.owns(p) ? t.rmdir(p, s) : h.rmdir(p, s)),
    open: (p, f, s) => (t.owns(p) ? refuse(p) : h.open(p, f, s)),
    create: (p, m, c, s) => (t.owns(p) ? refuse(p) : h.create(p, m, c, s)),
    mknod: (p, m, r, c, s) => (t.owns(p) ? refuse(p) : h.mknod(p, m, r, c, s)),
    truncate: (p, n, s) => (t.owns(p) ? refuse(p) : h.truncate(p, n, s)),
    chmod: (p, m, s) => (t.owns(p) ? refuse(p) : h.chmod(p, m, s)),
    chown: (p, u, g, s) => (t.owns(p) ? refuse(p) : h.chown(p, u, g, s)),
    utimens: (p, a, m, s) => (t.owns(p) ? refuse(p) : h.utimens(p, a, m, s)),
    rename: (from, to, s) => (t.owns(from) ? refuse(from) : t.owns(to) ? refuse(to) : h.rename(from, to, s)),
    link: (from, to, s) => (t.owns(from) ? refuse(from) : t.owns(to) ? refuse(to) : h.link(from, to, s)),
    getxattr: (p, n, s) => (t.owns(p) ? Promise.reject(fuseErrors.noData(`No attribute ${n}`)) : h.getxattr(p, n, s)),
    listxattr: (p, s) => (t.owns(p) ? Promise.resolve([]) : h.listxattr(p, s)),
    setxattr: (p, n, v, f, s) => (t.owns(p) ? refuse(p) : h.setxattr(p, n, v, f, s)),
    removexattr: (p, n, s) => (t.owns(p) ? refuse(p) : h.removexattr(p, n, s)),
  };
}
