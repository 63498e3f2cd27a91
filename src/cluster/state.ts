/**
 * The state file of a local cluster started by `redcloud cluster up` (DATA/cluster.json): which
 * processes (pid, role, url, log) and which mount belong to it, so `down` and `status` can find
 * them by pid later. A pid is only trusted if /proc says it still runs our executable.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StateNode {
  role: 'controller' | 'chunkserver' | 'mount';
  id: string;
  pid: number;
  url?: string;
  logFile: string;
  /** executable path, checked against /proc/<pid>/cmdline before signalling */
  bin: string;
  /** how to start it again (`cluster start NODE`): address, port, DATA_DIR and its own variables (no secret) */
  spec?: { addr: string; port: number; dataDir: string; env: Record<string, string> };
  /** stopped on purpose with `cluster stop NODE` (the foreground launcher does not report it) */
  stopped?: boolean;
}

export interface ClusterState {
  version: 1;
  dataDir: string;
  startedAtMs: number;
  controllers: string[];
  nodes: StateNode[];
  mountDir?: string;
  /** TLS_CA of a cluster started with TLS (its URLs are https): status checks trust it */
  tlsCa?: string;
  /** the foreground `cluster up` (npm start) that owns the cluster: `cluster down` stops it too */
  ownerPid?: number;
  /** set by `cluster down` before it stops anything: the foreground owner then leaves it alone and exits */
  stopping?: boolean;
  /** the user the mount and the CLI are logged in as */
  user?: string;
  /** daemon variables given through the environment or --env (secrets as [redacted]) */
  settings?: Record<string, string>;
}

export const STATE_FILE = 'cluster.json';

export function statePath(dataDir: string): string {
  return join(dataDir, STATE_FILE);
}

export function readState(dataDir: string): ClusterState | undefined {
  const p = statePath(dataDir);
  if (!existsSync(p)) return undefined;
  return JSON.parse(readFileSync(p, 'utf8')) as ClusterState;
}

export function writeState(state: ClusterState): void {
  const p = statePath(state.dataDir);
  writeFileSync(`${p}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${p}.tmp`, p);
}

export function removeState(dataDir: string): void {
  rmSync(statePath(dataDir), { force: true });
}

/** True if `pid` runs and its command line mentions `bin` (guards against reused pids). */
export function isOurProcess(pid: number, bin: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg === bin || arg.endsWith(bin.replace(/^.*\/bin\//, 'bin/')));
  } catch {
    return false;
  }
}
