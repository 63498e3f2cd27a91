/**
 * A real local cluster for one test suite: controllers and chunkservers as processes on their own
 * 127.0.x.y addresses, temp data dirs, a CLI bound to it, log dumps on failure, and `stop()` that
 * kills every process by pid, removes partitions and deletes the temp dir.
 */
import { join } from 'node:path';
import type { Test } from 'uvu';
import { LocalCluster, cleanupPartitions, type NodeProcess } from '../../src/cluster/index.js';
import { createCli, type Cli } from './cli.js';
import { makeTempDir, removeDir } from './tmp.js';
import { getJson, loginToken } from './http.js';
import { waitFor } from './wait.js';
import type { ClusterStatus } from '../../src/common/api.js';

export interface TestClusterOptions {
  label: string;
  /** first three octets, e.g. "127.0.5" */
  net: string;
  controllers?: number;
  chunkservers?: number;
  /** added to the last octet of every node (controllers from .11, chunkservers from .21): two clusters on one net */
  hostOffset?: number;
  /** extra env of every controller / chunkserver */
  controllerEnv?: Record<string, string>;
  chunkserverEnv?: Record<string, string>;
  /** runs after the suite's directory is made and before any node starts (e.g. to mount a small disk) */
  beforeStart?: (dir: string) => void | Promise<void>;
}

export interface TestCluster {
  dir: string;
  cluster: LocalCluster;
  controllers: NodeProcess[];
  chunkservers: NodeProcess[];
  controllerUrls: string[];
  cli: Cli;
  /** the chunk directory of chunkserver i (DATA_DIR/chunks) */
  chunkDir(i: number): string;
  waitHealthyChunkservers(token: string, n: number, timeoutMs?: number): Promise<void>;
  /** Registers `user` through controller 1, logs the suite's CLI in, waits for every chunkserver; the token. */
  signUp(user: string, password: string): Promise<string>;
  dumpLogs(): void;
  stop(): Promise<void>;
}

/** Fast timings so tests see failures and heartbeats in seconds, not minutes. */
export const FAST_CONTROLLER_ENV = { HEARTBEAT_TIMEOUT: '3s', GOSSIP_INTERVAL: '200ms', REPAIR_INTERVAL: '2s', ANTI_ENTROPY_INTERVAL: '2s' };
export const FAST_CHUNKSERVER_ENV = { HEARTBEAT_INTERVAL: '300ms', MIN_FREE_BYTES: '0' };

export async function startTestCluster(o: TestClusterOptions): Promise<TestCluster> {
  const dir = makeTempDir(o.label);
  const cluster = new LocalCluster();
  const nControllers = o.controllers ?? 1;
  const nChunkservers = o.chunkservers ?? 3;
  const offset = o.hostOffset ?? 0;
  const ctlAddrs = Array.from({ length: nControllers }, (_, i) => `${o.net}.${11 + offset + i}`);
  const peers = ctlAddrs.map((a) => `${a}:8000`);
  let logsDumped = false;
  const tc: TestCluster = {
    dir,
    cluster,
    get controllers() { return cluster.controllers; },
    get chunkservers() { return cluster.chunkservers; },
    controllerUrls: ctlAddrs.map((a) => `http://${a}:8000`),
    cli: createCli({ configDir: join(dir, 'cli'), controllers: ctlAddrs.map((a) => `http://${a}:8000`) }),
    chunkDir: (i) => join(dir, `cs${i + 1}`, 'chunks'),
    async waitHealthyChunkservers(token, n, timeoutMs = 20_000) {
      await waitFor(`${n} healthy chunkservers`, async () => {
        const { status, data } = await getJson<ClusterStatus>(`${tc.controllerUrls[0]}/v1/status`, token);
        return status === 200 && data.chunkservers.filter((c) => c.healthy).length >= n;
      }, { timeoutMs });
    },
    async signUp(user, password) {
      const reg = await tc.cli.run(['register', user, '--password', password, '--controllers', tc.controllerUrls[0]!]);
      if (reg.exitCode !== 0) throw new Error(`register ${user}: ${reg.stderr}`);
      const login = await tc.cli.run(['login', user, password]);
      if (login.exitCode !== 0) throw new Error(`login ${user}: ${login.stderr}`);
      const token = await loginToken(tc.controllerUrls[0]!, user, password);
      await tc.waitHealthyChunkservers(token, nChunkservers);
      return token;
    },
    dumpLogs() {
      // Once per cluster: later failures would only repeat the same lines.
      if (logsDumped) {
        process.stderr.write(`(node logs printed above; files in ${dir}/logs)\n`);
        return;
      }
      logsDumped = true;
      process.stderr.write(`\n===== node logs (${dir}) =====\n${cluster.logs(80)}\n===== end of node logs =====\n`);
    },
    async stop() {
      await cluster.stopAll({ kill: true });
      await cleanupPartitions().catch(() => 0);
      if (!process.env.REDCLOUD_KEEP_TEST_DIRS) removeDir(dir);
    },
  };
  try {
    await o.beforeStart?.(dir);
    for (let i = 0; i < nControllers; i++) {
      await cluster.controller({
        id: `ctl${i + 1}`, addr: ctlAddrs[i]!, port: 8000, dataDir: join(dir, `ctl${i + 1}`),
        logFile: join(dir, 'logs', `ctl${i + 1}.log`), peers: peers.filter((_, j) => j !== i),
        env: { ...FAST_CONTROLLER_ENV, ...o.controllerEnv },
      });
    }
    for (let i = 0; i < nChunkservers; i++) {
      await cluster.chunkserver({
        id: `cs${i + 1}`, addr: `${o.net}.${21 + offset + i}`, port: 9000, dataDir: join(dir, `cs${i + 1}`),
        logFile: join(dir, 'logs', `cs${i + 1}.log`), peers,
        env: { ...FAST_CHUNKSERVER_ENV, ...o.chunkserverEnv },
      });
    }
  } catch (err) {
    tc.dumpLogs();
    await tc.stop();
    throw err;
  }
  return tc;
}

/**
 * Runs a suite around one real cluster: before its tests, starts the cluster into `ctx.tc` and
 * runs `setup`; if either fails, says so (uvu does not print errors thrown by hooks), prints the
 * nodes' logs and stops everything, leaving `ctx.tc` unset so every step reports it. After the
 * tests, stops the cluster.
 */
export function useTestCluster(
  test: Test, name: string, ctx: { tc?: TestCluster }, options: TestClusterOptions,
  setup: (tc: TestCluster) => Promise<void> = async () => undefined,
): void {
  test.before(async () => {
    try {
      ctx.tc = await startTestCluster(options);
      await setup(ctx.tc);
    } catch (err) {
      process.stderr.write(`${name}: setup failed: ${(err as Error).stack ?? String(err)}\n`);
      ctx.tc?.dumpLogs();
      await ctx.tc?.stop();
      ctx.tc = undefined;
      throw err;
    }
  });
  test.after(async () => {
    await ctx.tc?.stop();
  });
}
