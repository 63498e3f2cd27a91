/**
 * Whether a read-only open may keep the kernel's page cache of a file (FOPEN_KEEP_CACHE), so a
 * file reread after close and open costs no read at all while it is unchanged. Close-to-open
 * still holds: every open fetches the file's read plan, and its version (inode, version string,
 * size) must equal the one the kernel's pages were last filled from under that name, else the
 * open lets the kernel drop them. libfuse 2's high-level API gives each name its own kernel
 * inode, so records are by path. The pages are not trusted (the next open drops them) when:
 *  - the name was opened for writing, created, truncated, renamed or unlinked here (forget):
 *    the kernel's pages may then hold staged bytes or another file's;
 *  - readers of another version were still open when the version changed (dirty): they may go
 *    on filling pages with the old bytes.
 * Bounded: at most `maxPaths` names remembered (oldest dropped, which only costs a reread). Pure.
 */

export const KERNEL_PAGES_PATHS_MAX = 65_536;

interface Seen {
  version: string;
  dirty: boolean;
}

export class KernelPages {
  private readonly seen = new Map<string, Seen>();
  /** path → version → read-only handles open */
  private readonly readers = new Map<string, Map<string, number>>();

  constructor(private readonly maxPaths = KERNEL_PAGES_PATHS_MAX) {}

  /** The version key of a read plan's entry. Pure. */
  static versionOf(entry: { ino?: number; version: string; size: number }): string {
    return `${entry.ino ?? ''}|${entry.version}|${entry.size}`;
  }

  /** A read-only open of `path` at `version`: registers it; true when the kernel may keep its pages. */
  openReader(path: string, version: string): boolean {
    const open = this.readers.get(path) ?? new Map<string, number>();
    const others = [...open.keys()].some((v) => v !== version);
    const s = this.seen.get(path);
    const keep = s !== undefined && s.version === version && !s.dirty && !others;
    this.seen.delete(path);
    this.seen.set(path, keep ? s! : { version, dirty: others });
    for (const k of this.seen.keys()) {
      if (this.seen.size <= this.maxPaths) break;
      this.seen.delete(k);
    }
    open.set(version, (open.get(version) ?? 0) + 1);
    this.readers.set(path, open);
    return keep;
  }

  /** A read-only handle opened by openReader was released. */
  closeReader(path: string, version: string): void {
    const open = this.readers.get(path);
    const n = open?.get(version);
    if (!open || n === undefined) return;
    if (n > 1) open.set(version, n - 1);
    else open.delete(version);
    if (open.size === 0) this.readers.delete(path);
  }

  /**
   * The kernel's pages under the name `path` are not to be trusted by the next open. O(1): names
   * under a renamed directory keep their records, whose inode part still tells files apart.
   */
  forget(path: string): void {
    this.seen.delete(path);
  }

  get size(): number {
    return this.seen.size;
  }
}
