/**
 * `redcloud status`'s space lines (pure): logical and raw usage at the replication factor, garbage
 * not yet collected with its next collection time, and this machine's mount caches.
 */
import type { GarbageStatus, SpaceStatus } from '../../src/common/api.js';
import type { ReplicationFactor } from '../../src/common/config.js';
import { formatBytes } from './format.js';

/** 90 s → "1m30s", 3 600 000 ms → "1h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (sec || parts.length === 0) parts.push(`${sec}s`);
  return parts.slice(0, 2).join('');
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function spaceLines(space: SpaceStatus, factor: ReplicationFactor): string[] {
  const rf = factor === 'all' ? `all (${space.copies} now)` : space.copies < factor ? `${factor} (${space.copies} now: too few healthy chunkservers)` : String(factor);
  return [
    `Space: replication factor ${rf}; ${plural(space.chunkservers, 'healthy chunkserver')} on ${plural(space.disks, 'distinct disk')}`,
    `  logical (what df shows on a mount): ${formatBytes(space.usedBytes)} used, ${formatBytes(space.availBytes)} free, ${formatBytes(space.totalBytes)} total`,
    `  raw: ${formatBytes(space.rawUsedBytes)} of chunk copies stored, ${formatBytes(space.rawFreeBytes)} free on the disks (each disk counted once)`,
  ];
}

export function garbageLines(g: GarbageStatus, nowMs: number): string[] {
  if (g.chunks === 0) return [`Garbage: none (unreferenced chunks are deleted ${formatDuration(g.graceMs)} after their last file lets go of them)`];
  const when = g.nextCollectionMs === undefined ? 'at a later repair cycle'
    : g.nextCollectionMs <= nowMs ? 'at the next repair cycle'
      : `at ${new Date(g.nextCollectionMs).toISOString().replace(/\.\d{3}Z$/, 'Z')} (in ${formatDuration(g.nextCollectionMs - nowMs)})`;
  const lines = [
    `Garbage: ${plural(g.chunks, 'unreferenced chunk')} (${plural(g.replicas, 'copy', 'copies')}, ~${formatBytes(g.bytesEstimate)} raw) not yet collected`,
    `  deleted ${formatDuration(g.graceMs)} (GC_GRACE) after they became unreferenced; next collection ${when}`,
  ];
  if (g.postponed) lines.push(`  collection postponed: ${g.postponed}`);
  return lines;
}

export interface LocalCache {
  dir: string;
  bytes: number;
  /** the walk stopped at its bound: at least `bytes` */
  partial?: boolean;
  /** the mount using it, when one is running */
  mountpoint?: string;
  pid?: number;
  /** the mount's --disk-cache-size */
  diskCacheLimitBytes?: number;
}

export function cacheLines(caches: readonly LocalCache[], root: string): string[] {
  if (caches.length === 0) return [`Mount caches on this machine: none (under ${root})`];
  const total = caches.reduce((n, c) => n + c.bytes, 0);
  const lines = [`Mount caches on this machine: ${formatBytes(total)}${caches.some((c) => c.partial) ? ' or more' : ''} in ${plural(caches.length, 'directory', 'directories')}`];
  for (const c of caches) {
    const size = `${formatBytes(c.bytes)}${c.partial ? '+' : ''}`;
    const limit = c.diskCacheLimitBytes !== undefined ? `, disk cache limit ${formatBytes(c.diskCacheLimitBytes)}` : '';
    const who = c.mountpoint ? `mount ${c.mountpoint} (pid ${c.pid ?? '?'}${limit})` : 'no mount running (left over; safe to delete)';
    lines.push(`  ${c.dir}  ${size}  ${who}`);
  }
  return lines;
}
