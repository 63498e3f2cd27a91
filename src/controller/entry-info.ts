/**
 * Turns an inode (and the path it was reached by) into the EntryInfo the API answers, including
 * the opaque version string (the inode's HLC stamp plus the sum of its version vector: changes on
 * every write to the inode and every merge), its FUSE inode number and POSIX times.
 */
import { ENTRY_XATTR_NAMES_MAX, type EntryInfo, type Timespec } from '../common/api.js';
import { inoNumber } from '../meta/keys.js';
import { tsToMs } from '../meta/register.js';
import { tagNames } from '../meta/tags.js';
import type { InodeContent, InodeRecord, Ts } from '../meta/types.js';

export const ROOT_MODE = 0o755;

export function versionOf(r: Pick<InodeRecord, 'hlc' | 'vv'>): string {
  const sum = Object.values(r.vv).reduce((a, b) => a + b, 0);
  return `${r.hlc.wallMs.toString(36)}.${r.hlc.logical.toString(36)}.${sum.toString(36)}.${r.hlc.node}`;
}

const timespec = (t: Ts): Timespec => ({ sec: t[0], nsec: t[1] });

/** The names of the inode's live xattrs, if there are at most ENTRY_XATTR_NAMES_MAX. */
function xattrNames(r: InodeRecord): string[] | undefined {
  const names: string[] = [];
  for (const name in r.xattrs) {
    if (r.xattrs[name]!.v === null) continue;
    if (names.length === ENTRY_XATTR_NAMES_MAX) return undefined;
    names.push(name);
  }
  return names;
}

export function toEntryInfo(r: InodeRecord, path: string, nlink: number): EntryInfo {
  const { mode, uid, gid } = r.attr.v;
  const info: EntryInfo = {
    path, kind: r.kind, size: r.kind === 'symlink' ? Buffer.byteLength(r.target ?? '') : r.content.v.size, mode,
    mtimeMs: tsToMs(r.mtime.v), ctimeMs: tsToMs(r.ctime), ino: inoNumber(r.ino), uid, gid, nlink, rdev: r.rdev,
    atime: timespec(r.atime.v), mtime: timespec(r.mtime.v), ctime: timespec(r.ctime),
    tags: tagNames(r.tags), version: versionOf(r),
  };
  if (r.kind === 'symlink' && r.target !== undefined) info.target = r.target;
  if (r.kind === 'file') info.chunkCount = r.content.v.chunks.length;
  const xattrs = xattrNames(r);
  if (xattrs) info.xattrs = xattrs;
  return info;
}

/** A regular file's info and content (read plans): its chunks, where its commit wrote them (content.holders), inline bytes, extents, inline chunks. */
export type FileContent = { info: EntryInfo } & Pick<InodeContent, 'chunks' | 'holders' | 'inline' | 'extents' | 'inlineChunks'>;

/** The FileContent of an inode's content (a record's optional fields are absent, never undefined). */
export function fileContent(info: EntryInfo, v: InodeContent): FileContent {
  const { chunks, holders, inline, extents, inlineChunks } = v;
  return { info, chunks, holders, ...(inline !== undefined ? { inline } : {}), ...(extents ? { extents } : {}), ...(inlineChunks ? { inlineChunks } : {}) };
}
