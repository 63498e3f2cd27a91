/**
 * The CLI's saved state: `$REDCLOUD_CONFIG_DIR/session.json` (default ~/.config/redcloud), mode
 * 0600, holding { controllers, token, user }. `loadClient` builds a client with controllers
 * resolved in this order: explicit list (--controllers), REDCLOUD_CONTROLLERS, the saved session,
 * then http://controller:8000. HTTPS peers are verified against TLS_CA when it is set. Used by the
 * CLI and the FUSE driver.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clientSchema, loadConfig } from '../common/config.js';
import { errors } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { applyClientTls } from '../common/tls.js';
import { createClient, type RedCloudClientHandle } from './client.js';

export const DEFAULT_CONTROLLER = 'http://controller:8000';

export interface Session {
  controllers: string[];
  token?: string;
  user?: string;
}

export interface SessionEnv {
  env?: NodeJS.ProcessEnv;
}

export function sessionDir(opts: SessionEnv = {}): string {
  const cfg = loadConfig(clientSchema, opts.env ?? process.env);
  return cfg.configDir || join(homedir(), '.config', 'redcloud');
}

export function sessionFile(opts: SessionEnv = {}): string {
  return join(sessionDir(opts), 'session.json');
}

/** The saved session, or an empty one when none is saved; a corrupt file is INVALID. */
export async function readSession(opts: SessionEnv = {}): Promise<Session> {
  const file = sessionFile(opts);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { controllers: [] };
    throw err;
  }
  let raw: Partial<Session>;
  try {
    raw = JSON.parse(text) as Partial<Session>;
  } catch {
    throw errors.invalid(`Corrupt session file ${file}: remove it or run "redcloud logout"`);
  }
  return {
    controllers: Array.isArray(raw.controllers) ? raw.controllers.filter((c): c is string => typeof c === 'string') : [],
    ...(typeof raw.token === 'string' ? { token: raw.token } : {}),
    ...(typeof raw.user === 'string' ? { user: raw.user } : {}),
  };
}

/** Writes the session atomically with mode 0600 (directory 0700). */
export async function saveSession(session: Session, opts: SessionEnv = {}): Promise<void> {
  const dir = sessionDir(opts);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'session.json');
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Forgets the token and user; keeps the controller list. */
export async function clearSession(opts: SessionEnv = {}): Promise<void> {
  const current = await readSession(opts).catch(() => ({ controllers: [] as string[] }));
  if (current.controllers.length === 0) {
    await rm(sessionFile(opts), { force: true });
    return;
  }
  await saveSession({ controllers: current.controllers }, opts);
}

/** Pure: which controllers to use, first non-empty of explicit, env, saved, default. */
/** Where the controller list came from. */
export type ControllerSource = 'flag' | 'env' | 'session' | 'default';

export function resolveControllers(explicit: string[] | undefined, fromEnv: string[], saved: string[]): { controllers: string[]; source: ControllerSource } {
  const clean = (l: string[] | undefined): string[] => (l ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
  if (clean(explicit).length > 0) return { controllers: clean(explicit), source: 'flag' };
  if (clean(fromEnv).length > 0) return { controllers: clean(fromEnv), source: 'env' };
  if (clean(saved).length > 0) return { controllers: clean(saved), source: 'session' };
  return { controllers: [DEFAULT_CONTROLLER], source: 'default' };
}

export interface LoadClientOptions extends SessionEnv {
  controllers?: string[];
  logger?: Logger;
}

export async function loadClient(opts: LoadClientOptions = {}): Promise<{ client: RedCloudClientHandle; session: Session; source: ControllerSource }> {
  const env = opts.env ?? process.env;
  const cfg = loadConfig(clientSchema, env);
  // TLS_CA: every call of this process (controllers and chunkservers) verifies HTTPS against it
  applyClientTls(cfg);
  const saved = await readSession({ env });
  const { controllers, source } = resolveControllers(opts.controllers, cfg.controllers, saved.controllers);
  const client = createClient({
    controllers,
    token: saved.token,
    chunkSizeBytes: cfg.chunkSizeBytes,
    inlineMaxBytes: cfg.inlineMaxBytes,
    chunkFormat: cfg.chunkFormat,
    concurrency: cfg.uploadConcurrency,
    requestTimeoutMs: cfg.requestTimeoutMs,
    logger: opts.logger ?? silentLogger(),
  });
  return { client, session: { ...saved, controllers }, source };
}
