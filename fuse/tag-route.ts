/**
 * Routes the handlers' operations on paths in the tag directory to tag-ops.ts and leaves every
 * other path to the namespace's handlers (virtual-dir-route.ts); the root's listing does not show the tag directory unless
 * asked (`--show-tags-dir`): it is reached by name (`cd`, `ls`, `stat` work). Operations that would write files there are EROFS.
 */
import type { TagDir } from './tag-ops.js';
import { withVirtualDir, type AllRoutedOps } from './virtual-dir-route.js';

export type { RoutedOps } from './virtual-dir-route.js';

export function withTagDir<H extends Partial<AllRoutedOps>>(h: H, t: TagDir | undefined): H {
  if (!t) return h;
  return withVirtualDir(h, {
    name: t.name, owns: t.owns, readOnly: t.readOnly, listed: t.listed,
    ops: {
      getattr: t.getattr, readdir: t.readdir, readlink: t.readlink, unlink: t.unlink, rmdir: t.rmdir,
      symlink: (target, p, _caller, s) => t.symlink(target, p, s),
      mkdir: (p, _mode, _caller, s) => t.mkdir(p, s),
    },
  });
}
