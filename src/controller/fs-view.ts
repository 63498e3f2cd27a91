/**
 * Reading one account's tree through the store: path resolution from the root inode, the root's
 * implicit first version, nlink, and EntryInfo for a resolved path. Shared by the namespace's
 * operations (namespace.ts, fs-attrs.ts). No writes.
 */
import type { EntryInfo } from '../common/api.js';
import { errors } from '../common/errors.js';
import { ROOT, normalizePath } from '../common/paths.js';
import { ZERO_HLC } from '../meta/hlc.js';
import { ROOT_INO, inodeKey } from '../meta/keys.js';
import type { InodeRecord } from '../meta/types.js';
import { ROOT_MODE, toEntryInfo } from './entry-info.js';
import type { DirEntry, MetadataStore } from './metadata-store.js';

export interface Resolved {
  path: string;
  ino: string;
  inode: InodeRecord;
  /** the directory entry the path ends in (absent for the root) */
  entry?: DirEntry;
}

/** The root directory before anyone wrote it: 0755, owned by 0:0, times 0. */
export function implicitRoot(owner: string): InodeRecord {
  return {
    type: 'inode', key: inodeKey(owner, ROOT_INO), owner, ino: ROOT_INO, kind: 'dir', rdev: 0,
    attr: { v: { mode: ROOT_MODE, uid: 0, gid: 0 }, at: ZERO_HLC }, content: { v: { size: 0, chunks: [] }, at: ZERO_HLC },
    mtime: { v: [0, 0], at: ZERO_HLC }, atime: { v: [0, 0], at: ZERO_HLC }, ctime: [0, 0], xattrs: {}, tags: {}, vv: {}, hlc: ZERO_HLC,
  };
}

const segmentsOf = (path: string): string[] => (path === ROOT ? [] : path.slice(1).split('/'));

/** What a path names, found in two steps (FsView.locate). */
export interface Located {
  /** the path's directory, if it exists */
  dir?: Resolved;
  name: string;
  /** the entry of `name` in `dir`, if any (also one whose inode has not arrived yet: no target then) */
  entry?: DirEntry;
  target?: Resolved;
}

export interface FsView {
  inode(owner: string, ino: string): InodeRecord | undefined;
  /** The resolved path, or undefined when its last component does not exist (NOT_DIR if a middle one is no directory). */
  resolve(owner: string, rawPath: string): Resolved | undefined;
  mustResolve(owner: string, rawPath: string): Resolved;
  /** The directory a new entry at `path` goes into, and its name (NOT_FOUND / NOT_DIR as POSIX). */
  parentOf(owner: string, rawPath: string): { dir: Resolved; name: string; path: string };
  /**
   * `path`'s directory, if it exists, and what `path` names in it: resolve in two steps, so a
   * create there needs no second walk (NOT_DIR if the directory or a component above is no directory).
   */
  locate(owner: string, rawPath: string): Located;
  nlink(owner: string, inode: InodeRecord): number;
  info(owner: string, r: Resolved): EntryInfo;
}

export function createFsView(store: MetadataStore): FsView {
  const inode = (owner: string, ino: string): InodeRecord | undefined =>
    store.getInode(owner, ino) ?? (ino === ROOT_INO ? implicitRoot(owner) : undefined);

  function resolve(owner: string, rawPath: string): Resolved | undefined {
    const path = normalizePath(rawPath);
    let cur: Resolved = { path: ROOT, ino: ROOT_INO, inode: inode(owner, ROOT_INO)! };
    let at = '';
    for (const name of segmentsOf(path)) {
      if (cur.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${at || ROOT}`, { path: at || ROOT });
      const entry = store.lookup(owner, cur.ino, name);
      at = `${at}/${name}`;
      const next = entry ? store.getInode(owner, entry.ino) : undefined;
      if (!entry || !next) return undefined;
      cur = { path: at, ino: entry.ino, inode: next, entry };
    }
    return cur;
  }

  function mustResolve(owner: string, rawPath: string): Resolved {
    const r = resolve(owner, rawPath);
    if (!r) throw errors.notFound(`No such file or directory: ${rawPath}`, { path: rawPath });
    return r;
  }

  function parentOf(owner: string, rawPath: string): { dir: Resolved; name: string; path: string } {
    const path = normalizePath(rawPath);
    if (path === ROOT) throw errors.exists('File exists: /', { path });
    const i = path.lastIndexOf('/');
    const dirPath = i === 0 ? ROOT : path.slice(0, i);
    const dir = resolve(owner, dirPath);
    if (!dir) throw errors.notFound(`No such file or directory: ${dirPath}`, { path: dirPath });
    if (dir.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${dirPath}`, { path: dirPath });
    return { dir, name: path.slice(i + 1), path };
  }

  function locate(owner: string, rawPath: string): Located {
    const path = normalizePath(rawPath);
    if (path === ROOT) return { name: '', target: resolve(owner, ROOT) };
    const i = path.lastIndexOf('/');
    const dirPath = i === 0 ? ROOT : path.slice(0, i);
    const name = path.slice(i + 1);
    const dir = resolve(owner, dirPath);
    if (!dir) return { name };
    if (dir.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${dirPath}`, { path: dirPath });
    const entry = store.lookup(owner, dir.ino, name);
    const inode = entry ? store.getInode(owner, entry.ino) : undefined;
    if (!entry) return { dir, name };
    return { dir, name, entry, ...(inode ? { target: { path, ino: entry.ino, inode, entry } } : {}) };
  }

  const nlink = (owner: string, r: InodeRecord): number =>
    r.kind === 'dir' ? 2 + store.subdirCount(owner, r.ino) : store.linksOf(owner, r.ino).length;

  return {
    inode, resolve, mustResolve, parentOf, locate, nlink,
    info: (owner, r) => toEntryInfo(r.inode, r.path, nlink(owner, r.inode)),
  };
}
