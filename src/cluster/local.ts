/**
 * The local cluster behind `redcloud cluster up|down|status` (and `npm start`): controllers on
 * 127.0.0.11.. port 8000, chunkservers on 127.0.0.21.. port 9000, data and logs under one
 * directory, a demo user (demo, password demo-password) with the CLI logged in, and a FUSE mount. Everything it
 * starts is recorded by pid in the state file; `downLocalCluster` unmounts and stops exactly those.
 * With `tls` every node serves HTTPS with that certificate and trusts that CA (TLS_CERT, TLS_KEY,
 * TLS_CA), the URLs are https, and the CLI and the mount it runs trust the CA too.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { defaultCacheDir } from '../../fuse/args.js';
import { readSession, saveSession, sessionFile, type Session } from '../client/session.js';
import { errors } from '../common/errors.js';
import { request } from '../common/http-client.js';
import { applyClientTls, loadServerTls } from '../common/tls.js';
import { describeSettings, parseEnvFlags, selectDaemonEnv, type DaemonRole } from './daemon-env.js';
import { describeIdentity, planAfterRefusedLogin, planIdentity, type IdentityPlan } from './identity.js';
import { LocalCluster } from './launcher.js';
import { chunkserverId, controllerId } from './node-names.js';
import { PASS_THROUGH, type NodeProcess } from './node-process.js';
import { SECRET_FILE, applyPurge, purgePlan, readLauncherRecord, writeLauncherRecord } from './purge.js';
import { binPath, repoRoot } from './paths.js';
import { isOurProcess, readState, removeState, writeState, type ClusterState, type StateNode } from './state.js';

const run = promisify(execFile);

export interface UpOptions {
  controllers: number;
  chunkservers: number;
  dataDir: string;
  /** undefined: no mount */
  mountDir?: string;
  /** --user: the user to mount as and log the CLI in as (default: the CLI's saved login, else demo) */
  user?: string;
  /** a password for `user` (REDCLOUD_PASSWORD, a terminal prompt); absent when none can be had */
  askPassword?: (user: string) => Promise<string | undefined>;
  /** the launcher's environment: daemon variables (config.ts) and REDCLOUD_CONFIG_DIR come from it (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** `--env KEY=VALUE` flags, applied over the environment */
  envFlags?: string[];
  /** pid of the foreground launcher (`cluster up --foreground`, npm start) that owns the cluster */
  ownerPid?: number;
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

/** The demo account (`redcloud cluster up` without a saved login); passwords have at least 8 characters. */
export const DEMO_USER = 'demo';
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
async function cli(args: string[], timeoutMs: number, env: Record<string, string>): Promise<void> {
  try {
    await run(process.execPath, [binPath('cli'), ...args], { cwd: repoRoot(), timeout: timeoutMs, env });
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
  const parentEnv = o.env ?? process.env;
  // every daemon variable is validated before anything starts (a bad value names the variable)
  const settings = selectDaemonEnv(parentEnv, parseEnvFlags(o.envFlags ?? []));
  const dataDir = resolve(o.dataDir);
  const previous = readState(dataDir);
  if (previous && liveNodes(previous).length > 0) {
    throw errors.exists(`A local cluster from ${dataDir} is already running; stop it with \`redcloud cluster down\``);
  }
  if (previous?.ownerPid && isOurProcess(previous.ownerPid, binPath('cli'))) {
    throw errors.exists(`A foreground \`redcloud cluster up\` (pid ${previous.ownerPid}) still owns ${dataDir}; stop it with Ctrl-C or \`redcloud cluster down\``);
  }
  let tlsEnv: Record<string, string> = {};
  if (o.tls) {
    const files = { cert: resolve(o.tls.cert), key: resolve(o.tls.key), ca: resolve(o.tls.ca) };
    loadServerTls({ tlsCert: files.cert, tlsKey: files.key }); // unreadable or not PEM: INVALID before anything starts
    applyClientTls({ tlsCa: files.ca }); // this process (health checks, registration) trusts the CA
    tlsEnv = { TLS_CERT: files.cert, TLS_KEY: files.key, TLS_CA: files.ca };
  }
  const saved = await readSession({ env: parentEnv });
  const plan = planIdentity(saved, { flagUser: o.user, demoUser: DEMO_USER });
  const scheme = o.tls ? 'https' : 'http';
  mkdirSync(dataDir, { recursive: true });
  const roleEnv = secretToFile(dataDir, settings.byRole);
  if (Object.keys(settings.given).length > 0) o.print(`configuration: ${describeSettings(settings.given)}`);
  if (settings.ignored.length > 0) o.print(`ignored from the environment (set by the launcher per node): ${settings.ignored.join(', ')}`);
  const peers = Array.from({ length: o.controllers }, (_, i) => `${controllerAddr(i, o.net)}:8000`);
  const state: ClusterState = {
    version: 1, dataDir, startedAtMs: Date.now(), controllers: peers.map((p) => `${scheme}://${p}`), nodes: [], ...(o.tls ? { tlsCa: tlsEnv.TLS_CA } : {}),
    ...(o.ownerPid ? { ownerPid: o.ownerPid } : {}),
    ...(Object.keys(settings.given).length > 0 ? { settings: redactedSettings(settings.given) } : {}),
  };
  const mountDir = o.mountDir ? resolve(o.mountDir) : undefined;
  const sessionPath = sessionFile({ env: parentEnv });
  writeLauncherRecord(dataDir, {
    version: 1, controllers: state.controllers, sessionFile: sessionPath,
    ...(mountDir ? { mountDir, mountCacheDir: defaultCacheDir(mountDir) } : {}),
  });
  const cluster = new LocalCluster();
  const record = (): void => {
    const rank = (n: NodeProcess): string => `${n.spec.role === 'controller' ? 0 : 1}${n.spec.id.replace(/\d+$/, (d: string) => d.padStart(3, '0'))}`;
    state.nodes = [...cluster.nodes].sort((a, b) => rank(a).localeCompare(rank(b))).map((n) => ({
      role: n.spec.role, id: n.spec.id, pid: n.pid!, url: n.url, logFile: n.spec.logFile, bin: n.spec.bin,
      spec: { addr: n.spec.addr, port: n.spec.port, dataDir: n.spec.dataDir, env: restartEnv(n.spec.env) },
    }));
    writeState(state);
  };
  /** Starts a role's nodes at once (each on its own address); every one that came up is recorded before a failure is thrown. */
  const startAll = async (n: number, start: (i: number) => Promise<NodeProcess>, line: (i: number, node: NodeProcess) => string): Promise<void> => {
    const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => start(i)));
    record();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    results.forEach((r, i) => o.print(line(i, (r as PromiseFulfilledResult<NodeProcess>).value)));
  };
  try {
    // controllers first (chunkservers heartbeat them), each role's nodes in parallel
    await startAll(o.controllers, (i) => {
      const id = controllerId(i);
      return cluster.controller({
        id, addr: controllerAddr(i, o.net), port: 8000, dataDir: join(dataDir, id), logFile: join(dataDir, 'logs', `${id}.log`),
        peers: peers.filter((_, j) => j !== i), env: { ...roleEnv.controller, ...tlsEnv }, detached: true, healthTimeoutMs: o.healthTimeoutMs,
      });
    }, (i, node) => `controller  ${controllerId(i)}  ${scheme}://${controllerAddr(i, o.net)}:8000  pid ${node.pid}`);
    await startAll(o.chunkservers, (i) => {
      const id = chunkserverId(i);
      return cluster.chunkserver({
        id, addr: chunkserverAddr(i, o.net), port: 9000, dataDir: join(dataDir, id), logFile: join(dataDir, 'logs', `${id}.log`),
        peers, env: { ...roleEnv.chunkserver, ...tlsEnv }, detached: true, healthTimeoutMs: o.healthTimeoutMs,
      });
    }, (i, node) => `chunkserver ${chunkserverId(i)}  ${scheme}://${chunkserverAddr(i, o.net)}:9000  pid ${node.pid}`);
    const cliEnv: Record<string, string> = { ...(parentEnv as Record<string, string>), ...(o.tls ? { TLS_CA: tlsEnv.TLS_CA! } : {}) };
    state.user = await establishIdentity(plan, saved, state, { ...o, cliEnv });
    writeState(state);
    if (mountDir) {
      mkdirSync(mountDir, { recursive: true });
      await cli(['mount', mountDir, '--controllers', state.controllers.join(',')], 60_000, cliEnv);
      state.mountDir = mountDir;
      const mountPid = findMountPid(mountDir);
      if (mountPid) state.nodes.push({ role: 'mount', id: 'mount', pid: mountPid, logFile: join(defaultCacheDir(mountDir), 'mount.log'), bin: binPath('mount') });
      writeState(state);
      o.print(`mounted at ${mountDir} as ${state.user}`);
    }
    return state;
  } catch (err) {
    o.print(`start failed: ${(err as Error).message}`);
    await downLocalCluster({ dataDir, print: o.print });
    throw err;
  }
}

/** The user's CLUSTER_SECRET goes to DATA/cluster-secret (0600) and the daemons get CLUSTER_SECRET_FILE: no secret in the state file or in ps. */
function secretToFile(dataDir: string, byRole: Record<DaemonRole, Record<string, string>>): Record<DaemonRole, Record<string, string>> {
  const out = { controller: { ...byRole.controller }, chunkserver: { ...byRole.chunkserver } };
  const secret = out.controller.CLUSTER_SECRET;
  if (secret === undefined) return out;
  const file = join(dataDir, SECRET_FILE);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  for (const env of Object.values(out)) {
    delete env.CLUSTER_SECRET;
    env.CLUSTER_SECRET_FILE = file;
  }
  return out;
}

/** A node's variables worth keeping for `cluster start NODE`: not those passed through from the launcher (PATH, HOME…). */
function restartEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(env)) if (!PASS_THROUGH.includes(k)) out[k] = val;
  return out;
}

function redactedSettings(given: Record<string, string>): Record<string, string> {
  return Object.fromEntries(describeSettings(given).split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** Whether this cluster accepts a saved token: undefined if it does, else the controller's reason. */
async function refusedToken(controllers: string[], token: string): Promise<string | undefined> {
  try {
    await request(`${controllers[0]}/v1/whoami`, { headers: { authorization: `Bearer ${token}` }, timeoutMs: 10_000 });
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'UNAUTHORIZED' || code === 'FORBIDDEN' || code === 'NOT_FOUND' || code === 'NAME_TAKEN') return (err as Error).message;
    throw err;
  }
}

/** Logs the CLI in as the planned user (keeping a saved login the cluster accepts) and says which; returns the user. */
async function establishIdentity(
  first: IdentityPlan, saved: Session, state: ClusterState, o: UpOptions & { cliEnv: Record<string, string> },
): Promise<string> {
  let plan = first;
  if (plan.kind === 'keep') {
    const why = await refusedToken(state.controllers, saved.token!);
    if (why === undefined) {
      await saveSession({ controllers: state.controllers, token: saved.token, user: saved.user }, { env: o.cliEnv });
      o.print(describeIdentity(plan, 'kept'));
      return plan.user;
    }
    const next = planAfterRefusedLogin(plan.user, { demoUser: DEMO_USER, passwordAvailable: o.askPassword !== undefined, why });
    if ('error' in next) throw errors.unauthorized(next.error);
    o.print(`the saved login of ${plan.user} is not accepted by this cluster (${why}); logging in again`);
    plan = next;
  }
  const controllers = state.controllers.join(',');
  if (plan.kind === 'demo') {
    const made = await registerDemo(state.controllers[0]!, plan.user, DEMO_PASSWORD);
    // the password goes through the environment, not the command line (visible in ps)
    await cli(['login', plan.user, '--controllers', controllers], 60_000, { ...o.cliEnv, REDCLOUD_PASSWORD: DEMO_PASSWORD });
    o.print(describeIdentity(plan, made));
    return plan.user;
  }
  const password = await o.askPassword?.(plan.user);
  if (password === undefined) {
    throw errors.unauthorized(`Logging in as ${plan.user} needs its password: set REDCLOUD_PASSWORD or run from a terminal (or use --user ${DEMO_USER})`);
  }
  await cli(['login', plan.user, '--controllers', controllers], 60_000, { ...o.cliEnv, REDCLOUD_PASSWORD: password });
  o.print(describeIdentity(plan, 'logged-in'));
  return plan.user;
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

export interface DownOptions {
  dataDir: string;
  print: (line: string) => void;
  /** only stop the cluster of this start (a foreground launcher never stops a newer cluster) */
  onlyStartedAtMs?: number;
  /** also remove what the launcher created (src/cluster/purge.ts) */
  purge?: boolean;
  /** REDCLOUD_CONFIG_DIR and HOME of the CLI whose saved login --purge considers (default process.env) */
  env?: NodeJS.ProcessEnv;
}

/**
 * Unmounts and stops every recorded process (reverse start order), removes the state file, then
 * waits for a foreground launcher that owns the cluster to notice and exit (SIGTERM after 10 s).
 * Returns the number of processes stopped.
 */
export async function downLocalCluster(o: DownOptions): Promise<number> {
  const dataDir = resolve(o.dataDir);
  const state = readState(dataDir);
  let stopped = 0;
  if (!state) {
    o.print(`no local cluster state in ${dataDir}`);
  } else if (o.onlyStartedAtMs !== undefined && state.startedAtMs !== o.onlyStartedAtMs) {
    o.print(`the cluster of ${dataDir} is not the one this launcher started; leaving it running`);
    return 0;
  } else {
    const owner = state.ownerPid !== undefined && state.ownerPid !== process.pid && isOurProcess(state.ownerPid, binPath('cli')) ? state.ownerPid : undefined;
    if (owner) o.print(`the cluster belongs to a foreground \`cluster up\` (pid ${owner}): stopping it too`);
    if (state.ownerPid !== process.pid) writeState({ ...state, stopping: true });
    stopped = await stopRecorded(state, o.print);
    removeState(dataDir);
    if (owner) {
      // it notices the removed state within a second and exits; SIGTERM if it does not
      if (!(await waitGone(owner, 10_000))) await signalAndWait({ role: 'mount', id: 'owner', pid: owner, logFile: '', bin: binPath('cli') }, 'SIGTERM', 5_000);
      o.print(isOurProcess(owner, binPath('cli')) ? `the foreground launcher (pid ${owner}) is still running` : `the foreground launcher (pid ${owner}) exited`);
    }
  }
  if (o.purge) await purgeLocalCluster(dataDir, o.print, o.env ?? process.env);
  return stopped;
}

async function waitGone(pid: number, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, binPath('cli'))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function stopRecorded(state: ClusterState, print: (line: string) => void): Promise<number> {
  if (state.mountDir && (await isMounted(state.mountDir))) {
    await run('fusermount', ['-u', state.mountDir], { timeout: 10_000 })
      .catch(() => run('fusermount', ['-uz', state.mountDir!], { timeout: 10_000 }))
      .catch((err: Error) => print(`could not unmount ${state.mountDir}: ${err.message}`));
    print(`unmounted ${state.mountDir}`);
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
    print(`stopped ${node.role} ${node.id} (pid ${node.pid})`);
    stopped++;
  }
  return stopped;
}

/** `cluster down --purge`: removes what purgePlan lists (after the cluster is stopped). */
async function purgeLocalCluster(dataDir: string, print: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  const record = readLauncherRecord(dataDir);
  let sessionControllers: string[] | undefined;
  if (record && existsSync(record.sessionFile)) {
    sessionControllers = (await readSession({ env: { ...env, REDCLOUD_CONFIG_DIR: dirname(record.sessionFile) } }).catch(() => ({ controllers: [] }))).controllers;
  }
  const entries = existsSync(dataDir) ? readdirSync(dataDir) : [];
  const { items, kept } = purgePlan({ dataDir, dataEntries: entries, record, sessionControllers });
  for (const line of applyPurge(items)) print(line);
  for (const k of kept) print(`kept ${k}`);
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
