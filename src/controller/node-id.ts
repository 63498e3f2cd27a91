/**
 * The controller's node id: CONTROLLER_NODE_ID, or one generated once as `hostname-timestamp` and
 * kept in DATA_DIR/controller-node-id, so the database path DATA_DIR/controller-<id>/redcloud.db
 * stays the same across restarts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultNodeId } from '../common/config.js';

export const NODE_ID_FILE = 'controller-node-id';

export function resolveNodeId(configured: string, dataDir: string, nowMs: number): string {
  if (configured) return configured;
  const file = join(dataDir, NODE_ID_FILE);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9._-]{1,64}$/.test(stored)) return stored;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  const id = defaultNodeId(nowMs).slice(0, 64);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${id}\n`, { mode: 0o644 });
  return id;
}

export function databasePath(dataDir: string, nodeId: string): string {
  return join(dataDir, `controller-${nodeId}`, 'redcloud.db');
}
