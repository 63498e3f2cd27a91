/**
 * The virtual tag directory's pure rules (`.tags/` at the mount's root, name configurable): which
 * paths are in it, what a query directory lists, the symlinks it shows and how a symlink made in
 * it names its target. A path `/.tags/T1/…/Tn` is the query "files carrying every Ti" (order and
 * repeats do not matter); its entries are relative symlinks to the files' real paths, named by
 * basename. Two results with one basename are both shown as `stem~<8 hex of sha256(real path)>.ext`,
 * so a name depends only on the result set, never on listing order or controller. No I/O.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { EntryInfo } from '../src/common/api.js';

export const TAGS_DIR_DEFAULT = '.tags';

/** The segments below the tag directory (`[]` for the directory itself), or undefined outside it. */
export function tagSegments(path: string, dirName: string): string[] | undefined {
  if (!dirName) return undefined;
  const top = `/${dirName}`;
  if (path === top) return [];
  if (!path.startsWith(`${top}/`)) return undefined;
  return path.slice(top.length + 1).split('/');
}

/** A query's tags in one canonical order (conjunctions in any order are one query). */
export function queryKey(tags: readonly string[]): string {
  return [...new Set(tags)].sort().join('\0');
}

export function canonicalTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** `photo.jpg` + `~1a2b3c4d` → `photo~1a2b3c4d.jpg` (a leading dot is no extension). */
export function withSuffix(name: string, suffix: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}${suffix}${name.slice(dot)}` : `${name}${suffix}`;
}

const pathId = (path: string, hexChars: number): string => createHash('sha256').update(path).digest('hex').slice(0, hexChars);

/**
 * The names a query directory shows for its result entries: the basename when it is unique in the
 * set, else every holder of that basename gets the path-hash suffix (longer if even that collides).
 */
export function entryNames(entries: readonly EntryInfo[]): Map<string, EntryInfo> {
  const byBase = new Map<string, EntryInfo[]>();
  for (const e of entries) {
    const b = baseName(e.path);
    const list = byBase.get(b);
    if (list) list.push(e); else byBase.set(b, [e]);
  }
  const out = new Map<string, EntryInfo>();
  const plain = [...byBase].filter(([, l]) => l.length === 1);
  for (const [name, [e]] of plain) out.set(name, e!);
  for (const [name, list] of byBase) {
    if (list.length === 1) continue;
    for (const e of [...list].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      let hex = 8;
      let n = withSuffix(name, `~${pathId(e.path, hex)}`);
      while (out.has(n) && hex < 64) n = withSuffix(name, `~${pathId(e.path, (hex += 4))}`);
      out.set(n, e);
    }
  }
  return out;
}

/** The relative symlink target from a query directory `depth` levels below the root to `realPath`. */
export function linkTarget(depth: number, realPath: string): string {
  return `${'../'.repeat(depth)}${realPath.replace(/^\/+/, '')}`;
}

/** A query directory's depth below the mount's root: the tag directory plus one per tag level. */
export const queryDepth = (tags: readonly string[]): number => 1 + tags.length;

/**
 * Where a symlink made at `linkPath` (a path in the mount) with `target` points, as a path in the
 * mount; undefined when it points outside (an absolute path not under `mountpoint`, or `..` above
 * the root). The result may still be inside the tag directory (the shell resolves that entry).
 */
export function resolveLinkTarget(linkPath: string, target: string, mountpoint?: string): string | undefined {
  if (target === '' || target.includes('\0')) return undefined;
  let inMount: string;
  if (target.startsWith('/')) {
    if (!mountpoint) return undefined;
    const mp = posix.normalize(mountpoint).replace(/\/+$/, '');
    const t = posix.normalize(target);
    if (t !== mp && !t.startsWith(`${mp}/`)) return undefined;
    inMount = t.slice(mp.length) || '/';
  } else {
    const dir = posix.dirname(linkPath);
    // count levels so `..` above the mount's root is refused rather than clamped
    const parts: string[] = dir.split('/').filter(Boolean);
    for (const p of target.split('/')) {
      if (p === '' || p === '.') continue;
      if (p === '..') {
        if (parts.length === 0) return undefined;
        parts.pop();
      } else parts.push(p);
    }
    inMount = `/${parts.join('/')}`;
  }
  return inMount === '/' ? undefined : inMount;
}

/** What a path in the tag directory is, given the result names of its parent query (pure). */
export type TagNode =
  | { kind: 'dir'; tags: string[] }
  | { kind: 'link'; tags: string[]; name: string; entry: EntryInfo; target: string }
  | { kind: 'none' };

/**
 * Classifies the segments below the tag directory: every segment but the last must be a known tag;
 * the last is a result entry of the parent query when its listing has that name (entries win over
 * tag names), else a query directory when it is a known tag.
 */
export function classify(segs: readonly string[], known: ReadonlySet<string>, parentNames: ReadonlyMap<string, EntryInfo> | undefined): TagNode {
  if (segs.length === 0) return { kind: 'dir', tags: [] };
  const tags = segs.slice(0, -1);
  if (!tags.every((t) => known.has(t))) return { kind: 'none' };
  const last = segs[segs.length - 1]!;
  const entry = tags.length > 0 ? parentNames?.get(last) : undefined;
  if (entry) return { kind: 'link', tags, name: last, entry, target: linkTarget(queryDepth(tags), entry.path) };
  return known.has(last) ? { kind: 'dir', tags: [...segs] } : { kind: 'none' };
}
