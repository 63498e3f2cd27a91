/**
 * The read-only view of the user's trash at the mount's root, `.trash/<time>/<original path>`
 * (src/meta/trash.ts): `<time>` is the UTC second of the removal, below it the paths the entries
 * had, with the directories between them shown too. Two entries with one path in one second show
 * as `name~<link id>` after the first. Listing, stat, and reading a trashed file (`cat`, `cp`,
 * `sha256sum`: open read-only, its read plan by entry id, GET /v1/trash/read, read through the
 * shared chunk cache); to change an entry, restore it (`redcloud trash restore`); everything else
 * there is EROFS. The listing is cached for the attribute TTL. `trashTree` is pure.
 */
import type { TrashItem } from '../src/common/api.js';
import { errors } from '../src/common/errors.js';
import type { RedCloudClient } from '../src/client/types.js';
import type { ChunkCache } from './chunk-cache.js';
import { FuseErrnoError, fuseErrors } from './errno.js';
import { FileReader } from './file-reader.js';
import type { Sig } from './handlers.js';
import type { FallbackInos } from './inos.js';
import { isWriteOpen, toStat, type FuseStat } from './stat.js';
import { TtlCache } from './ttl-cache.js';

export const TRASH_DIR_NAME = '.trash';

export type TrashNode = { kind: 'dir'; children: Set<string>; item?: TrashItem } | { kind: 'entry'; item: TrashItem };

/** Every path below the trash directory ('' is the directory itself) and what it is. Pure. */
export function trashTree(items: readonly TrashItem[]): Map<string, TrashNode> {
  const nodes = new Map<string, TrashNode>([['', { kind: 'dir', children: new Set() }]]);
  const dirAt = (path: string): Extract<TrashNode, { kind: 'dir' }> | undefined => {
    const n = nodes.get(path);
    if (n) return n.kind === 'dir' ? n : undefined;
    const i = path.lastIndexOf('/');
    const parent = dirAt(path.slice(0, i));
    if (!parent) return undefined;
    const made: TrashNode = { kind: 'dir', children: new Set() };
    nodes.set(path, made);
    parent.children.add(path.slice(i + 1));
    return made;
  };
  // oldest first, so the first of two with one path keeps the plain name
  for (const item of [...items].sort((a, b) => a.removedAtMs - b.removedAtMs || (a.id < b.id ? -1 : 1))) {
    let path = `/${item.time}${item.path}`;
    const i = path.lastIndexOf('/');
    const parent = dirAt(path.slice(0, i));
    if (!parent) continue; // a file where a directory of another entry would be: shown by trash ls only
    const taken = nodes.get(path);
    if (taken && !(item.kind === 'dir' && taken.kind === 'dir' && !taken.item)) path = `${path}~${item.id}`;
    const held = nodes.get(path);
    if (item.kind === 'dir') nodes.set(path, { kind: 'dir', children: held?.kind === 'dir' ? held.children : new Set(), item });
    else nodes.set(path, { kind: 'entry', item });
    parent.children.add(path.slice(i + 1));
  }
  return new Map([...nodes].map(([k, v]) => [k.slice(1), v]));
}

export function createTrashDir(d: { client: RedCloudClient; inos: FallbackInos; cache: ChunkCache }, o: { ttlMs: number; owner: { uid: number; gid: number }; nowMs: () => number }) {
  const top = `/${TRASH_DIR_NAME}`;
  const cache = new TtlCache<Map<string, TrashNode>>(o.ttlMs, o.nowMs);
  const startedMs = o.nowMs();
  const readOnly = (path: string): FuseErrnoError => new FuseErrnoError('EROFS', `The trash is read-only: restore with redcloud trash restore (${path})`);
  /** open trashed files (an fd with no reader: an entry that is not a file, read as empty) */
  const readers = new Map<number, FileReader | undefined>();
  let nextFd = 1;

  async function tree(signal: Sig): Promise<Map<string, TrashNode>> {
    let t = cache.get('');
    if (!t) {
      t = trashTree(d.client.trashList ? (await d.client.trashList({ signal })).items : []);
      cache.set('', t);
    }
    return t;
  }
  const keyOf = (path: string): string => (path === top ? '' : path.slice(top.length + 1));
  async function node(path: string, signal: Sig): Promise<TrashNode> {
    const n = (await tree(signal)).get(keyOf(path));
    if (!n) throw errors.notFound(`No such file or directory: ${path}`, { path });
    return n;
  }
  function statOf(path: string, n: TrashNode): FuseStat {
    const fallback = { ...o.owner, ino: d.inos.of(path) };
    const ms = n.item?.removedAtMs ?? startedMs;
    if (n.kind === 'dir') return toStat({ kind: 'dir', mode: 0o555, size: 0, mtimeMs: ms, ctimeMs: ms }, fallback);
    const kind = n.item.kind === 'symlink' || n.item.kind === 'file' ? 'file' : n.item.kind;
    return toStat({ kind, mode: 0o444, size: n.item.kind === 'file' ? n.item.size : 0, mtimeMs: ms, ctimeMs: ms, nlink: 1 }, fallback);
  }

  return {
    name: TRASH_DIR_NAME,
    readOnly,
    owns: (path: string): boolean => path === top || path.startsWith(`${top}/`),
    /** the mount's own removes and renames change the trash: list it afresh */
    dropCaches: (): void => cache.clear(),
    async getattr(path: string, signal: Sig): Promise<FuseStat> {
      return statOf(path, await node(path, signal));
    },
    async open(path: string, flags: number, signal: Sig): Promise<number> {
      if (isWriteOpen(flags)) throw readOnly(path);
      const n = await node(path, signal);
      if (n.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      let reader: FileReader | undefined;
      if (n.item.kind === 'file') {
        const { trashRead } = d.client;
        if (!trashRead) throw readOnly(path);
        const replan = (s: Sig) => trashRead.call(d.client, n.item.id, { signal: s });
        reader = new FileReader(path, await replan(signal), d.cache, d.client, replan);
      }
      const fd = nextFd++;
      if (nextFd > 0x7fff_ffff) nextFd = 1;
      readers.set(fd, reader);
      return fd;
    },
    async read(_path: string, fd: number, length: number, offset: number, signal: Sig): Promise<Buffer> {
      if (!readers.has(fd)) throw fuseErrors.badFd(fd);
      return readers.get(fd)?.read(offset, length, signal) ?? Buffer.alloc(0);
    },
    async release(_path: string, fd: number): Promise<void> {
      readers.delete(fd);
    },
    async readdir(path: string, signal: Sig): Promise<{ names: string[]; stats: FuseStat[] }> {
      const n = await node(path, signal);
      if (n.kind !== 'dir') throw errors.notDir(`Not a directory: ${path}`, { path });
      const t = await tree(signal);
      const names = ['.', '..'];
      const stats = [statOf(path, n), statOf(path, n)];
      for (const name of [...n.children].sort()) {
        const p = `${path}/${name}`;
        names.push(name);
        stats.push(statOf(p, t.get(keyOf(p))!));
      }
      return { names, stats };
    },
  };
}

export type TrashDir = ReturnType<typeof createTrashDir>;
