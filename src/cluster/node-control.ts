/**
 * `redcloud cluster stop|start|restart NODE`: one node of the local cluster, by the pid and the
 * start specification (address, port, DATA_DIR, variables) recorded in the state file. A stopped
 * node stays in the state (marked stopped: `cluster status` shows it, the foreground launcher does
 * not report it as a crash); `start` runs it again on the same data and waits for /health.
 */
import { errors } from '../common/errors.js';
import { applyClientTls } from '../common/tls.js';
import { resolveNodeName } from './node-names.js';
import { NodeProcess, baseEnv } from './node-process.js';
import { isOurProcess, readState, writeState, type ClusterState, type StateNode } from './state.js';
import { resolve } from 'node:path';

function load(dataDir: string): ClusterState {
  const state = readState(resolve(dataDir));
  if (!state) throw errors.notFound(`No local cluster recorded in ${resolve(dataDir)}; start one with \`redcloud cluster up\``);
  return state;
}

/** Writes one node's new facts into the current state file (re-read: another command may have changed it). */
function update(dataDir: string, id: string, patch: Partial<StateNode>): void {
  const state = load(dataDir);
  state.nodes = state.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n));
  writeState(state);
}

async function waitExit(node: StateNode, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(node.pid, node.bin)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isOurProcess(node.pid, node.bin);
}

/**
 * Marks the node stopped, then SIGTERM (SIGKILL after 5 s). Marked first: a foreground launcher
 * that saw the process gone before the mark would report a crash.
 */
export async function stopNode(dataDir: string, name: string, print: (line: string) => void): Promise<StateNode> {
  const node = resolveNodeName(load(dataDir).nodes, name);
  update(dataDir, node.id, { stopped: true });
  if (!isOurProcess(node.pid, node.bin)) {
    print(`${node.id} is not running`);
  } else {
    process.kill(node.pid, 'SIGTERM');
    if (!(await waitExit(node, 5_000))) {
      process.kill(node.pid, 'SIGKILL');
      if (!(await waitExit(node, 5_000))) throw errors.timeout(`${node.id} (pid ${node.pid}) did not exit after SIGKILL`);
    }
    print(`stopped ${node.role} ${node.id} (pid ${node.pid})`);
  }
  return { ...node, stopped: true };
}

/** Starts a stopped node again with its recorded specification and waits until it answers /health. */
export async function startNode(dataDir: string, name: string, print: (line: string) => void, opts: { healthTimeoutMs?: number } = {}): Promise<StateNode> {
  const state = load(dataDir);
  const node = resolveNodeName(state.nodes, name);
  if (isOurProcess(node.pid, node.bin)) throw errors.exists(`${node.id} is already running (pid ${node.pid}); use \`redcloud cluster restart ${node.id}\``);
  if (!node.spec || (node.role !== 'controller' && node.role !== 'chunkserver')) {
    throw errors.invalid(`${node.id} was started by an older launcher that did not record how; restart the cluster (cluster down, cluster up)`);
  }
  if (state.tlsCa) applyClientTls({ tlsCa: state.tlsCa });
  const proc = new NodeProcess({
    role: node.role, id: node.id, addr: node.spec.addr, port: node.spec.port, dataDir: node.spec.dataDir, logFile: node.logFile,
    bin: node.bin, env: { ...baseEnv(), ...node.spec.env }, detached: true,
  });
  proc.start();
  update(dataDir, node.id, { pid: proc.pid!, stopped: false });
  try {
    await proc.waitHealthy({ timeoutMs: opts.healthTimeoutMs ?? 30_000 });
  } catch (err) {
    await proc.kill('SIGKILL');
    update(dataDir, node.id, { stopped: true });
    throw err;
  }
  print(`started ${node.role} ${node.id}  ${proc.url}  pid ${proc.pid}`);
  return { ...node, pid: proc.pid!, stopped: false };
}

export async function restartNode(dataDir: string, name: string, print: (line: string) => void, opts: { healthTimeoutMs?: number } = {}): Promise<StateNode> {
  await stopNode(dataDir, name, print);
  return startNode(dataDir, name, print, opts);
}
