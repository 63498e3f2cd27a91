/**
 * The one adapter between the async handlers and fuse-native's callback API: each operation runs
 * under a deadline (deadline.ts), a thrown error becomes cb(-errno) through errnoFor, unknown
 * errors are logged once (per operation and message) and answered EIO. Buffers lent by the kernel
 * are copied before any await, since fuse-native detaches them after the callback.
 */
import type { Logger } from '../src/common/logger.js';
import { BufferPool } from '../src/common/buffer-pool.js';
import { Deadlines } from './deadline.js';
import type { UtimeArg } from './attr-ops.js';
import { errnoFor, errnoOf } from './errno.js';
import type { Caller, Handlers } from './handlers.js';

export interface OpsOptions {
  /** deadline of metadata, read and write operations */
  opTimeoutMs: number;
  /** deadline of operations that upload (flush, fsync, release, truncate, rename) */
  commitTimeoutMs: number;
  /** aborts everything in flight (unmount) */
  shutdown?: AbortSignal;
  /**
   * The process of the request being dispatched (Fuse.callerContext of the patched fuse-native),
   * read synchronously when a creating operation arrives; absent or null: the controller decides.
   */
  caller?: () => Caller | null | undefined;
  /** the bit of open's answer that keeps the kernel's page cache (Fuse.openKeepCacheBit; 0/absent: never kept) */
  openKeepCacheBit?: number;
}

/** Operations that may upload a staged file. */
export const COMMIT_OPS = ['flush', 'fsync', 'release', 'truncate', 'ftruncate', 'rename', 'setxattr', 'utimens', 'link'] as const;

/**
 * What getxattr/listxattr answer for a caller's buffer of `size` bytes: the length when it probes
 * (size 0), ERANGE when the value does not fit, else the bytes. Pure.
 */
export function xattrReply(value: Buffer, size: number): { res: number; data?: Buffer } {
  if (size === 0) return { res: value.length };
  if (value.length > size) return { res: errnoOf('ERANGE') };
  return { res: value.length, data: value };
}

/** listxattr's answer: every name NUL-terminated. Pure. */
export function xattrNameList(names: string[]): Buffer {
  return Buffer.concat(names.map((n) => Buffer.from(`${n}\0`, 'utf8')));
}

/** FUSE writes arrive in pieces of at most 128 KiB (libfuse 2 negotiates no larger max_pages). */
export const WRITE_COPY_BYTES = 128 * 1024;
/** Pooled write copies kept: more than the writes the kernel has in flight at once. */
const WRITE_COPIES_KEPT = 32;

type Cb = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

const MAX_REMEMBERED_UNKNOWN = 1000;

export function createFuseOps(h: Handlers, components: { logger: Logger }, options: OpsOptions) {
  const log = components.logger;
  const seenUnknown = new Set<string>();
  const writeCopies = new BufferPool(WRITE_COPY_BYTES, WRITE_COPIES_KEPT);
  const deadlines = new Deadlines(options.shutdown);

  function run<T>(op: string, work: (signal: AbortSignal) => Promise<T>, done: (value: T) => void, fail: (errno: number) => void): void {
    const timeoutMs = (COMMIT_OPS as readonly string[]).includes(op) ? options.commitTimeoutMs : options.opTimeoutMs;
    deadlines.run(op, timeoutMs, work).then(done, (err: unknown) => {
      const { errno, known } = errnoFor(err);
      if (!known) {
        const key = `${op}:${(err as Error)?.message}`;
        if (!seenUnknown.has(key) && seenUnknown.size < MAX_REMEMBERED_UNKNOWN) {
          seenUnknown.add(key);
          log.error({ err, op }, 'Unexpected error in FUSE operation; answered EIO');
        }
      } else {
        log.debug({ op, errno, msg: (err as Error).message }, 'FUSE operation failed');
      }
      fail(errno);
    });
  }

  const plain = (op: string, work: (signal: AbortSignal) => Promise<unknown>, cb: Cb): void =>
    run(op, work, () => cb(0), (errno) => cb(errno));
  // synchronously, before anything awaits: the context is the request's only while it is dispatched
  const caller = (): Caller | undefined => options.caller?.() ?? undefined;

  return {
    init: (cb: Cb) => cb(0),
    access: (_p: string, _mode: number, cb: Cb) => cb(0),
    getattr: (p: string, cb: Cb) => run('getattr', (s) => h.getattr(p, s), (st) => cb(0, st), (e) => cb(e)),
    fgetattr: (p: string, _fd: number, cb: Cb) => run('getattr', (s) => h.getattr(p, s), (st) => cb(0, st), (e) => cb(e)),
    readdir: (p: string, cb: Cb) => run('readdir', (s) => h.readdir(p, s), (r) => cb(0, r.names, r.stats), (e) => cb(e)),
    open: (p: string, flags: number, cb: Cb) => run('open', (s) => h.open(p, flags, s),
      (fd) => cb(0, options.openKeepCacheBit && h.keepsCache(fd, p) ? fd | options.openKeepCacheBit : fd), (e) => cb(e)),
    create: (p: string, mode: number, cb: Cb) => {
      const who = caller();
      run('create', (s) => h.create(p, mode, who, s), (fd) => cb(0, fd), (e) => cb(e));
    },
    read: (p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb) =>
      // a file opened read-only is read straight into the kernel's buffer (answered as a view of it)
      run('read', (s) => h.read(p, fd, len, pos, s, buf), (data) => cb(data.buffer === buf.buffer && data.byteOffset === buf.byteOffset ? data.length : data.copy(buf, 0, 0, Math.min(len, data.length))), (e) => cb(e)),
    write: (p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb) => {
      // the kernel's buffer is detached after cb: copy, into a pooled buffer when it fits
      const pooled = len <= writeCopies.sizeBytes ? writeCopies.take() : undefined;
      const data = pooled ? pooled.subarray(0, len) : Buffer.allocUnsafe(len);
      buf.copy(data, 0, 0, len);
      run('write', (s) => {
        const work = h.write(p, fd, data, pos, s);
        // back to the pool only when the write itself is over (not when its deadline fired)
        if (pooled) work.then(() => writeCopies.give(pooled), () => writeCopies.give(pooled));
        return work;
      }, (n) => cb(n), (e) => cb(e));
    },
    flush: (p: string, fd: number, cb: Cb) => plain('flush', (s) => h.flush(p, fd, s), cb),
    fsync: (p: string, _datasync: number, fd: number, cb: Cb) => plain('fsync', (s) => h.fsync(p, fd, s), cb),
    release: (p: string, fd: number, cb: Cb) => plain('release', (s) => h.release(p, fd, s), cb),
    truncate: (p: string, size: number, cb: Cb) => plain('truncate', (s) => h.truncate(p, size, s), cb),
    ftruncate: (p: string, fd: number, size: number, cb: Cb) => plain('ftruncate', (s) => h.ftruncate(p, fd, size, s), cb),
    mkdir: (p: string, mode: number, cb: Cb) => {
      const who = caller();
      plain('mkdir', (s) => h.mkdir(p, mode, who, s), cb);
    },
    mknod: (p: string, mode: number, dev: number, cb: Cb) => {
      const who = caller();
      plain('mknod', (s) => h.mknod(p, mode, dev, who, s), cb);
    },
    rmdir: (p: string, cb: Cb) => plain('rmdir', (s) => h.rmdir(p, s), cb),
    unlink: (p: string, cb: Cb) => plain('unlink', (s) => h.unlink(p, s), cb),
    fsyncdir: (p: string, _datasync: number, _fd: number, cb: Cb) => plain('fsyncdir', (s) => h.fsyncdir(p, s), cb),
    rename: (from: string, to: string, cb: Cb) => plain('rename', (s) => h.rename(from, to, s), cb),
    chmod: (p: string, mode: number, cb: Cb) => plain('chmod', (s) => h.chmod(p, mode, s), cb),
    chown: (p: string, uid: number, gid: number, cb: Cb) => plain('chown', (s) => h.chown(p, uid, gid, s), cb),
    utimens: (p: string, atime: UtimeArg, mtime: UtimeArg, cb: Cb) => plain('utimens', (s) => h.utimens(p, atime, mtime, s), cb),
    statfs: (p: string, cb: Cb) => run('statfs', (s) => h.statfs(p, s), (st) => cb(0, st), (e) => cb(e)),
    symlink: (target: string, linkPath: string, cb: Cb) => {
      const who = caller();
      plain('symlink', (s) => h.symlink(target, linkPath, who, s), cb);
    },
    readlink: (p: string, cb: Cb) => run('readlink', (s) => h.readlink(p, s), (t) => cb(0, t), (e) => cb(e)),
    link: (from: string, to: string, cb: Cb) => plain('link', (s) => h.link(from, to, s), cb),
    // the patched fuse-native passes the caller's buffer size and takes cb(lengthOrErrno, bytes)
    getxattr: (p: string, name: string, size: number, cb: Cb) => run('getxattr', (s) => h.getxattr(p, name, s), (v) => {
      const r = xattrReply(v, size);
      cb(r.res, r.data);
    }, (e) => cb(e)),
    listxattr: (p: string, size: number, cb: Cb) => run('listxattr', (s) => h.listxattr(p, s), (names) => {
      const r = xattrReply(xattrNameList(names), size);
      cb(r.res, r.data);
    }, (e) => cb(e)),
    setxattr: (p: string, name: string, value: Buffer, _pos: number, flags: number, cb: Cb) => {
      const copy = Buffer.from(value);
      plain('setxattr', (s) => h.setxattr(p, name, copy, flags, s), cb);
    },
    removexattr: (p: string, name: string, cb: Cb) => plain('removexattr', (s) => h.removexattr(p, name, s), cb),
  };
}

export type FuseOps = ReturnType<typeof createFuseOps>;
