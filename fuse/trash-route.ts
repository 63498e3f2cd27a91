/**
 * Routes the handlers' operations on paths in `.trash/` to trash-dir.ts (getattr, readdir, and
 * reading a trashed file: open read-only, read, release) and refuses the rest there with EROFS
 * (virtual-dir-route.ts); the root's listing does not show it (reached by name). The mount's own
 * removes and renames drop the cached trash listing.
 */
import type { TrashDir } from './trash-dir.js';
import { withVirtualDir, type AllRoutedOps } from './virtual-dir-route.js';

export function withTrashDir<H extends Partial<AllRoutedOps>>(h: H, t: TrashDir | undefined): H {
  if (!t) return h;
  return withVirtualDir(h, {
    name: t.name, owns: t.owns, readOnly: t.readOnly,
    ops: {
      getattr: t.getattr, readdir: t.readdir, open: t.open, read: t.read, release: t.release,
      flush: async () => undefined, fsync: async () => undefined,
    },
    after: { ops: ['unlink', 'rmdir', 'rename'], fn: t.dropCaches },
  });
}
