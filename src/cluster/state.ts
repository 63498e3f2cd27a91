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
  writeFileSync(`${p}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
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
