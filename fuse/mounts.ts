/**
 * Mount-table helpers: whether a directory is a mountpoint (/proc/mounts), clearing a stale FUSE
 * mount (fusermount -uz), and the pid files through which `redcloud umount` finds the process
 * serving a mount (and `redcloud status` its cache dir). All bounded in time.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errors } from '../src/common/errors.js';

/** `\040`-style escapes of /proc/mounts → characters. Pure. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The mountpoints listed in a /proc/mounts text. Pure. */
export function parseMountpoints(text: string): { mountpoint: string; fstype: string }[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    return { mountpoint: unescapeMountField(f[1] ?? ''), fstype: f[2] ?? '' };
  });
}

export async function isMounted(dir: string): Promise<boolean> {
  const abs = resolve(dir);
  const text = await readFile('/proc/mounts', 'utf8');
  return parseMountpoints(text).some((m) => m.mountpoint === abs);
}

export function fusermount(args: string[], timeoutMs = 10_000): Promise<void> {
  return new Promise((res, rej) => {
    execFile('fusermount', args, { timeout: timeoutMs }, (err, _out, stderr) => {
      if (err) rej(errors.unavailable(`fusermount ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`));
      else res();
    });
  });
}

/** Lazily unmounts a leftover mount at `dir` (dead process, ENOTCONN), if there is one. */
export async function clearStaleMount(dir: string): Promise<boolean> {
  const abs = resolve(dir);
  let stale = await isMounted(abs);
  if (!stale) {
    try {
      await stat(abs);
    } catch (err) {
      stale = (err as NodeJS.ErrnoException).code === 'ENOTCONN';
    }
  }
  if (stale) await fusermount(['-uz', abs]);
  return stale;
}

function pidFile(dir: string): string {
  const key = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 16);
  return join(tmpdir(), 'redcloud-mounts', `${key}.json`);
}

/** What a running mount records about itself (`redcloud umount` needs the pid, `redcloud status` shows the cache). */
export interface MountRecord {
  pid: number;
  mountpoint: string;
  cacheDir?: string;
  diskCacheSizeBytes?: number;
}

export async function writePidFile(dir: string, pid: number, cache?: { cacheDir: string; diskCacheSizeBytes: number }): Promise<void> {
  const file = pidFile(dir);
  await mkdir(join(tmpdir(), 'redcloud-mounts'), { recursive: true, mode: 0o700 });
  const record: MountRecord = { pid, mountpoint: resolve(dir), ...(cache ? { cacheDir: resolve(cache.cacheDir), diskCacheSizeBytes: cache.diskCacheSizeBytes } : {}) };
  await writeFile(file, JSON.stringify(record), { mode: 0o600 });
}

/** Parses one pid file (pure); undefined when it is not a mount record. */
export function parseMountRecord(text: string): MountRecord | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0 || typeof o.mountpoint !== 'string') return undefined;
    return {
      pid: o.pid, mountpoint: o.mountpoint,
      ...(typeof o.cacheDir === 'string' ? { cacheDir: o.cacheDir } : {}),
      ...(typeof o.diskCacheSizeBytes === 'number' && o.diskCacheSizeBytes >= 0 ? { diskCacheSizeBytes: o.diskCacheSizeBytes } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Every mount record on this machine whose process is alive. */
export async function liveMountRecords(): Promise<MountRecord[]> {
  const dir = join(tmpdir(), 'redcloud-mounts');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: MountRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const r = parseMountRecord(await readFile(join(dir, name), 'utf8').catch(() => ''));
    if (r && isAlive(r.pid)) out.push(r);
  }
  return out;
}

export async function readPidFile(dir: string): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await readFile(pidFile(dir), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function removePidFile(dir: string): Promise<void> {
  await rm(pidFile(dir), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every `intervalMs` until it is true (→ true) or `timeoutMs` passed (→ false). */
export async function pollUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
