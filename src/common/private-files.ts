/**
 * Files only their owner may read: chunk files, controller databases, the mount's cache and
 * staging files hold users' data, so they are 0600 in 0700 directories whatever the umask, and
 * a directory left more open by an earlier version is tightened when a daemon opens it.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents, 0700) and makes it 0700 if it already existed. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Everything this process creates is private unless a call asks otherwise: umask 077. */
export function restrictUmask(): void {
  process.umask(0o077);
}
