/**
 * The mount's own inode numbers for entries that carry none (controllers older than the inode
 * namespace, files created here and not committed yet): the mount passes `use_ino`, so st_ino is
 * what programs see, and find/du/tar need it non-zero and distinct per file. Numbers are given
 * per path for the mount's lifetime, counting down from FALLBACK_INO_TOP = 2^53 - 1. The
 * controller's numbers are 53-bit hashes (src/meta/keys.ts inoNumber), so one of ours meets one of
 * theirs as rarely as two of theirs meet each other; and ours only stand in until a commit.
 * A rename carries the number to the new path. Bounded: beyond maxEntries the oldest are dropped
 * (their paths get a new number when seen again). Pure.
 */
export const FALLBACK_INO_TOP = 2 ** 53 - 1;
/** The root's number when the controller gives none (libfuse's FUSE_ROOT_ID). */
export const ROOT_INO = 1;

export class FallbackInos {
  private readonly byPath = new Map<string, number>();
  private next = FALLBACK_INO_TOP;

  constructor(private readonly maxEntries = 1_000_000) {}

  of(path: string): number {
    if (path === '/') return ROOT_INO;
    let ino = this.byPath.get(path);
    if (ino === undefined) {
      ino = this.next--;
      this.byPath.set(path, ino);
      if (this.byPath.size > this.maxEntries) this.byPath.delete(this.byPath.keys().next().value as string);
    }
    return ino;
  }

  /** `from` now lives at `to` (a directory: everything under it too, which costs a scan). */
  move(from: string, to: string, isDir: boolean): void {
    this.forget(to, isDir);
    const ino = this.byPath.get(from);
    this.byPath.delete(from);
    if (ino !== undefined) this.byPath.set(to, ino);
    if (!isDir) return;
    const prefix = `${from}/`;
    for (const [p, n] of [...this.byPath]) {
      if (!p.startsWith(prefix)) continue;
      this.byPath.delete(p);
      this.byPath.set(to + p.slice(from.length), n);
    }
  }

  forget(path: string, isDir = false): void {
    this.byPath.delete(path);
    if (!isDir) return;
    const prefix = `${path}/`;
    for (const p of [...this.byPath.keys()]) if (p.startsWith(prefix)) this.byPath.delete(p);
  }
}
