/**
 * One router for the virtual directories at the mount's root (`.tags/`, `.trash/`, `.snapshots/`):
 * an operation on a path the directory owns goes to the directory's own implementation of it, or
 * is refused with the directory's read-only error (EROFS) when it has none; xattrs there default
 * to none (ENODATA, an empty list). Every other path goes to the namespace's handlers, and the
 * root's listing leaves the directory's name out unless the directory asks to be listed. An
 * `after` hook runs when an operation outside the directory ends (the trash drops its cached
 * listing after the mount's own removes and renames). Pure routing, no I/O of its own.
 */
import type { UtimeArg } from './attr-ops.js';
import { fuseErrors } from './errno.js';
import type { Caller, Sig } from './handlers.js';
import type { Dirent, FuseStat } from './stat.js';

export type Listing = { names: string[]; stats: Dirent[] };

/** The operations a virtual directory can take over (a subset of Handlers, path first except symlink). */
export interface RoutedOps {
  getattr(path: string, signal: Sig): Promise<FuseStat>;
  readdir(path: string, signal: Sig): Promise<Listing>;
  readlink(path: string, signal: Sig): Promise<string>;
  symlink(target: string, linkPath: string, caller: Caller | undefined, signal: Sig): Promise<void>;
  unlink(path: string, signal: Sig): Promise<void>;
  mkdir(path: string, mode: number, caller: Caller | undefined, signal: Sig): Promise<void>;
  rmdir(path: string, signal: Sig): Promise<void>;
  open(path: string, flags: number, signal: Sig): Promise<number>;
  create(path: string, mode: number, caller: Caller | undefined, signal: Sig): Promise<number>;
  mknod(path: string, mode: number, rdev: number, caller: Caller | undefined, signal: Sig): Promise<void>;
  truncate(path: string, size: number, signal: Sig): Promise<void>;
  chmod(path: string, mode: number, signal: Sig): Promise<void>;
  chown(path: string, uid: number, gid: number, signal: Sig): Promise<void>;
  utimens(path: string, atime: UtimeArg, mtime: UtimeArg, signal: Sig): Promise<void>;
  rename(from: string, to: string, signal: Sig): Promise<void>;
  link(from: string, to: string, signal: Sig): Promise<void>;
  getxattr(path: string, name: string, signal: Sig): Promise<Buffer>;
  listxattr(path: string, signal: Sig): Promise<string[]>;
  setxattr(path: string, name: string, value: Buffer, flags: number, signal: Sig): Promise<void>;
  removexattr(path: string, name: string, signal: Sig): Promise<void>;
}

/** Operations on an open file (routed by path like the rest; the directory keeps its own handles). */
export interface FileRoutedOps {
  /** `into`: the kernel's buffer, which a read may fill itself (answering a view of it) */
  read(path: string, fd: number, len: number, pos: number, signal: Sig, into?: Buffer): Promise<Buffer>;
  release(path: string, fd: number, signal: Sig): Promise<void>;
  flush(path: string, fd: number, signal: Sig): Promise<void>;
  fsync(path: string, fd: number, signal: Sig): Promise<void>;
  write(path: string, fd: number, data: Buffer, pos: number, signal: Sig): Promise<number>;
  ftruncate(path: string, fd: number, size: number, signal: Sig): Promise<void>;
}

export type AllRoutedOps = RoutedOps & FileRoutedOps;

export interface VirtualDir {
  /** its name at the root */
  name: string;
  owns(path: string): boolean;
  readOnly(path: string): Error;
  /** shown in the root's listing (as `ops.getattr` of it) */
  listed?: boolean;
  /** what it serves itself; every other operation on its paths is refused with readOnly */
  ops: Partial<AllRoutedOps>;
  /** runs when one of `ops` ends on a path outside the directory */
  after?: { ops: readonly (keyof AllRoutedOps)[]; fn: () => void };
}

/** Operations whose first argument is the path. */
const PATH_FIRST = [
  'getattr', 'readlink', 'unlink', 'mkdir', 'rmdir', 'open', 'create', 'mknod', 'truncate', 'chmod', 'chown', 'utimens',
  'getxattr', 'listxattr', 'setxattr', 'removexattr', 'read', 'release', 'flush', 'fsync', 'write', 'ftruncate',
] as const;

type AnyFn = (...a: unknown[]) => Promise<unknown>;

export function withVirtualDir<H extends Partial<AllRoutedOps>>(h: H, v: VirtualDir | undefined): H {
  if (!v) return h;
  const orig = h as unknown as Record<string, AnyFn>;
  const own = v.ops as unknown as Record<string, AnyFn | undefined>;
  const refuse = async (path: unknown): Promise<never> => { throw v.readOnly(path as string); };
  const afterOps = new Set<string>(v.after?.ops ?? []);
  /** the handlers' operation, with the after hook if it asks for one */
  const outside = (op: string): AnyFn => {
    const fn = orig[op]!.bind(h); // handlers' methods may call each other through `this` (fsync → flush)
    if (!afterOps.has(op)) return fn;
    return async (...a) => {
      try {
        return await fn(...a);
      } finally {
        v.after!.fn();
      }
    };
  };
  const inside = (op: string): AnyFn => own[op]?.bind(v.ops)
    ?? (op === 'getxattr' ? async (_p, n) => { throw fuseErrors.noData(`No attribute ${n as string}`); }
      : op === 'listxattr' ? async () => [] : refuse);
  const out: Record<string, AnyFn> = { ...orig };
  for (const op of PATH_FIRST) {
    if (typeof orig[op] !== 'function') continue;
    const o = outside(op);
    const i = inside(op);
    out[op] = (p, ...rest) => (v.owns(p as string) ? i(p, ...rest) : o(p, ...rest));
  }
  if (orig.symlink) {
    const o = outside('symlink');
    const i = own.symlink ?? ((_t: unknown, p: unknown) => refuse(p));
    out.symlink = (target, p, ...rest) => (v.owns(p as string) ? i(target, p, ...rest) : o(target, p, ...rest));
  }
  for (const op of ['rename', 'link'] as const) {
    if (!orig[op]) continue;
    const o = outside(op);
    out[op] = (from, to, s) => (v.owns(from as string) ? refuse(from) : v.owns(to as string) ? refuse(to) : o(from, to, s));
  }
  if (orig.readdir) {
    const i = inside('readdir');
    out.readdir = async (p, s) => {
      if (v.owns(p as string)) return i(p, s);
      const r = (await orig.readdir!(p, s)) as Listing;
      if (p !== '/') return r;
      const keep = r.names.map((n) => n !== v.name);
      const names = r.names.filter((_, k) => keep[k]);
      const stats = r.stats.filter((_, k) => keep[k]);
      if (v.listed && own.getattr) {
        names.push(v.name);
        stats.push((await own.getattr(`/${v.name}`, s)) as FuseStat);
      }
      return { names, stats };
    };
  }
  return out as unknown as H;
}
