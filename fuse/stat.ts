/**
 * Pure conversions at the POSIX boundary: EntryInfo → the stat object fuse-native expects,
 * cluster status → statfs, open flags, and the `user.redcloud.tags` xattr value.
 */
import type { ClusterStatus, EntryInfo } from '../src/common/api.js';
import type { EntryKind } from '../src/meta/types.js';

export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_TRUNC = 0o1000;

/** Preferred I/O size reported to programs (cp, dd use it): 1 MiB. */
export const BLKSIZE_BYTES = 1024 * 1024;
/** statfs block size; large so capacities fit fuse-native's 32-bit fields. */
export const STATFS_BSIZE_BYTES = 64 * 1024;

export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  blksize: number;
  blocks: number;
  mtime: Date;
  atime: Date;
  ctime: Date;
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

export function toStat(e: Pick<EntryInfo, 'kind' | 'mode' | 'size' | 'mtimeMs' | 'ctimeMs'>, owner: { uid: number; gid: number }): FuseStat {
  const size = e.kind === 'dir' ? 4096 : e.size;
  return {
    mode: TYPE_BITS[e.kind] | (e.mode & 0o7777),
    uid: owner.uid,
    gid: owner.gid,
    size,
    nlink: e.kind === 'dir' ? 2 : 1,
    blksize: BLKSIZE_BYTES,
    blocks: Math.ceil(size / 512),
    mtime: new Date(e.mtimeMs),
    atime: new Date(e.mtimeMs),
    // ctime = mtime: a staged file cannot know the ctime its commit will get, and a ctime that
    // changes between stat and fstat makes tar report "file changed as we read it"
    ctime: new Date(e.mtimeMs),
  };
}

const U32_MAX = 0xffff_ffff;

/** Capacity and free space of the healthy chunkservers. */
export function toStatfs(status: ClusterStatus): FuseStatfs {
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
