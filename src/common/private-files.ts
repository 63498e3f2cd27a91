/**
 * Files only their owner may read: chunk files, controller databases, the mount's cache and
 * staging files hold users' data, so they are 0600 in 0700 directories whatever the umask, and
 * a directory left more open by an earlier version is tightened when a daemon opens it. A shared
 * directory (world-writable or sticky, like /tmp) given as one of those is refused, never chmodded:
 * tightening /tmp would lock every other user out of it.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { errors } from './errors.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** An existing directory others may create files in (o+w or sticky) cannot be made private: INVALID. */
function refuseShared(dir: string, mode: number): void {
  if ((mode & 0o1002) !== 0) {
    throw errors.invalid(`${dir} is a shared directory (mode ${(mode & 0o7777).toString(8)}); give a directory of its own for private data (e.g. a subdirectory)`);
  }
}

/** Creates `dir` (and missing parents, 0700) and makes it 0700 if it already existed (not a shared one). */
export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created === undefined) refuseShared(dir, (await stat(dir)).mode);
  await chmod(dir, PRIVATE_DIR_MODE);
}

export function ensurePrivateDirSync(dir: string): void {
  const created = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created === undefined) refuseShared(dir, statSync(dir).mode);
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Everything this process creates is private unless a call asks otherwise: umask 077. */
export function restrictUmask(): void {
  process.umask(0o077);
}
