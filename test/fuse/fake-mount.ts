/**
 * A mount process over an in-memory fake cluster, for real-mount tests and measurements:
 *   node dist/test/fuse/fake-mount.js DIR [--null] [--discard] [--allow-other] [--kernel-attr-ttl-ms N]
 * Default: the real driver (staging, commit, cache) over FakeClient. --null: handlers that only
 * answer (write returns its length), to measure what fuse-native itself can carry.
 * Prints "ready" on stdout once mounted; unmounts on SIGINT/SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '../../src/common/logger.js';
import { FakeClient } from '../helpers/fake-client.js';
import { mountFuse } from '../../fuse/mount.js';
import { clearStaleMount } from '../../fuse/mounts.js';
import { runMount } from '../../fuse/run.js';

const dir = resolve(process.argv[2] ?? '');
const nullMode = process.argv.includes('--null');
const flagValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const logger = createLogger({ node: 'fake-mount', level: 'warn', fd: 2 });

if (nullMode) {
  await clearStaleMount(dir);
  const cb0 = (cb: (...a: unknown[]) => void) => cb(0);
  const ops = {
    getattr: (p: string, cb: (...a: unknown[]) => void) => p === '/'
      ? cb(0, { mode: 0o40755, size: 4096, nlink: 2, mtime: new Date(), atime: new Date(), ctime: new Date() })
      : cb(0, { mode: 0o100644, size: 0, nlink: 1, mtime: new Date(), atime: new Date(), ctime: new Date() }),
    readdir: (_p: string, cb: (...a: unknown[]) => void) => cb(0, []),
    open: (_p: string, _f: number, cb: (...a: unknown[]) => void) => cb(0, 42),
    create: (_p: string, _m: number, cb: (...a: unknown[]) => void) => cb(0, 42),
    truncate: (_p: string, _s: number, cb: (...a: unknown[]) => void) => cb0(cb),
    ftruncate: (_p: string, _fd: number, _s: number, cb: (...a: unknown[]) => void) => cb0(cb),
    write: (_p: string, _fd: number, _b: Buffer, len: number, _pos: number, cb: (n: number) => void) => cb(len),
    flush: (_p: string, _fd: number, cb: (...a: unknown[]) => void) => cb0(cb),
    release: (_p: string, _fd: number, cb: (...a: unknown[]) => void) => cb0(cb),
  };
  const m = await mountFuse(dir, ops as never, { opTimeoutMs: 10_000, commitTimeoutMs: 10_000 });
  process.stdout.write('ready\n');
  const stop = async () => { await m.unmount().catch(() => undefined); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  const cacheDir = await mkdtemp(join(tmpdir(), 'redcloud-fake-mount-'));
  const client = new FakeClient(4 * 1024 * 1024, Date.now);
  client.discardData = process.argv.includes('--discard');
  const running = await runMount({ client, logger }, {
    mountpoint: dir, cacheDir, cacheSizeBytes: 64 * 1024 * 1024, readAheadChunks: 4, opTimeoutMs: 10_000,
    commitTimeoutMs: 60_000, attrTtlMs: 1000, checkTimeoutMs: 1000, skipCheck: true,
    allowOther: process.argv.includes('--allow-other'),
    ...(flagValue('--kernel-attr-ttl-ms') !== undefined ? { kernelAttrTtlMs: Number(flagValue('--kernel-attr-ttl-ms')) } : {}),
  });
  process.stdout.write('ready\n');
  await running.done;
  await rm(cacheDir, { recursive: true, force: true });
  process.exit(0);
}
