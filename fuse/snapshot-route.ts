/**
 * The virtual snapshot directory at the mount's root (`.snapshots/`): `ls mnt/.snapshots/` lists the
 * account's snapshots, and `mnt/.snapshots/NAME/…` is snapshot NAME's tree, served by a handlers
 * instance of its own over the client scoped to that snapshot (client.inSnapshot: every call
 * carries the snapshot header, so the controller reads the snapshot's records and refuses writes).
 * Everything that would write there is EROFS here, before any call; reads (stat, readdir, open
 * read-only, read, readlink, xattrs) go through the ordinary handlers, chunk cache included. Like
 * the tag directory it is hidden from the root's listing (reached by name), so `find`, `du` or
 * `rsync` over the mount do not walk every snapshot; a real entry named `.snapshots` at the root
 * is shadowed. Inode numbers inside a snapshot are the live file's mixed with the snapshot's name,
 * so programs never take a snapshot's file for a hard link of the live one.
 */
import { createHash } from 'node:crypto';
import { FuseErrnoError } from './errno.js';
import { isWriteOpen, toStat, type Dirent, type FuseStat } from './stat.js';
import { withVirtualDir } from './virtual-dir-route.js';

export const SNAPSHOTS_DIR = '.snapshots';

/** Where a mount path is: outside, the snapshot directory itself, or inside snapshot `name` at `rest`. */
export type SnapshotPlace = { at: 'outside' } | { at: 'top' } | { at: 'inside'; name: string; rest: string };

export function snapshotPlace(path: string, dir = SNAPSHOTS_DIR): SnapshotPlace {
  const top = `/${dir}`;
  if (path === top) return { at: 'top' };
  if (!path.startsWith(`${top}/`)) return { at: 'outside' };
  const tail = path.slice(top.length + 1);
  const i = tail.indexOf('/');
  return i < 0 ? { at: 'inside', name: tail, rest: '/' } : { at: 'inside', name: tail.slice(0, i), rest: tail.slice(i) };
}

/** st_ino of inode number `ino` seen in snapshot `name` (53 bits, never 1, stable). */
export function snapshotIno(name: string, ino: number): number {
  const h = createHash('sha256').update(name).digest();
  const mixed = (BigInt(ino) ^ (BigInt(h.readUIntBE(0, 6)) << 5n)) & ((1n << 53n) - 1n);
  return mixed <= 1n ? Number(mixed) + 2 : Number(mixed);
}

/** Names `snapshot ls` can show: a snapshot name, or one with its conflict suffix (src/meta/snapshot.ts). */
const SHOWN_NAME_RE = /^[A-Za-z0-9._-]{1,64}(?:~[0-9a-f]{8})?$/;
/** Snapshot handlers instances one mount keeps (each with its own caches; never dropped while mounted, an open file may need it). */
export const SNAPSHOT_HANDLERS_MAX = 512;

const readOnly = (path: string): FuseErrnoError => new FuseErrnoError('EROFS', `Snapshots are read-only: ${path}`);

type Sig = AbortSignal;
type Stats = { names: string[]; stats: Dirent[] };

/** The operations of Handlers this routes (ops.ts calls them with the path first, except symlink). */
export interface SnapshotRoutedOps {
  getattr(path: string, signal: Sig): Promise<FuseStat>;
  readdir(path: string, signal: Sig): Promise<Stats>;
  open(path: string, flags: number, signal: Sig): Promise<number>;
  /** `into`: the kernel's buffer, which a read may fill itself (answering a view of it) */
  read(path: string, fd: number, len: number, pos: number, signal: Sig, into?: Buffer): Promise<Buffer>;
  release(path: string, fd: number, signal: Sig): Promise<void>;
  flush(path: string, fd: number, signal: Sig): Promise<void>;
  fsync(path: string, fd: number, signal: Sig): Promise<void>;
  readlink(path: string, signal: Sig): Promise<string>;
  getxattr(path: string, name: string, signal: Sig): Promise<Buffer>;
  listxattr(path: string, signal: Sig): Promise<string[]>;
  statfs(path: string, signal: Sig): Promise<unknown>;
  stop(): Promise<void>;
}

export interface SnapshotDirDeps<H> {
  /** the snapshot names (client.snapshots) */
  names(signal: Sig): Promise<string[]>;
  /** handlers over the client scoped to snapshot `name` */
  handlersFor(name: string): H;
  owner: { uid: number; gid: number };
  nowMs: () => number;
}

export function withSnapshotDir<H extends SnapshotRoutedOps>(h: H, d: SnapshotDirDeps<H>): H {
  const subs = new Map<string, H>();
  /** The handlers of snapshot `name`, made on first use (ENOENT for a name no snapshot can have, without making any). */
  const sub = (name: string): H => {
    const have = subs.get(name);
    if (have) return have;
    if (!SHOWN_NAME_RE.test(name) || name === '.' || name === '..') throw new FuseErrnoError('ENOENT', `No snapshot named ${name.slice(0, 80)}`);
    if (subs.size >= SNAPSHOT_HANDLERS_MAX) throw new FuseErrnoError('ENFILE', `More than ${SNAPSHOT_HANDLERS_MAX} snapshots read through this mount; remount to read others`);
    return subs.set(name, d.handlersFor(name)).get(name)!;
  };
  const startedMs = d.nowMs();
  const topStat = (): FuseStat => toStat({ kind: 'dir', mode: 0o555, size: 0, mtimeMs: startedMs, ctimeMs: startedMs }, { ...d.owner, ino: snapshotIno('', 2) });
  const remap = <T extends Dirent>(name: string, st: T): T => ({ ...st, ino: snapshotIno(name, st.ino) });
  /** `inside(place)` for a path in a snapshot; the snapshot directory itself is `top()` (outside paths never come here). */
  function route<T>(path: string, top: () => Promise<T>, inside: (s: H, rest: string, name: string) => Promise<T>): Promise<T> {
    const p = snapshotPlace(path);
    if (p.at !== 'inside') return top();
    try {
      return inside(sub(p.name), p.rest, p.name);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  const refuse = async (path: string): Promise<never> => { throw readOnly(path); };
  // every write there is EROFS before any call (virtual-dir-route.ts); reads go to the snapshot's handlers
  const out = withVirtualDir(h, {
    name: SNAPSHOTS_DIR, owns: (p) => snapshotPlace(p).at !== 'outside', readOnly,
    ops: {
      getattr: (p, s) => route(p, async () => topStat(), async (x, rest, name) => remap(name, await x.getattr(rest, s))),
      readdir: (p, s) => route<Stats>(p, async () => {
        const names = await d.names(s);
        const stats = await Promise.all(names.map(async (n) => remap(n, await sub(n).getattr('/', s))));
        return { names, stats };
      }, async (x, rest, name) => {
        const r = await x.readdir(rest, s);
        return { names: r.names, stats: r.stats.map((st) => remap(name, st)) };
      }),
      open: (p, flags, s) => (isWriteOpen(flags) ? refuse(p) : route(p, () => Promise.reject(new FuseErrnoError('EISDIR', p)), (x, rest) => x.open(rest, flags, s))),
      read: (p, fd, len, pos, s) => route(p, () => refuse(p), (x, rest) => x.read(rest, fd, len, pos, s)),
      release: (p, fd, s) => route(p, async () => undefined, (x, rest) => x.release(rest, fd, s)),
      flush: (p, fd, s) => route(p, async () => undefined, (x, rest) => x.flush(rest, fd, s)),
      fsync: (p, fd, s) => route(p, async () => undefined, (x, rest) => x.fsync(rest, fd, s)),
      readlink: (p, s) => route(p, () => Promise.reject(new FuseErrnoError('EINVAL', p)), (x, rest) => x.readlink(rest, s)),
      getxattr: (p, n, s) => route(p, () => Promise.reject(new FuseErrnoError('ENODATA', `No attribute ${n}`)), (x, rest) => x.getxattr(rest, n, s)),
      listxattr: (p, s) => route(p, async () => [], (x, rest) => x.listxattr(rest, s)),
    },
  });
  return Object.assign(out, {
    async stop() {
      await Promise.all([...subs.values()].map((x) => x.stop().catch(() => undefined)));
      await h.stop();
    },
  });
}
