/**
 * Shared fixtures of the chunkserver unit tests: a test configuration, temp data directories,
 * capabilities, and random chunks with their ids.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkserverSchema, loadConfig } from '../../../src/common/config.js';
import { sha256Hex } from '../../../src/common/hash.js';
import { silentLogger } from '../../../src/common/logger.js';
import { issueCapability, Signer, type ChunkOp } from '../../../src/common/tokens.js';
import { createChunkserver, type Chunkserver } from '../../../src/chunkserver/server.js';
import type { ChunkStore } from '../../../src/chunkserver/store.js';

export const SECRET = 'unit-test-secret';
export const signer = new Signer(SECRET);
export const NOW = 1_800_000_000_000;

export function testConfig(dataDir: string, env: Record<string, string> = {}) {
  return loadConfig(chunkserverSchema, {
    DATA_DIR: dataDir, PORT: '0', BIND_ADDR: '127.0.0.1', CONTROLLER_DNS: '', CLUSTER_SECRET: SECRET,
    MIN_FREE_BYTES: '0', REQUEST_TIMEOUT: '5s', ...env,
  });
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'redcloud-cs-test-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function chunk(sizeBytes: number): { id: string; data: Buffer } {
  const data = randomBytes(sizeBytes);
  return { id: sha256Hex(data), data };
}

export function cap(id: string, op: ChunkOp, nowMs = NOW, ttlMs = 60_000): string {
  return issueCapability(signer, id, op, nowMs, ttlMs);
}

/** Every file under DATA_DIR/chunks and DATA_DIR/tmp, relative. */
export async function filesUnder(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const top of ['chunks', 'tmp']) {
    const entries = await readdir(join(dataDir, top), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isFile()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dataDir.length + 1));
  }
  return out.sort();
}

export async function makeServer(dataDir: string, opts: { env?: Record<string, string>; store?: ChunkStore; clock?: () => number } = {}): Promise<Chunkserver> {
  const server = createChunkserver({
    config: testConfig(dataDir, opts.env), nodeId: 'cs-test', logger: silentLogger(), store: opts.store, clock: opts.clock ?? (() => NOW),
  });
  await server.ready();
  return server;
}
