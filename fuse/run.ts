/**
 * The mount process's lifecycle: check the cluster answers, clear a stale mount, mount, write the
 * pid file, and on SIGINT/SIGTERM (or when the mount disappears under it) upload what is still
 * staged, unmount and stop. Takes a ready RedCloudClient so tests can mount a fake cluster.
 */
import { ensurePrivateDir } from '../src/common/private-files.js';
import { resolve } from 'node:path';
import { RedCloudError, errors, toRedCloudError } from '../src/common/errors.js';
import type { Logger } from '../src/common/logger.js';
import type { RedCloudClient } from '../src/client/types.js';
import { createHandlers, type HandlerOptions, type Handlers } from './handlers.js';
import { withSnapshotDir } from './snapshot-route.js';
import { callerContext, mountFuse, openKeepCacheBit } from './mount.js';
import { clearStaleMount, isMounted, removePidFile, writePidFile } from './mounts.js';
import { createFuseOps } from './ops.js';

export interface RunMountOptions {
  mountpoint: string;
  cacheDir: string;
  cacheSizeBytes: number;
  /** bytes of the on-disk chunk cache under cacheDir/chunks (0: none) */
  diskCacheSizeBytes?: number;
  readAheadChunks: number;
  /** whole chunks stored in the background per file while it is written (0: all at close) */
  writeBehindChunks?: number;
  opTimeoutMs: number;
  commitTimeoutMs: number;
  attrTtlMs: number;
  /**
   * How long the kernel keeps attributes (default: 1 s with the patched addon, which keeps inodes
   * with several names out of the kernel's cache; fuse/mount.ts defaultKernelAttrTtlS). A change
   * from another mount or controller shows after this plus attrTtlMs; a stat the kernel answers
   * costs ~3 µs instead of a round trip to the mount.
   */
  kernelAttrTtlMs?: number;
  /** how long the initial cluster check may take */
  checkTimeoutMs: number;
  allowOther?: boolean;
  /** name of the virtual tag directory at the root (fuse/tag-ops.ts); '' or absent: none */
  tagsDir?: string;
  /** ln -s / rm / mkdir in the tag directory change tags (default true) */
  tagsWritable?: boolean;
  /** the root's listing shows the tag directory (default: hidden) */
  tagsListed?: boolean;
  /** skip the cluster check (fake clusters) */
  skipCheck?: boolean;
}

export interface RunningMount {
  /** resolves when the mount has ended (signal, external unmount or stop()) */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function runMount(components: { client: RedCloudClient; logger: Logger }, o: RunMountOptions): Promise<RunningMount> {
  const { client, logger } = components;
  const mountpoint = resolve(o.mountpoint);
  if (!o.skipCheck) {
    try {
      await client.whoami({ signal: AbortSignal.timeout(o.checkTimeoutMs) });
    } catch (err) {
      const e = toRedCloudError(err);
      throw new RedCloudError(e.code, `Cannot mount ${mountpoint}: cluster check failed: ${e.message}`, e.info, { cause: e });
    }
  }
  if (await clearStaleMount(mountpoint)) logger.warn({ mountpoint }, 'Cleared a stale mount');
  await ensurePrivateDir(o.cacheDir); // cache and staging files hold the user's plaintext
  const shutdown = new AbortController();
  const handlerOptions = {
    cacheDir: o.cacheDir, cacheSizeBytes: o.cacheSizeBytes, diskCacheSizeBytes: o.diskCacheSizeBytes ?? 0, readAheadChunks: o.readAheadChunks, writeBehindChunks: o.writeBehindChunks, attrTtlMs: o.attrTtlMs,
    fetchTimeoutMs: o.opTimeoutMs, owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  };
  const handlers = withSnapshots(createHandlers({ client, logger: logger.child({ component: 'fuse' }) }, {
    ...handlerOptions,
    ...(o.tagsDir ? { tagsDir: { name: o.tagsDir, writable: o.tagsWritable ?? true, listed: o.tagsListed ?? false, mountpoint } } : {}),
  }), client, logger, handlerOptions);
  const ops = createFuseOps(handlers, { logger }, {
    opTimeoutMs: o.opTimeoutMs, commitTimeoutMs: o.commitTimeoutMs, shutdown: shutdown.signal, caller: callerContext, openKeepCacheBit: openKeepCacheBit(),
  });
  const mounted = await mountFuse(mountpoint, ops, {
    opTimeoutMs: o.opTimeoutMs, commitTimeoutMs: o.commitTimeoutMs, ...(o.kernelAttrTtlMs !== undefined ? { attrTimeoutS: Math.max(0, o.kernelAttrTtlMs / 1000) } : {}),
    entryTimeoutS: Math.max(0, o.attrTtlMs / 1000), allowOther: o.allowOther,
  });
  await writePidFile(mountpoint, process.pid, { cacheDir: o.cacheDir, diskCacheSizeBytes: o.diskCacheSizeBytes ?? 0 });
  logger.info({ mountpoint, cacheDir: o.cacheDir, cacheSizeBytes: o.cacheSizeBytes, diskCacheSizeBytes: o.diskCacheSizeBytes ?? 0 }, 'Mounted');

  let finish!: () => void;
  const done = new Promise<void>((r) => { finish = r; });
  let stopping: Promise<void> | undefined;
  const watch = setInterval(() => {
    isMounted(mountpoint).then((m) => { if (!m) void stop('unmounted externally'); }, () => undefined);
  }, 1000);

  function stop(reason = 'stop requested'): Promise<void> {
    stopping ??= (async () => {
      clearInterval(watch);
      logger.info({ mountpoint, reason }, 'Unmounting');
      const failed = await handlers.flushAll(AbortSignal.timeout(o.commitTimeoutMs)).catch(() => ['*']);
      if (failed.length > 0) logger.error({ failed }, 'Some changes could not be uploaded before unmount');
      shutdown.abort();
      if (await isMounted(mountpoint).catch(() => false)) {
        await mounted.unmount().catch((err: unknown) => logger.error({ err }, 'Unmount failed'));
      }
      await handlers.stop().catch((err: unknown) => logger.warn({ err }, 'Could not stop the chunk cache cleanly'));
      await removePidFile(mountpoint);
      logger.info({ mountpoint }, 'Unmounted');
      finish();
    })();
    return stopping;
  }

  const onSignal = (sig: string) => void stop(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  done.then(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }, () => undefined);
  return { done, stop: () => stop() };
}

export function assertDir(value: string | undefined): string {
  if (!value) throw errors.invalid('Missing mount directory: redcloud-mount DIR [--cache-size 256MiB] …');
  return value;
}

/** Snapshot-RAM-cache cap per snapshot read through `.snapshots/` (each has its own handlers). */
const SNAPSHOT_CACHE_BYTES_MAX = 64 * 1024 ** 2;

/** `.snapshots/` at the root (fuse/snapshot-route.ts), when the client can read snapshots. */
function withSnapshots(h: Handlers, client: RedCloudClient, logger: Logger, o: HandlerOptions): Handlers {
  const { inSnapshot, snapshots } = client;
  if (!inSnapshot || !snapshots) return h;
  return withSnapshotDir(h, {
    names: async (signal) => (await snapshots.call(client, { signal })).map((s) => s.name),
    handlersFor: (name) => createHandlers({ client: inSnapshot.call(client, name), logger: logger.child({ component: 'fuse', snapshot: name }) }, {
      ...o, diskCacheSizeBytes: 0, cacheSizeBytes: Math.min(o.cacheSizeBytes, SNAPSHOT_CACHE_BYTES_MAX),
    }),
    owner: o.owner, nowMs: Date.now,
  });
}
