/**
 * This machine's mount caches for `redcloud status`: every directory under ~/.cache/redcloud
 * (one per mountpoint: staged writes and the disk chunk cache) and the cache dirs of running
 * mounts (their pid files, fuse/mounts.ts), each with its size on disk (a walk bounded to
 * CACHE_WALK_MAX entries; beyond that the size is a lower bound).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { liveMountRecords, type MountRecord } from '../../fuse/mounts.js';
import type { LocalCache } from './space-format.js';

export const CACHE_WALK_MAX = 200_000;

/** Bytes on disk (st_blocks × 512, as du counts) of the files under `dir`, at most `maxEntries` looked at. */
export async function dirUsage(dir: string, maxEntries = CACHE_WALK_MAX): Promise<{ bytes: number; partial: boolean }> {
  let bytes = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      continue; // vanished or unreadable: not counted
    }
    for (const name of names) {
      if (++seen > maxEntries) return { bytes, partial: true };
      const p = join(d, name);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      bytes += st.blocks * 512;
      if (st.isDirectory()) stack.push(p);
    }
  }
  return { bytes, partial: false };
}

export async function localCaches(root: string, mounts?: MountRecord[]): Promise<LocalCache[]> {
  const live = mounts ?? (await liveMountRecords());
  const dirs = new Set<string>();
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const st = await lstat(join(root, name)).catch(() => undefined);
    if (st?.isDirectory()) dirs.add(resolve(root, name));
  }
  for (const m of live) if (m.cacheDir) dirs.add(resolve(m.cacheDir));
  const out: LocalCache[] = [];
  for (const dir of [...dirs].sort()) {
    const usage = await dirUsage(dir);
    const m = live.find((r) => r.cacheDir !== undefined && resolve(r.cacheDir) === dir);
    out.push({
      dir, bytes: usage.bytes, ...(usage.partial ? { partial: true } : {}),
      ...(m ? { mountpoint: m.mountpoint, pid: m.pid, ...(m.diskCacheSizeBytes !== undefined ? { diskCacheLimitBytes: m.diskCacheSizeBytes } : {}) } : {}),
    });
  }
  return out;
}
