/**
 * Mounting with fuse-native: a Fuse subclass whose _fuseOptions() adds what fuse-native cannot
 * express (big_writes and max_write/max_read of 1 MiB so writes arrive in large pieces, async
 * reads, fsname; use_ino so st_ino is the inode's number and hard links show one inode; the
 * attribute/entry timeouts, 0 included), default_permissions always (the kernel checks mode,
 * owner, sticky directories, who may chown and set times), and mount/unmount as promises with
 * clear errors. The addon must be the one scripts/fix-fuse-native.mjs patches: its stat layout
 * (64-bit ino, ns times) and caller context are what the handlers speak.
 */
import Fuse from 'fuse-native';
import { errors } from '../src/common/errors.js';
import { COMMIT_OPS, type FuseOps } from './ops.js';

export const IO_SIZE_BYTES = 1024 * 1024;

/** The -o options beyond fuse-native's own. Pure. */
export function extraFuseOptions(opts: { ioSizeBytes?: number; attrTimeoutS?: number; entryTimeoutS?: number } = {}): string[] {
  const io = opts.ioSizeBytes ?? IO_SIZE_BYTES;
  const attr = opts.attrTimeoutS ?? 0;
  const entry = opts.entryTimeoutS ?? 1;
  return [
    'big_writes', `max_write=${io}`, `max_read=${io}`, `max_readahead=${io}`, 'async_read', 'fsname=redcloud', 'subtype=redcloud',
    // st_ino from getattr/readdir (libfuse otherwise shows its own node ids, one per name)
    'use_ino',
    // fuse-native drops a timeout of 0 (falsy): say it here
    `entry_timeout=${entry}`, `attr_timeout=${attr}`, `ac_attr_timeout=${attr}`,
  ];
}

/** The caller of the request being dispatched, from the patched addon (null outside a dispatch). */
export function callerContext(): { uid: number; gid: number } | null {
  return Fuse.callerContext?.() ?? null;
}

/**
 * Whether the addon's replies give an inode with several names (not a directory) an attribute
 * timeout of 0 whatever attr_timeout says (scripts/fix-fuse-native.mjs, rc_chan_send).
 */
export function linkedAttrsUncached(): boolean {
  return Fuse.linkedAttrsUncached === true;
}

/**
 * The kernel's attribute timeout without --kernel-attr-ttl: 1 s when the addon keeps linked
 * inodes out of the kernel's cache (then every name of a changed inode shows the change at once:
 * an inode with one name is changed only through the kernel inode that shows it, whose attributes
 * the kernel updates or drops itself, except by a link of it, before whose reply the addon drops
 * the source's), else 0.
 */
export function defaultKernelAttrTtlS(): number {
  return linkedAttrsUncached() ? 1 : 0;
}

/** The bit of open's fd that keeps the kernel's page cache of the file (0: the addon cannot). */
export function openKeepCacheBit(): number {
  return Fuse.openKeepCacheBit ?? 0;
}

/** Whether node_modules/fuse-native is the patched build (scripts/fix-fuse-native.mjs). */
export function isPatchedFuseNative(): boolean {
  return typeof Fuse.callerContext === 'function';
}

/** Joins fuse-native's option string ("" or "-oa,b") with extra options. Pure. */
export function joinFuseOptions(base: string, extra: string[]): string {
  if (extra.length === 0) return base;
  return base ? `${base},${extra.join(',')}` : `-o${extra.join(',')}`;
}

export class RedCloudFuse extends Fuse {
  override _fuseOptions(): string {
    const t = this.opts.redcloudTimeouts as { attrTimeoutS: number; entryTimeoutS: number } | undefined;
    return joinFuseOptions(super._fuseOptions(), extraFuseOptions(t ?? {}));
  }
}

export interface MountOptions {
  /**
   * How long the kernel keeps a file's attributes (default defaultKernelAttrTtlS()). libfuse's
   * high-level API gives each hard link its own kernel inode and cannot invalidate the others;
   * the patched addon keeps an inode with several names out of the cache whatever this says, so a
   * change made through one name (nlink, size, ctime) shows under the others at once, as on ext4.
   * Without that patch only 0 does, and each stat then costs a round trip to this process.
   */
  attrTimeoutS?: number;
  /** How long the kernel keeps names (default 1 s); our own changes invalidate them. */
  entryTimeoutS?: number;
  /** fuse-native's own per-operation timeout; ours must fire first */
  opTimeoutMs: number;
  commitTimeoutMs: number;
  allowOther?: boolean;
  debug?: boolean;
}

export interface Mounted {
  fuse: RedCloudFuse;
  unmount(): Promise<void>;
}

/** fuse-native's per-op timeouts: a little longer than ours, so our ETIMEDOUT answers first. */
export function nativeTimeouts(o: { opTimeoutMs: number; commitTimeoutMs: number }): Record<string, number> {
  const t: Record<string, number> = { default: o.opTimeoutMs + 5000 };
  for (const op of COMMIT_OPS) t[op] = o.commitTimeoutMs + 5000;
  return t;
}

export function mountFuse(dir: string, ops: FuseOps, o: MountOptions): Promise<Mounted> {
  if (!isPatchedFuseNative()) {
    return Promise.reject(errors.unavailable('fuse-native is not the patched build: run `node scripts/fix-fuse-native.mjs` (needs a C compiler and libfuse headers)'));
  }
  const redcloudTimeouts = { attrTimeoutS: o.attrTimeoutS ?? defaultKernelAttrTtlS(), entryTimeoutS: o.entryTimeoutS ?? 1 };
  // the timeouts go through extraFuseOptions (fuse-native would drop 0)
  const fuse = new RedCloudFuse(dir, ops as unknown as Record<string, unknown>, {
    force: true, mkdir: true, redcloudTimeouts, defaultPermissions: true,
    allowOther: o.allowOther ?? false, debug: o.debug ?? false, timeout: nativeTimeouts(o),
  });
  return new Promise((resolve, reject) => {
    fuse.mount((err) => {
      if (err) {
        reject(errors.unavailable(`Could not mount ${dir}: ${err.message}`, { dir }, err));
        return;
      }
      resolve({
        fuse,
        unmount: () => new Promise<void>((res, rej) => fuse.unmount((e) =>
          e ? rej(errors.unavailable(`Could not unmount ${dir}: ${e.message}`, { dir }, e)) : res())),
      });
    });
  });
}
