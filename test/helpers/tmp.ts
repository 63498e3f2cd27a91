/** Temporary directories for tests: created under the OS temp dir as redcloud-*, removed in finally. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `redcloud-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
