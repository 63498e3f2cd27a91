/** Test files: random content written in 1 MiB pieces (bounded memory) and sha256 of a file. */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, openSync, writeSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PIECE_BYTES = 1024 * 1024;

export function writeRandomFile(path: string, sizeBytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < sizeBytes; done += PIECE_BYTES) {
      writeSync(fd, randomBytes(Math.min(PIECE_BYTES, sizeBytes - done)));
    }
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

/** Every regular file below `dir` (relative paths, sorted); [] if `dir` does not exist. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const abs = join(d, name);
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(abs, join(rel, name));
      else if (st.isFile()) out.push(join(rel, name));
    }
  };
  walk(dir, '');
  return out.sort();
}
