/**
 * Where the launcher finds the repository's executables (bin/*.js), whichever of src/ or dist/src/
 * this module runs from.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest ancestor of this file holding package.json and bin/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('RedCloud repository root not found above ' + fileURLToPath(import.meta.url));
}

export const BIN = {
  controller: 'bin/redcloud-controller.js',
  chunkserver: 'bin/redcloud-chunkserver.js',
  cli: 'bin/redcloud.js',
  mount: 'bin/redcloud-mount.js',
} as const;

export function binPath(name: keyof typeof BIN): string {
  return join(repoRoot(), BIN[name]);
}
