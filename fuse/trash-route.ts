/**
 * Routes the handlers' operations on paths in `.trash/` to trash-dir.ts (getattr, readdir) and
 * refuses the rest there with EROFS; the root's listing does not show it (reached by name). The
 * mount's own removes and renames drop the cached trash listing.
 */
import { fuseErrors } from './errno.js';
import type { RoutedOps } from './tag-route.js';
import type { TrashDir } from './trash-dir.js';

export function withTrashDir<H extends RoutedOps>(h: H, t: TrashDir | undefined): H {
  if (!t) return h;
  const refuse = async (path: string): Promise<never> => { throw t.readOnly(path); };
  const dropping = <A extends unknown[]>(fn: (...a: A) => Promise<void>) => async (...a: A): Promise<void> => {
    try {
      await fn(...a);
    } finally {
      t.dropCaches();
    }
  };
  return {
    ...h,
    getattr: (p, s) => (t.owns(p) ? t.getattr(p, s) : h.getattr(p, s)),
    async readdir(p, s) {
      if (t.owns(p)) return t.readdir(p, s);
      const r = await h.readdir(p, s);
      if (p !== '/') return r;
      const keep = r.names.map((n) => n !== t.name);
      return { names: r.names.filter((_, i) => keep[i]), stats: r.stats.filter((_, i) => keep[i]) };
    },
    readlink: (p, s) => (t.owns(p) ? refuse(p) : h.readlink(p, s)),
    symlink: (target, p, c, s) => (t.owns(p) ? refuse(p) : h.symlink(target, p, c, s)),
    unlink: (p, s) => (t.owns(p) ? refuse(p) : dropping(h.unlink)(p, s)),
    mkdir: (p, m, c, s) => (t.owns(p) ? refuse(p) : h.mkdir(p, m, c, s)),
    rmdir: (p, s) => (t.owns(p) ? refuse(p) : dropping(h.rmdir)(p, s)),
    open: (p, f, s) => (t.owns(p) ? refuse(p) : h.open(p, f, s)),
    create: (p, m, c, s) => (t.owns(p) ? refuse(p) : h.create(p, m, c, s)),
    mknod: (p, m, r, c, s) => (t.owns(p) ? refuse(p) : h.mknod(p, m, r, c, s)),
    truncate: (p, n, s) => (t.owns(p) ? refuse(p) : h.truncate(p, n, s)),
    chmod: (p, m, s) => (t.owns(p) ? refuse(p) : h.chmod(p, m, s)),
    chown: (p, u, g, s) => (t.owns(p) ? refuse(p) : h.chown(p, u, g, s)),
    utimens: (p, a, m, s) => (t.owns(p) ? refuse(p) : h.utimens(p, a, m, s)),
    rename: (from, to, s) => (t.owns(from) ? refuse(from) : t.owns(to) ? refuse(to) : dropping(h.rename)(from, to, s)),
    link: (from, to, s) => (t.owns(from) ? refuse(from) : t.owns(to) ? refuse(to) : h.link(from, to, s)),
    getxattr: (p, n, s) => (t.owns(p) ? Promise.reject(fuseErrors.noData(`No attribute ${n}`)) : h.getxattr(p, n, s)),
    listxattr: (p, s) => (t.owns(p) ? Promise.resolve([]) : h.listxattr(p, s)),
    setxattr: (p, n, v, f, s) => (t.owns(p) ? refuse(p) : h.setxattr(p, n, v, f, s)),
    removexattr: (p, n, s) => (t.owns(p) ? refuse(p) : h.removexattr(p, n, s)),
  };
}
