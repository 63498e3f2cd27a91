/**
 * What the cluster can store (pure): the figures behind statfs (`df` through the mount) and
 * `redcloud status`. Every chunk is stored as k copies (k = the replication factor, at most the
 * number of healthy chunkservers) on k distinct chunkservers. Chunkservers that report the same
 * disk (heartbeat `disk.id`: boot id + st_dev of the data dir) share that disk's free space, so
 * five chunkservers on one disk count it once, not five times; a chunkserver without a disk report
 * (older versions) counts as a disk of its own.
 *
 * Logical free space is the largest X such that k·X bytes fit with one copy per chunkserver:
 * chunkserver i can take min(X, free_i) (one copy of each chunk), disk d at most its free bytes,
 * so X is feasible iff  Σ_d min(free_d, Σ_{i on d} min(X, free_i)) ≥ k·X.  The left side minus
 * k·X is concave and 0 at X = 0, so the feasible X form an interval [0, X*] found by bisection.
 * Hence X* ≤ (free bytes of the distinct disks) / k, never more (property-tested).
 * Used is RedCloud's own chunk bytes (raw, every copy, garbage included) / k; total = used + free.
 */
import type { ChunkserverStatus, SpaceStatus } from '../common/api.js';
import type { ReplicationFactor } from '../common/config.js';
import { wantedReplicas } from './placement.js';

export type SpaceServer = Pick<ChunkserverStatus, 'id' | 'healthy' | 'full' | 'freeBytes' | 'capacityBytes' | 'usedBytes' | 'disk'>;

/** What the computation gives: the API's SpaceStatus (src/common/api.ts), one definition. */
export type ClusterSpace = SpaceStatus;

interface DiskGroup {
  /** bytes the disk can still take, whoever writes */
  capBytes: number;
  /** bytes each chunkserver on it can still take */
  members: number[];
}

/** Groups servers by disk: a disk's cap is the smallest free figure its chunkservers reported (the most recent reading is never larger than the truth by more than the writes since). */
export function diskGroups(servers: readonly SpaceServer[]): DiskGroup[] {
  const groups = new Map<string, DiskGroup>();
  for (const s of servers) {
    const free = s.full ? 0 : Math.max(0, s.freeBytes);
    const key = s.disk ? `disk:${s.disk.id}` : `server:${s.id}`;
    const diskFree = s.disk ? Math.max(0, s.disk.availBytes) : free;
    const g = groups.get(key);
    if (g) {
      g.capBytes = Math.min(g.capBytes, diskFree);
      g.members.push(free);
    } else {
      groups.set(key, { capBytes: diskFree, members: [free] });
    }
  }
  return [...groups.values()];
}

/** Σ_d min(cap_d, Σ_i min(x, m_i)): how many copies' bytes fit when each server takes at most x. */
function fitting(groups: readonly DiskGroup[], x: number): number {
  let sum = 0;
  for (const g of groups) {
    let g2 = 0;
    for (const m of g.members) g2 += Math.min(x, m);
    sum += Math.min(g.capBytes, g2);
  }
  return sum;
}

/** The largest whole number of bytes X with k copies each on a distinct server (see the header). */
export function logicalFreeBytes(groups: readonly DiskGroup[], copies: number): number {
  const k = Math.max(1, Math.floor(copies));
  if (groups.reduce((n, g) => n + g.members.length, 0) < k) return 0;
  let lo = 0;
  let hi = Math.floor(fitting(groups, Number.MAX_SAFE_INTEGER) / k);
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (fitting(groups, mid) >= k * mid) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Bytes of chunks a server holds: its report, or (older chunkservers) capacity minus free. */
export function serverUsedBytes(s: SpaceServer): number {
  return Math.max(0, s.usedBytes ?? s.capacityBytes - s.freeBytes);
}

export function clusterSpace(servers: readonly SpaceServer[], factor: ReplicationFactor): ClusterSpace {
  const healthy = servers.filter((s) => s.healthy);
  const copies = Math.max(1, wantedReplicas(factor, healthy.length));
  const groups = diskGroups(healthy);
  const rawUsedBytes = healthy.reduce((n, s) => n + serverUsedBytes(s), 0);
  const availBytes = healthy.length === 0 ? 0 : logicalFreeBytes(groups, copies);
  const usedBytes = Math.ceil(rawUsedBytes / copies);
  return {
    copies, chunkservers: healthy.length, disks: groups.length,
    rawFreeBytes: groups.reduce((n, g) => n + Math.min(g.capBytes, g.members.reduce((a, b) => a + b, 0)), 0),
    rawUsedBytes, availBytes, usedBytes, totalBytes: usedBytes + availBytes,
  };
}
