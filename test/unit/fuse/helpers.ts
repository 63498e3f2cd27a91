/**
 * Shared set-up of the FUSE unit tests: a FakeClient with 64 KiB chunks, handlers over it in a
 * temp cache dir, the fuse-native-style ops, and `call` to await a callback-style op.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../../src/common/logger.js';
import { FakeClient } from '../../helpers/fake-client.js';
import { createHandlers, type Caller, type Handlers } from '../../../fuse/handlers.js';
import { createFuseOps, type FuseOps } from '../../../fuse/ops.js';

export const CS = 64 * 1024;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_TRUNC = 0o1000;

export interface Rig {
  client: FakeClient;
  h: Handlers;
  ops: FuseOps;
  dir: string;
  signal: AbortSignal;
  cleanup: () => Promise<void>;
}

export interface RigOptions {
  logger?: Logger;
  opTimeoutMs?: number;
  attrTtlMs?: number;
  readAheadChunks?: number;
  cacheSizeBytes?: number;
  diskCacheSizeBytes?: number;
  writeBehindChunks?: number;
  /** the process each creating op runs for (what Fuse.callerContext gives on a real mount) */
  caller?: () => Caller | null;
  /** a controller without the inode namespace */
  legacy?: boolean;
  /** the mount's clock (default Date.now) */
  nowMs?: () => number;
  /** the virtual tag directory (fuse/tag-ops.ts) */
  tagsDir?: { name: string; writable: boolean; mountpoint?: string; listed?: boolean };
  /** the fake controller's clock (default: a fixed time) */
  clusterNowMs?: () => number;
}

export async function rig(opts: RigOptions = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'redcloud-fuse-test-'));
  const client = new FakeClient(CS, opts.clusterNowMs);
  client.legacy = opts.legacy ?? false;
  const logger = opts.logger ?? silentLogger();
  const h = createHandlers({ client, logger }, {
    cacheDir: dir, cacheSizeBytes: opts.cacheSizeBytes ?? 16 * CS, diskCacheSizeBytes: opts.diskCacheSizeBytes ?? 0, readAheadChunks: opts.readAheadChunks ?? 0,
    ...(opts.writeBehindChunks !== undefined ? { writeBehindChunks: opts.writeBehindChunks } : {}),
    attrTtlMs: opts.attrTtlMs ?? 1000, fetchTimeoutMs: 5000, owner: { uid: 1000, gid: 1000 },
    ...(opts.tagsDir ? { tagsDir: opts.tagsDir } : {}),
    ...(opts.nowMs ? { nowMs: opts.nowMs } : {}),
  });
  const ops = createFuseOps(h, { logger }, {
    opTimeoutMs: opts.opTimeoutMs ?? 5000, commitTimeoutMs: 5000, ...(opts.caller ? { caller: opts.caller } : {}),
  });
  return {
    client, h, ops, dir, signal: new AbortController().signal,
    cleanup: async () => {
      await h.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` on a fresh rig and cleans it up whatever happens. */
export async function withRig(opts: RigOptions, fn: (r: Rig) => Promise<void>): Promise<void> {
  const r = await rig(opts);
  try {
    await fn(r);
  } finally {
    await r.cleanup();
  }
}

/** Calls a callback-style op and resolves with the callback's arguments. */
export function call(fn: (...args: any[]) => void, ...args: unknown[]): Promise<unknown[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return new Promise((resolve) => fn(...args, (...out: unknown[]) => resolve(out)));
}

/** Deterministic bytes: byte i = (i * 7 + seed) mod 251. */
export function pattern(length: number, seed = 0): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (i * 7 + seed) % 251;
  return b;
}

/** Resolves with the error `p` rejects with; fails the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
