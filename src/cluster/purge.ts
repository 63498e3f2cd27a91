/**
 * What `redcloud cluster down --purge` removes (pure plan, then `applyPurge` does it): exactly what
 * the launcher created — the node directories (controller-N, chunkserver-N), logs/, the state
 * files (cluster.json, launcher.json, cluster-secret) and then --data itself if it is left empty;
 * the mount's cache directory (~/.cache/redcloud/<mountpoint>: staged writes, chunk cache,
 * mount.log); the mountpoint if it is empty; and the CLI's saved login (session.json) when it
 * points at this cluster's controllers, since its accounts are deleted with the data. A saved
 * login for another cluster is kept.
 */
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written by `cluster up` next to the state file and kept by `cluster down`, so a later --purge knows what to remove. */
export interface LauncherRecord {
  version: 1;
  controllers: string[];
  mountDir?: string;
  mountCacheDir?: string;
  sessionFile: string;
}

export const LAUNCHER_FILE = 'launcher.json';
export const SECRET_FILE = 'cluster-secret';
const DATA_ENTRY = /^(controller|chunkserver)-\d+$|^logs$|^cluster\.json(\.tmp)?$|^launcher\.json$|^cluster-secret$/;

export function readLauncherRecord(dataDir: string): LauncherRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, LAUNCHER_FILE), 'utf8')) as LauncherRecord;
  } catch {
    return undefined;
  }
}

export function writeLauncherRecord(dataDir: string, record: LauncherRecord): void {
  writeFileSync(join(dataDir, LAUNCHER_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export interface PurgeItem {
  path: string;
  /** 'tree': remove recursively; 'if-empty': remove only an empty directory */
  how: 'tree' | 'file' | 'if-empty';
  what: string;
}

/** Same set of controller URLs (order and a trailing slash do not matter). */
function sameControllers(a: string[], b: string[]): boolean {
  const norm = (l: string[]): string => [...new Set(l.map((u) => u.replace(/\/+$/, '')))].sort().join(',');
  return a.length > 0 && norm(a) === norm(b);
}

export function purgePlan(input: {
  dataDir: string;
  dataEntries: string[];
  record?: LauncherRecord;
  /** controllers of the saved CLI session, if one exists */
  sessionControllers?: string[];
}): { items: PurgeItem[]; kept: string[] } {
  const items: PurgeItem[] = [];
  const kept: string[] = [];
  for (const e of input.dataEntries.filter((n) => DATA_ENTRY.test(n)).sort()) {
    items.push({ path: join(input.dataDir, e), how: e.includes('.') || e === 'cluster-secret' ? 'file' : 'tree', what: 'cluster data' });
  }
  const foreign = input.dataEntries.filter((n) => !DATA_ENTRY.test(n));
  if (foreign.length > 0) kept.push(`${input.dataDir} (holds files the launcher did not create: ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''})`);
  items.push({ path: input.dataDir, how: 'if-empty', what: 'data directory' });
  const r = input.record;
  if (r?.mountCacheDir) items.push({ path: r.mountCacheDir, how: 'tree', what: 'mount cache' });
  if (r?.mountDir) items.push({ path: r.mountDir, how: 'if-empty', what: 'mountpoint' });
  if (r && input.sessionControllers) {
    if (sameControllers(input.sessionControllers, r.controllers)) items.push({ path: r.sessionFile, how: 'file', what: 'CLI login for this cluster' });
    else kept.push(`${r.sessionFile} (the CLI's login for another cluster)`);
  }
  return { items, kept };
}

/** Removes the planned paths; returns what was removed, as lines for the output. */
export function applyPurge(items: PurgeItem[]): string[] {
  const done: string[] = [];
  for (const item of items) {
    if (!existsSync(item.path)) continue;
    try {
      if (item.how === 'if-empty') {
        if (readdirSync(item.path).length > 0) continue;
        rmdirSync(item.path);
      } else {
        rmSync(item.path, { recursive: item.how === 'tree', force: true });
      }
      done.push(`removed ${item.what}: ${item.path}`);
    } catch (err) {
      done.push(`could not remove ${item.path}: ${(err as Error).message}`);
    }
  }
  return done;
}
