/**
 * A real cluster with a real FUSE mount for the test/fuse suites: startTestCluster on the suite's
 * /24, a user registered and logged in with the cluster's CLI, and a separate mount process
 * (bin/redcloud-mount.js) serving DIR. The mount is only touched from other processes. stop()
 * unmounts (SIGTERM, then fusermount -uz), kills the mount by pid and stops the cluster.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../src/cluster/paths.js';
import { clearStaleMount, isMounted, pollUntil } from '../../../fuse/mounts.js';
import { startTestCluster, type TestCluster, type TestClusterOptions } from '../../helpers/test-cluster.js';

export const USER = 'fuser';
export const PASSWORD = 'pw-fuser-1';

export interface MountProcess {
  dir: string;
  proc: ChildProcess;
  logs(): string;
  /** SIGTERM, wait for the unmount (lazy fusermount after timeoutMs), then make sure the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface FuseCluster {
  tc: TestCluster;
  /** mountpoint */
  mnt: string;
  /** scratch dir outside the mount */
  work: string;
  token: string;
  mount: MountProcess;
  /** starts a new mount process (after stop) with optional extra flags */
  remount(extraArgs?: string[]): Promise<void>;
  dumpLogs(): void;
  stop(): Promise<void>;
}

export interface FuseClusterOptions extends TestClusterOptions {
  mountArgs?: string[];
  /** extra env of the mount process */
  mountEnv?: Record<string, string>;
}

/** Starts bin/redcloud-mount.js on `dir` with the CLI's session; resolves once the mount is live. */
export async function startMount(tc: TestCluster, dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<MountProcess> {
  mkdirSync(dir, { recursive: true });
  await clearStaleMount(dir).catch(() => false);
  const cacheDir = `${dir}.cache`;
  const proc = spawn(process.execPath, [join(repoRoot(), 'bin', 'redcloud-mount.js'), dir, '--cache-dir', cacheDir, ...args], {
    env: { ...tc.cli.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString('utf8');
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const m: MountProcess = {
    dir,
    proc,
    logs: () => out,
    async stop(timeoutMs = 30_000) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const gone = await pollUntil(async () => !(await isMounted(dir)), timeoutMs, 100);
      if (!gone) {
        try { execFileSync('fusermount', ['-uz', dir]); } catch { /* already gone */ }
      }
      const exited = await pollUntil(() => proc.exitCode !== null || proc.signalCode !== null, 5000, 50);
      if (!exited) proc.kill('SIGKILL');
      await pollUntil(() => proc.exitCode !== null || proc.signalCode !== null, 5000, 50);
    },
  };
  const live = await pollUntil(async () => proc.exitCode !== null || (await isMounted(dir)), 30_000, 100);
  if (!live || proc.exitCode !== null) {
    await m.stop(1000);
    throw new Error(`mount of ${dir} did not come up (exit ${proc.exitCode}):\n${out.slice(-4000)}`);
  }
  return m;
}

export async function startFuseCluster(o: FuseClusterOptions): Promise<FuseCluster> {
  const tc = await startTestCluster(o);
  let mount: MountProcess | undefined;
  try {
    const reg = await tc.cli.run(['register', USER, '--password', PASSWORD]);
    if (reg.exitCode !== 0) throw new Error(`register failed: ${reg.stderr}`);
    const login = await tc.cli.run(['login', USER, PASSWORD]);
    if (login.exitCode !== 0) throw new Error(`login failed: ${login.stderr}`);
    const session = JSON.parse(readFileSync(join(tc.cli.configDir, 'session.json'), 'utf8')) as { token: string };
    await tc.waitHealthyChunkservers(session.token, o.chunkservers ?? 3);
    const mnt = join(tc.dir, 'mnt');
    const work = join(tc.dir, 'work');
    mkdirSync(work, { recursive: true });
    mount = await startMount(tc, mnt, o.mountArgs, o.mountEnv);
    let logsDumped = false;
    const fc: FuseCluster = {
      tc, mnt, work, token: session.token, mount,
      async remount(extraArgs = o.mountArgs ?? []) {
        await fc.mount.stop();
        fc.mount = await startMount(tc, mnt, extraArgs, o.mountEnv);
      },
      dumpLogs() {
        if (!logsDumped) process.stderr.write(`\n===== mount log =====\n${fc.mount.logs().split('\n').slice(-60).join('\n')}\n`);
        logsDumped = true;
        tc.dumpLogs();
      },
      async stop() {
        await fc.mount.stop().catch(() => undefined);
        await tc.stop();
      },
    };
    return fc;
  } catch (err) {
    await mount?.stop().catch(() => undefined);
    tc.dumpLogs();
    await tc.stop();
    throw err;
  }
}

/** Sums a Prometheus counter (all label sets matching `labels`, e.g. 'result="ok"') from /metrics text. */
export function metricValue(text: string, name: string, labels?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
