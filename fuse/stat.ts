/**
 * Pure conversions at the POSIX boundary: EntryInfo → the stat object fuse-native expects (as
 * scripts/fix-fuse-native.mjs patches it: 64-bit ino, times as { sec, nsec }), statfs from the
 * controller's figures (or, from older controllers, the cluster status), open flags, mknod modes,
 * and the `user.redcloud.tags` xattr value.
 */
import type { ClusterStatus, EntryInfo, StatfsInfo, Timespec } from '../src/common/api.js';
import type { EntryKind } from '../src/meta/types.js';

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFMT = 0o170000;
export const S_ISGID = 0o2000;
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_TRUNC = 0o1000;

/** Preferred I/O size reported to programs (cp, dd use it): 1 MiB. */
export const BLKSIZE_BYTES = 1024 * 1024;
/** statfs block size; large so capacities fit fuse-native's 32-bit fields. */
export const STATFS_BSIZE_BYTES = 64 * 1024;

export interface FuseStat {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  rdev: number;
  blksize: number;
  blocks: number;
  mtime: Timespec;
  atime: Timespec;
  ctime: Timespec;
}

/** What a stat takes from the mount when the entry lacks it (controllers older than the inode namespace). */
export interface StatFallback {
  uid: number;
  gid: number;
  /** the mount's own number for the path (fuse/inos.ts) */
  ino: number;
}

export interface FuseStatfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFSOCK = 0o140000;
const TYPE_BITS: Record<EntryKind, number> = {
  dir: S_IFDIR, file: S_IFREG, symlink: S_IFLNK, fifo: S_IFIFO, char: S_IFCHR, block: S_IFBLK, socket: S_IFSOCK,
};

/**
 * What readdir gives libfuse per name. libfuse 2's readdir passes the kernel only the inode number
 * and the type bits of each stat (the kernel asks getattr for the rest), so a listing builds no more.
 */
export type Dirent = Pick<FuseStat, 'ino' | 'mode' | 'atime' | 'mtime' | 'ctime'>;

/** the times of a dirent: the addon's stat array has them, readdir does not pass them on (without them the addon reads the clock thrice per name) */
const NO_TIME: Timespec = Object.freeze({ sec: 0, nsec: 0 });

/** The dirent of an entry of `kind` numbered `ino`. Pure. */
export function direntOf(kind: EntryKind, ino: number): Dirent {
  return { ino, mode: TYPE_BITS[kind], atime: NO_TIME, mtime: NO_TIME, ctime: NO_TIME };
}

/** ms since the epoch → Timespec (floor, so times before 1970 keep a non-negative nsec). Pure. */
export function msToTimespec(ms: number): Timespec {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) };
}

/** A time as both ms and its exact Timespec (the controller's, where it gave one). */
export interface Stamp { ms: number; ts: Timespec }

export function stampAt(ms: number, ts?: Timespec): Stamp {
  return { ms, ts: ts ?? msToTimespec(ms) };
}

export function timespecToMs(t: Timespec): number {
  return t.sec * 1000 + Math.floor(t.nsec / 1e6);
}

export type StatSource = Pick<EntryInfo, 'kind' | 'mode' | 'size' | 'mtimeMs' | 'ctimeMs'> &
  Partial<Pick<EntryInfo, 'ino' | 'uid' | 'gid' | 'nlink' | 'rdev' | 'atime' | 'mtime' | 'ctime'>>;

/** The stat of an entry: the inode's own fields when the controller gives them, else the fallbacks. */
export function toStat(e: StatSource, fallback: StatFallback): FuseStat {
  const size = e.kind === 'dir' ? 4096 : e.size;
  const mtime = e.mtime ?? msToTimespec(e.mtimeMs);
  return {
    ino: e.ino ?? fallback.ino,
    mode: TYPE_BITS[e.kind] | (e.mode & 0o7777),
    uid: e.uid ?? fallback.uid,
    gid: e.gid ?? fallback.gid,
    size,
    nlink: e.nlink ?? (e.kind === 'dir' ? 2 : 1),
    rdev: e.kind === 'char' || e.kind === 'block' ? e.rdev ?? 0 : 0,
    blksize: BLKSIZE_BYTES,
    blocks: Math.ceil(size / 512),
    mtime,
    atime: e.atime ?? mtime,
    // without the inode's ctime, ctime = mtime: a staged file cannot know the ctime its commit will
    // get, and a ctime that changes between stat and fstat makes tar report "file changed as we read it"
    ctime: e.ctime ?? mtime,
  };
}

/** The kind and permission bits of a mknod mode; undefined for a type mknod cannot make (a directory, a symlink). */
export function mknodKind(mode: number): { kind: 'file' | 'fifo' | 'socket' | 'char' | 'block'; perm: number } | undefined {
  const type = mode & S_IFMT;
  const kind = type === 0 || type === S_IFREG ? 'file' : type === S_IFIFO ? 'fifo' : type === S_IFSOCK ? 'socket'
    : type === S_IFCHR ? 'char' : type === S_IFBLK ? 'block' : undefined;
  return kind ? { kind, perm: mode & 0o7777 } : undefined;
}

const U32_MAX = 0xffff_ffff;

/** Free inodes reported to df -i: the namespace has no fixed inode table. */
export const STATFS_FREE_FILES = 1 << 30;

/** statfs from the controller's figures: usable bytes at the replication factor and the account's inodes. */
export function toStatfs(info: StatfsInfo): FuseStatfs {
  const blocks = Math.min(U32_MAX, Math.floor(info.totalBytes / STATFS_BSIZE_BYTES));
  const bfree = Math.min(blocks, Math.floor(info.availBytes / STATFS_BSIZE_BYTES));
  // a file quota: the free inodes are what is left of it (df -i shows the quota as the size)
  const ffree = Math.min(U32_MAX, info.filesFree ?? STATFS_FREE_FILES);
  const files = Math.min(U32_MAX, info.files + ffree);
  return {
    bsize: STATFS_BSIZE_BYTES, frsize: STATFS_BSIZE_BYTES, blocks, bfree, bavail: bfree,
    files, ffree, favail: ffree, fsid: 0x7263, flag: 0, namemax: 255,
  };
}

/** Capacity and free space of the healthy chunkservers (controllers without GET /v1/fs/statfs). */
export function statusToStatfs(status: ClusterStatus): FuseStatfs {
  let capacity = 0;
  let free = 0;
  for (const cs of status.chunkservers) {
    if (!cs.healthy) continue;
    capacity += cs.capacityBytes;
    free += cs.full ? 0 : cs.freeBytes;
  }
  const blocks = Math.min(U32_MAX, Math.floor(capacity / STATFS_BSIZE_BYTES));
  const bfree = Math.min(blocks, Math.floor(free / STATFS_BSIZE_BYTES));
  return {
    bsize: STATFS_BSIZE_BYTES, frsize: STATFS_BSIZE_BYTES, blocks, bfree, bavail: bfree,
    files: 1_000_000, ffree: 1_000_000, favail: 1_000_000, fsid: 0x7263, flag: 0, namemax: 255,
  };
}

export function isWriteOpen(flags: number): boolean {
  return (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
}

export const TAGS_XATTR = 'user.redcloud.tags';

/** "a, b,,c" → ['a', 'b', 'c'] (trimmed, empty dropped, duplicates removed, order kept). */
export function parseTags(value: Buffer | string): string[] {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

/** The add/remove that turns `current` into `wanted`. */
export function tagDiff(current: readonly string[], wanted: readonly string[]): { add: string[]; remove: string[] } {
  const cur = new Set(current);
  const want = new Set(wanted);
  return { add: wanted.filter((t) => !cur.has(t)), remove: current.filter((t) => !want.has(t)) };
}
