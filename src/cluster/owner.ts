/**
 * One cluster, one owner (pure): what a foreground `cluster up` (`npm start`) does on each tick of
 * its watch. Its cluster is gone when the state file is removed or belongs to another start (a
 * `cluster down` elsewhere, maybe followed by a new `cluster up`): it then exits non-zero and never
 * touches the other cluster. It also exits when every daemon has exited; a node that exited on its
 * own (not by `cluster stop`) is reported once, with its log file.
 */
import type { ClusterState, StateNode } from './state.js';

export type ForegroundVerdict =
  | { kind: 'running'; report: string[] }
  | { kind: 'gone'; message: string }
  | { kind: 'dead'; message: string };

export function foregroundVerdict(
  mine: { dataDir: string; startedAtMs: number },
  current: ClusterState | undefined,
  isAlive: (n: StateNode) => boolean,
  reported: Set<string>,
): ForegroundVerdict {
  if (!current || current.startedAtMs !== mine.startedAtMs || current.stopping) {
    const why = current && !current.stopping ? 'another `redcloud cluster up` replaced it' : 'it was stopped with `redcloud cluster down`';
    return { kind: 'gone', message: `The cluster of ${mine.dataDir} is gone (${why}); this launcher exits.` };
  }
  const daemons = current.nodes.filter((n) => n.role !== 'mount');
  if (daemons.length > 0 && daemons.every((n) => !isAlive(n))) {
    return { kind: 'dead', message: `Every node of the cluster of ${mine.dataDir} has exited (logs in ${mine.dataDir}/logs/); unmounting and exiting.` };
  }
  const report: string[] = [];
  for (const n of current.nodes) {
    const key = `${n.id}:${n.pid}`;
    if (n.stopped || reported.has(key) || isAlive(n)) continue;
    reported.add(key);
    report.push(`${n.role} ${n.id} (pid ${n.pid}) has exited${n.logFile ? `; see ${n.logFile}` : ''}`);
  }
  return { kind: 'running', report };
}
