/**
 * One daemon of a local cluster as a child process: `node bin/<daemon>.js` with its own env and a
 * log file (stdout and stderr appended), started, killed by pid with any signal, and restarted
 * with the same env and data. Used by the cluster tests, `redcloud cluster up` and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { errors } from '../common/errors.js';
import { repoRoot } from './paths.js';
import { waitHealthy } from './health.js';

export type NodeRole = 'controller' | 'chunkserver';

export interface NodeSpec {
  role: NodeRole;
  id: string;
  addr: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** absolute path of the executable (bin/….js) */
  bin: string;
  /** the complete environment of the process */
  env: Record<string, string>;
  /** own process group and not waited for: survives the parent (`cluster up` in the background) */
  detached?: boolean;
}

/** Variables passed through from the launcher's environment; everything else is explicit. */
export const PASS_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'NODE_OPTIONS', 'NODE_PATH', 'TZ'];

export function baseEnv(parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASS_THROUGH) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The last `lines` lines of a log file, or a note that it is missing. */
export function logTail(logFile: string, lines = 40): string {
  if (!existsSync(logFile)) return `(no log file ${logFile})`;
  const text = readFileSync(logFile, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n');
}

export class NodeProcess {
  readonly spec: NodeSpec;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(spec: NodeSpec) {
    this.spec = spec;
  }

  /** https when the node serves TLS (TLS_CERT in its env) */
  get url(): string {
    return `${this.spec.env.TLS_CERT ? 'https' : 'http'}://${this.spec.addr}:${this.spec.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process runs (as far as this launcher knows). */
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Spawns the process (no wait for health; see `waitHealthy`). */
  start(): this {
    if (this.running) throw errors.invalid(`${this.spec.id} is already running (pid ${this.pid})`);
    mkdirSync(this.spec.dataDir, { recursive: true });
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    const fd = openSync(this.spec.logFile, 'a');
    try {
      const child = spawn(process.execPath, [this.spec.bin], {
        cwd: repoRoot(),
        env: this.spec.env,
        stdio: ['ignore', fd, fd],
        detached: this.spec.detached ?? false,
      });
      this.child = child;
      this.exitInfo = undefined;
      this.exited = new Promise((resolveExit) => {
        child.once('exit', (code, signal) => {
          this.exitInfo = { code, signal };
          resolveExit(code);
        });
        child.once('error', () => {
          this.exitInfo = { code: null, signal: null };
          resolveExit(null);
        });
      });
      if (this.spec.detached) child.unref();
    } finally {
      closeSync(fd);
    }
    return this;
  }

  /** Polls GET /health until 200 or the deadline; fails with the log tail, early if the process died. */
  async waitHealthy(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    await waitHealthy(this.url, {
      timeoutMs: opts.timeoutMs ?? 30_000,
      signal: opts.signal,
      expectNode: this.spec.id,
      tlsCa: this.spec.env.TLS_CA || undefined,
      isDead: () => (this.exitInfo ? `exited with ${this.exitInfo.signal ?? `code ${this.exitInfo.code}`}` : undefined),
      describe: () => `${this.spec.role} ${this.spec.id} (${this.url}, pid ${this.pid}); log ${this.spec.logFile}:\n${logTail(this.spec.logFile)}`,
    });
  }

  /** Sends `signal` to the pid and waits (bounded) for the exit. SIGKILL for crash tests. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    if (!this.running || this.pid === undefined) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      return; // already gone
    }
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited.then(() => 'exited' as const), timer])) === 'timeout') {
      if (signal !== 'SIGKILL') return this.kill('SIGKILL', timeoutMs);
      throw errors.timeout(`${this.spec.id} (pid ${this.pid}) did not exit after ${signal}`);
    }
  }

  /** Graceful stop: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running || this.pid === undefined) return;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited.then(() => 'exited' as const), timer])) === 'timeout') await this.kill('SIGKILL');
  }

  /** Starts again with the same env, data directory and log file (appended). */
  async restart(opts: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    await this.kill(opts.signal ?? 'SIGTERM');
    this.start();
    await this.waitHealthy({ timeoutMs: opts.timeoutMs });
  }

  /** Starts again under the same id and data at another address (BIND_ADDR and ADVERTISE_ADDR): a node that moved. */
  async restartAt(addr: string, opts: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    await this.kill(opts.signal ?? 'SIGTERM');
    this.spec.addr = addr;
    this.spec.env.BIND_ADDR = addr;
    this.spec.env.ADVERTISE_ADDR = addr;
    this.start();
    await this.waitHealthy({ timeoutMs: opts.timeoutMs });
  }

  logTail(lines = 40): string {
    return logTail(this.spec.logFile, lines);
  }
}
