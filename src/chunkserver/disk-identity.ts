/**
 * Which disk a chunkserver's data dir is on, for the controllers' space figures (heartbeat `disk`;
 * src/controller/space.ts counts chunkservers that share a disk once). The id is a hash of the
 * kernel's boot id (shared by every process and container on one machine, unlike the host name)
 * and the file system's st_dev (the same for every directory of one mounted file system, bind
 * mounts and Docker volumes included). Chunkservers in containers whose data dir is on the
 * container's own overlay file system each get a distinct st_dev and so count as separate disks.
 */
import { createHash } from 'node:crypto';
import { readFile, stat, statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { DiskReport } from '../common/api.js';

/** Pure: the id of file system `dev` on the machine `bootId` (16 hex digits). */
export function diskIdOf(bootId: string, dev: number | bigint): string {
  return createHash('sha256').update(`${bootId.trim()}:${String(dev)}`).digest('hex').slice(0, 16);
}

/** Pure: the report from statfs figures (bavail to unprivileged users, less MIN_FREE_BYTES). */
export function diskReportOf(id: string, s: { blocks: number | bigint; bavail: number | bigint; bsize: number | bigint }, minFreeBytes: number): DiskReport {
  const bsize = Number(s.bsize);
  return { id, totalBytes: Number(s.blocks) * bsize, availBytes: Math.max(0, Number(s.bavail) * bsize - minFreeBytes) };
}

let bootIdP: Promise<string> | undefined;
/** The kernel's boot id, read once; the host name where /proc does not offer it. */
function bootId(): Promise<string> {
  bootIdP ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((t) => t.trim() || hostname(), () => hostname());
  return bootIdP;
}

/** Reads the disk report of `dataDir` (one stat and one statfs). */
export async function readDiskReport(dataDir: string, minFreeBytes: number): Promise<DiskReport> {
  const [boot, st, fs] = await Promise.all([bootId(), stat(dataDir), statfs(dataDir)]);
  return diskReportOf(diskIdOf(boot, st.dev), fs, minFreeBytes);
}
