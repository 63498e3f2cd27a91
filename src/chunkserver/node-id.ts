/**
 * The chunkserver's node id: CHUNKSERVER_NODE_ID if set, else the id kept in DATA_DIR/node-id,
 * else a new `hostname-timestamp` written there (atomically) so restarts keep their identity.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultNodeId } from '../common/config.js';
import { errors } from '../common/errors.js';

const NODE_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export async function resolveNodeId(configured: string, dataDir: string, nowMs: number): Promise<string> {
  if (configured) return configured;
  const file = join(dataDir, 'node-id');
  try {
    const kept = (await readFile(file, 'utf8')).trim();
    if (!NODE_ID_RE.test(kept)) throw errors.invalid(`${file} does not hold a valid node id`, { file });
    return kept;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  const id = defaultNodeId(nowMs).slice(0, 64);
  await mkdir(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${id}\n`, { flush: true });
  await rename(tmp, file);
  return id;
}
