/**
 * The tag directory's operations (`.tags/`, rules in tag-dir.ts) over the client: `ls .tags` lists
 * the tags (in use or declared), `.tags/A/B/` lists the files carrying A and B as relative
 * symlinks to their real paths. Writes change tags, never files: `ln -s TARGET .tags/A/B/` gives
 * the target every tag of that directory, `rm .tags/A/B/NAME` removes the innermost tag (B),
 * `mkdir .tags/NEW` declares a tag (common/declared-tags.ts), `rmdir` of an empty query
 * undeclares its last tag. Everything else there is EROFS; with `writable` off, so are those.
 * Answers are cached for the mount's attribute TTL and dropped on our own changes, so a tag change
 * made elsewhere shows within that TTL. withTagDir routes the handlers' paths here and hides the
 * directory from the root's listing.
 */
import type { EntryInfo } from '../src/common/api.js';
import { declaredTagXattr } from '../src/common/declared-tags.js';
import { RedCloudError, errors } from '../src/common/errors.js';
import { assertTag } from '../src/common/paths.js';
import type { RedCloudClient } from '../src/client/types.js';
import { FuseErrnoError } from './errno.js';
import type { FallbackInos } from './inos.js';
import type { Sig } from './handlers.js';
import { toStat, type FuseStat } from './stat.js';
import { canonicalTags, classify, entryNames, linkTarget, queryDepth, queryKey, resolveLinkTarget, tagSegments, type TagNode } from './tag-dir.js';
import { TtlCache } from './ttl-cache.js';

export interface TagDirOptions {
  /** the directory's name at the mount's root */
  name: string;
  /** ln -s / rm / mkdir / rmdir change tags (else EROFS) */
  writable: boolean;
  /** listed in the root's listing (default: hidden, reached by name) */
  listed?: boolean;
  /** absolute symlink targets under it are accepted */
  mountpoint?: string;
  ttlMs: number;
  owner: { uid: number; gid: number };
  nowMs: () => number;
}

export interface TagDirDeps {
  client: RedCloudClient;
  inos: FallbackInos;
  /** a real file's tags changed: drop what the mount caches of it */
  changed(path: string): void;
  /** a real path's entry (to check what a new symlink points at) */
  statEntry(path: string, signal: Sig): Promise<EntryInfo>;
}

const readOnly = (path: string): FuseErrnoError => new FuseErrnoError('EROFS', `The tag directory is read-only here: ${path}`);
const notFound = (path: string): RedCloudError => errors.notFound(`No such file or directory: ${path}`, { path });
/** Names a directory cannot have. */
const usableTag = (t: string): boolean => t !== '.' && t !== '..';

export function createTagDir(d: TagDirDeps, o: TagDirOptions) {
  const { client } = d;
  const known = new TtlCache<Set<string>>(o.ttlMs, o.nowMs);
  const queries = new TtlCache<Map<string, EntryInfo>>(o.ttlMs, o.nowMs, 1000);
  /** a symlink just made under a name the listing gives another (collision, different name): shown for a TTL */
  const aliases = new TtlCache<EntryInfo>(o.ttlMs, o.nowMs, 1000);
  const startedMs = o.nowMs();

  async function knownTags(signal: Sig): Promise<Set<string>> {
    let k = known.get('');
    if (!k) {
      k = new Set((await client.tags({ signal })).map((t) => t.tag).filter(usableTag));
      known.set('', k);
    }
    return k;
  }

  async function results(tags: string[], signal: Sig): Promise<Map<string, EntryInfo>> {
    const key = queryKey(tags);
    let r = queries.get(key);
    if (!r) {
      r = entryNames(await client.find(canonicalTags(tags), { signal }));
      queries.set(key, r);
    }
    return r;
  }

  function dropCaches(): void {
    known.clear();
    queries.clear();
  }

  async function nodeOf(path: string, segs: string[], signal: Sig): Promise<TagNode> {
    const k = await knownTags(signal);
    const parent = segs.slice(0, -1);
    const names = parent.length > 0 && parent.every((t) => k.has(t)) ? await results(parent, signal) : undefined;
    const n = classify(segs, k, names);
    const alias = n.kind === 'none' ? aliases.get(path) : undefined;
    if (alias) return { kind: 'link', tags: parent, name: segs[segs.length - 1]!, entry: alias, target: linkTarget(queryDepth(parent), alias.path) };
    return n;
  }

  const segsOf = (path: string): string[] => tagSegments(path, o.name)!;

  function dirStat(path: string): FuseStat {
    // 0755 even when read-only (as a read-only ext4 mount shows): the refusal is EROFS, not EACCES
    return toStat({ kind: 'dir', mode: 0o755, size: 0, mtimeMs: startedMs, ctimeMs: startedMs }, { ...o.owner, ino: d.inos.of(path) });
  }

  function linkStat(path: string, n: Extract<TagNode, { kind: 'link' }>): FuseStat {
    const e = n.entry;
    return toStat({ kind: 'symlink', mode: 0o777, size: Buffer.byteLength(n.target), mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, nlink: 1 },
      { ...o.owner, ino: d.inos.of(path) });
  }

  async function mustDir(path: string, signal: Sig): Promise<Extract<TagNode, { kind: 'dir' }>> {
    const n = await nodeOf(path, segsOf(path), signal);
    if (n.kind === 'none') throw notFound(path);
    if (n.kind !== 'dir') throw errors.notDir(`Not a directory: ${path}`, { path });
    return n;
  }

  /** The real file a new symlink's target names (through another query directory too). */
  async function realTarget(linkPath: string, target: string, signal: Sig): Promise<string> {
    const p = resolveLinkTarget(linkPath, target, o.mountpoint);
    if (!p) throw errors.invalid(`Symlink target ${target} is outside the mount`, { target });
    const segs = tagSegments(p, o.name);
    if (!segs) return p;
    const n = await nodeOf(p, segs, signal);
    if (n.kind !== 'link') throw errors.invalid(`Symlink target ${target} is not a file`, { target });
    return n.entry.path;
  }

  function checkWritable(path: string): void {
    if (!o.writable) throw readOnly(path);
  }

  return {
    name: o.name,
    listed: o.listed ?? false,
    readOnly,
    /** drops the cached tag list and query results (a tag changed through an xattr of this mount) */
    dropCaches,
    owns: (path: string): boolean => tagSegments(path, o.name) !== undefined,

    async getattr(path: string, signal: Sig): Promise<FuseStat> {
      const n = await nodeOf(path, segsOf(path), signal);
      if (n.kind === 'none') throw notFound(path);
      return n.kind === 'dir' ? dirStat(path) : linkStat(path, n);
    },

    async readdir(path: string, signal: Sig): Promise<{ names: string[]; stats: FuseStat[] }> {
      const n = await mustDir(path, signal);
      const names = ['.', '..'];
      const stats = [dirStat(path), dirStat(path)];
      if (n.tags.length === 0) {
        for (const t of [...(await knownTags(signal))].sort()) {
          names.push(t);
          stats.push(dirStat(`${path}/${t}`));
        }
        return { names, stats };
      }
      for (const [name, entry] of [...(await results(n.tags, signal))].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        names.push(name);
        stats.push(linkStat(`${path}/${name}`, { kind: 'link', tags: n.tags, name, entry, target: linkTarget(queryDepth(n.tags), entry.path) }));
      }
      return { names, stats };
    },

    async readlink(path: string, signal: Sig): Promise<string> {
      const n = await nodeOf(path, segsOf(path), signal);
      if (n.kind === 'none') throw notFound(path);
      if (n.kind !== 'link') throw errors.invalid(`Not a symlink: ${path}`, { path });
      return n.target;
    },

    /** ln -s TARGET .tags/A/B/NAME: TARGET gets tags A and B. */
    async symlink(target: string, linkPath: string, signal: Sig): Promise<void> {
      checkWritable(linkPath);
      const segs = segsOf(linkPath);
      const dir = await mustDir(linkPath.slice(0, linkPath.lastIndexOf('/')), signal);
      if (dir.tags.length === 0) throw errors.invalid(`Make a symlink inside a tag's directory, not in ${o.name} itself`, { path: linkPath });
      const real = await realTarget(linkPath, target, signal);
      const entry = await d.statEntry(real, signal);
      if (entry.kind !== 'file') throw errors.invalid(`Only files can be tagged through ${o.name} (${real} is a ${entry.kind})`, { path: real });
      const updated = await client.tag(real, { add: canonicalTags(dir.tags) }, { signal });
      dropCaches();
      d.changed(real);
      const name = segs[segs.length - 1]!;
      const listed = await results(dir.tags, signal);
      if (listed.get(name)?.path !== real) aliases.set(linkPath, { ...updated, path: real });
    },

    /** rm .tags/A/B/NAME: the file loses tag B; the file itself stays. */
    async unlink(path: string, signal: Sig): Promise<void> {
      checkWritable(path);
      const n = await nodeOf(path, segsOf(path), signal);
      if (n.kind === 'none') throw notFound(path);
      if (n.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      await client.tag(n.entry.path, { remove: [n.tags[n.tags.length - 1]!] }, { signal });
      aliases.delete(path);
      dropCaches();
      d.changed(n.entry.path);
    },

    /** mkdir .tags/NEW (at any level): declares NEW, so it is listed before any file carries it. */
    async mkdir(path: string, signal: Sig): Promise<void> {
      checkWritable(path);
      const segs = segsOf(path);
      await mustDir(path.slice(0, path.lastIndexOf('/')), signal);
      const tag = assertTag(segs[segs.length - 1]);
      if (!usableTag(tag)) throw errors.invalid(`A tag directory cannot be named ${tag}`);
      if ((await knownTags(signal)).has(tag)) throw errors.exists(`Tag exists: ${tag}`, { path });
      await client.setXattr('/', declaredTagXattr(tag), Buffer.alloc(0), { signal });
      dropCaches();
    },

    /** rmdir of a query without results: its last tag is no longer declared. */
    async rmdir(path: string, signal: Sig): Promise<void> {
      checkWritable(path);
      const n = await mustDir(path, signal);
      if (n.tags.length === 0) throw readOnly(path);
      if ((await results(n.tags, signal)).size > 0) throw errors.notEmpty(`Directory not empty: ${path}`, { path });
      try {
        await client.removeXattr('/', declaredTagXattr(n.tags[n.tags.length - 1]!), { signal });
      } catch (err) {
        if (!(err instanceof RedCloudError && err.code === 'NO_XATTR')) throw err;
      }
      dropCaches();
    },
  };
}

export type TagDir = ReturnType<typeof createTagDir>;
