/**
 * The local cluster behind `redcloud cluster up|down|status` (and `npm start`): controllers on
 * 127.0.0.11.. port 8000, chunkservers on 127.0.0.21.. port 9000, data and logs under one
 * directory, a demo user (demo, password demo-password) with the CLI logged in, and a FUSE mount. Everything it
 * starts is recorded by pid in the state file; `downLocalCluster` unmounts and stops exactly those.
 * With `tls` every node serves HTTPS with that certificate and trusts that CA (TLS_CERT, TLS_KEY,
 * TLS_CA), the URLs are https, and the CLI and the mount it runs trust the CA too.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEV_CLUSTER_SECRET } from '../common/config.js';
import { errors } from '../common/errors.js';
import { request } from '../common/http-client.js';
import { applyClientTls, loadServerTls } from '../common/tls.js';
import { LocalCluster } from './launcher.js';
import { binPath, repoRoot } from './paths.js';
import { isOurProcess, readState, removeState, writeState, type ClusterState, type StateNode } from './state.js';

const run = promisify(execFile);

export interface UpOptions {
  controllers: number;
  chunkservers: number;
  dataDir: string;
  /** undefined: no mount */
  mountDir?: string;
  demoUser?: { user: string; password: string };
  print: (line: string) => void;
  healthTimeoutMs?: number;
  /** first three octets of the loopback addresses, default 127.0.0 */
  net?: string;
  /** PEM files: a certificate (IP SANs of every node address) and its key, and the CA that signed it */
  tls?: { cert: string; key: string; ca: string };
}

/** Controllers are <net>.11, .12…; chunkservers <net>.21, .22… (net defaults to 127.0.0). */
export const controllerAddr = (i: number, net = '127.0.0'): string => `${net}.${11 + i}`;
export const chunkserverAddr = (i: number, net = '127.0.0'): string => `${net}.${21 + i}`;

function liveNodes(state: ClusterState): StateNode[] {
  return state.nodes.filter((n) => isOurProcess(n.pid, n.bin));
}

/** The demo account's password (`redcloud cluster up`): passwords have at least 8 characters. */
export const DEMO_PASSWORD = 'demo-password';

async function registerDemo(controllerUrl: string, user: string, password: string): Promise<'created' | 'exists'> {
  try {
    await request(`${controllerUrl}/v1/register`, { method: 'POST', body: { user, password }, timeoutMs: 10_000 });
    return 'created';
  } catch (err) {
    if ((err as { code?: string }).code === 'EXISTS') return 'exists';
    throw err;
  }
}

/** Runs the CLI; a failure reports the command's verb and its last stderr line (never the password). */
async function cli(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<void> {
  try {
    await run(process.execPath, [binPath('cli'), ...args], { cwd: repoRoot(), timeout: timeoutMs, env: { ...process.env, ...env } });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim().split('\n').filter(Boolean);
    const why = stderr.find((l) => l.startsWith('Error')) ?? stderr.at(-1) ?? (err as Error).message;
    throw errors.unavailable(`\`redcloud ${args[0]}\` failed: ${why}`);
  }
}

/** Starts the cluster in the background (detached processes) and returns its state. */
export async function upLocalCluster(o: UpOptions): Promise<ClusterState> {
  if (o.controllers < 1 || o.controllers > 9) throw errors.invalid('--controllers must be between 1 and 9');
  if (o.chunkservers < 1 || o.chunkservers > 9) throw errors.invalid('--chunkservers must be between 1 and 9');
  if (o.net !== undefined && !/^127\.\d{1,3}\.\d{1,3}$/.test(o.net)) throw errors.invalid('--net must be the first three octets of a 127.0.0.0/8 address, e.g. 127.0.0');
  const dataDir = resolve(o.dataDir);
  const previous = readState(dataDir);
  if (previous && liveNodes(previous).length > 0) {
    throw errors.exists(`A local cluster from ${dataDir} is already running; stop it with \`redcloud cluster down\``);
  }
  let tlsEnv: Record<string, string> = {};
  if (o.tls) {
    const files = { cert: resolve(o.tls.cert), key: resolve(o.tls.key), ca: resolve(o.tls.ca) };
    loadServerTls({ tlsCert: files.cert, tlsKey: files.key }); // unreadable or not PEM: INVALID before anything starts
    applyClientTls({ tlsCa: files.ca }); // this process (health checks, registration) trusts the CA
    tlsEnv = { TLS_CERT: files.cert, TLS_KEY: files.key, TLS_CA: files.ca };
  }
  const scheme = o.tls ? 'https' : 'http';
  mkdirSync(dataDir, { recursive: true });
  const peers = Array.from({ length: o.controllers }, (_, i) => `${controllerAddr(i, o.net)}:8000`);
  const state: ClusterState = {
    version: 1, dataDir, startedAtMs: Date.now(), controllers: peers.map((p) => `${scheme}://${p}`), nodes: [], ...(o.tls ? { tlsCa: tlsEnv.TLS_CA } : {}),
  };
  const cluster = new LocalCluster();
  const record = (): void => {
    state.nodes = cluster.nodes.map((n) => ({ role: n.spec.role, id: n.spec.id, pid: n.pid!, url: n.url, logFile: n.spec.logFile, bin: n.spec.bin }));
    writeState(state);
  };
  try {
    for (let i = 0; i < o.controllers; i++) {
      const id = `controller-${i + 1}`;
      await cluster.controller({
        id, addr: controllerAddr(i, o.net), port: 8000, dataDir: join(dataDir, id), logFile: join(dataDir, 'logs', `${id}.log`),
        peers: peers.filter((_, j) => j !== i), clusterSecret: process.env.CLUSTER_SECRET ?? DEV_CLUSTER_SECRET,
        env: tlsEnv, detached: true, healthTimeoutMs: o.healthTimeoutMs,
      });
      record();
      o.print(`controller  ${id}  ${scheme}://${controllerAddr(i, o.net)}:8000  pid ${cluster.nodes.at(-1)!.pid}`);
    }
    for (let i = 0; i < o.chunkservers; i++) {
      const id = `chunkserver-${i + 1}`;
      await cluster.chunkserver({
        id, addr: chunkserverAddr(i, o.net), port: 9000, dataDir: join(dataDir, id), logFile: join(dataDir, 'logs', `${id}.log`),
        peers, clusterSecret: process.env.CLUSTER_SECRET ?? DEV_CLUSTER_SECRET,
        env: { HEARTBEAT_INTERVAL: '2s', ...tlsEnv }, detached: true, healthTimeoutMs: o.healthTimeoutMs,
      });
      record();
      o.print(`chunkserver ${id}  ${scheme}://${chunkserverAddr(i, o.net)}:9000  pid ${cluster.nodes.at(-1)!.pid}`);
    }
    const demo = o.demoUser ?? { user: 'demo', password: DEMO_PASSWORD };
    const made = await registerDemo(state.controllers[0]!, demo.user, demo.password);
    o.print(`user ${demo.user} ${made === 'created' ? 'created' : 'already exists'}`);
    const cliEnv: Record<string, string> = o.tls ? { TLS_CA: tlsEnv.TLS_CA! } : {};
    // the password goes through the environment, not the command line (visible in ps)
    await cli(['login', demo.user, '--controllers', state.controllers.join(',')], 60_000, { ...cliEnv, REDCLOUD_PASSWORD: demo.password });
    o.print(`CLI logged in as ${demo.user}`);
    if (o.mountDir) {
      const mountDir = resolve(o.mountDir);
      mkdirSync(mountDir, { recursive: true });
      await cli(['mount', mountDir, '--controllers', state.controllers.join(',')], 60_000, cliEnv);
      state.mountDir = mountDir;
      const mountPid = findMountPid(mountDir);
      if (mountPid) state.nodes.push({ role: 'mount', id: 'mount', pid: mountPid, logFile: '', bin: binPath('mount') });
      writeState(state);
      o.print(`mounted at ${mountDir}`);
    }
    return state;
  } catch (err) {
    o.print(`start failed: ${(err as Error).message}`);
    await downLocalCluster({ dataDir, print: o.print });
    throw err;
  }
}

/** The pid of the `bin/redcloud-mount.js` process serving `mountDir`, found in /proc. */
function findMountPid(mountDir: string): number | undefined {
  const bin = binPath('mount');
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a === bin || a.endsWith('bin/redcloud-mount.js')) && args.some((a) => resolve(a) === mountDir)) return Number(name);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

async function isMounted(dir: string): Promise<boolean> {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === dir);
  } catch {
    return false;
  }
}

async function signalAndWait(node: StateNode, signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
  try {
    process.kill(node.pid, signal);
  } catch {
    return true;
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(node.pid, node.bin)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isOurProcess(node.pid, node.bin);
}

/** Unmounts and stops every recorded process (reverse start order), then removes the state file. */
export async function downLocalCluster(o: { dataDir: string; print: (line: string) => void }): Promise<number> {
  const dataDir = resolve(o.dataDir);
  const state = readState(dataDir);
  if (!state) {
    o.print(`no local cluster state in ${dataDir}`);
    return 0;
  }
  if (state.mountDir && (await isMounted(state.mountDir))) {
    await run('fusermount', ['-u', state.mountDir], { timeout: 10_000 })
      .catch(() => run('fusermount', ['-uz', state.mountDir!], { timeout: 10_000 }))
      .catch((err: Error) => o.print(`could not unmount ${state.mountDir}: ${err.message}`));
    o.print(`unmounted ${state.mountDir}`);
  }
  let stopped = 0;
  for (const node of [...state.nodes].reverse()) {
    if (node.role === 'mount') {
      // After the unmount the driver exits by itself; give it a moment before signalling.
      const deadline = Date.now() + 10_000;
      while (isOurProcess(node.pid, node.bin) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    if (!isOurProcess(node.pid, node.bin)) continue;
    if (!(await signalAndWait(node, 'SIGTERM', 5_000))) await signalAndWait(node, 'SIGKILL', 5_000);
    o.print(`stopped ${node.role} ${node.id} (pid ${node.pid})`);
    stopped++;
  }
  removeState(dataDir);
  return stopped;
}

export interface NodeStatus extends StateNode {
  running: boolean;
  healthy: boolean;
}

/** The recorded processes with whether each runs and answers /health. */
export async function localClusterStatus(dataDir: string): Promise<{ state?: ClusterState; nodes: NodeStatus[]; mounted: boolean }> {
  const state = readState(resolve(dataDir));
  if (!state) return { nodes: [], mounted: false };
  if (state.tlsCa) applyClientTls({ tlsCa: state.tlsCa });
  const mounted = state.mountDir ? (await isMounted(state.mountDir)) && existsSync(state.mountDir) : false;
  const nodes = await Promise.all(state.nodes.map(async (n) => {
    const running = isOurProcess(n.pid, n.bin);
    let healthy = false;
    // The mount process has no HTTP endpoint: it is healthy while it runs and the mount is live.
    if (running && n.role === 'mount') healthy = mounted;
    else if (running && n.url) healthy = await request(`${n.url}/health`, { timeoutMs: 2_000 }).then(() => true, () => false);
    return { ...n, running, healthy };
  }));
  return { state, nodes, mounted };
}
