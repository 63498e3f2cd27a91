/**
 * The Docker engine for test/docker: `docker` commands run as child processes (with a timeout),
 * and an engine made available when there is none: docker.io installed with apt (root only, like
 * scripts/ensure-deps.sh does for FUSE), `dockerd` started in the background when it is not
 * running (no systemd) and stopped by pid at the end only if we started it. When no engine can
 * run, `ensureEngine` says why in one line instead of throwing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { waitFor } from '../helpers/wait.js';
import { dockerRuleCleanup } from './docker-rules.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (stdin optional); never throws for a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no exit within ${opts.timeoutMs ?? 120_000} ms; output so far: ${(stdout + stderr).slice(-2000)}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
    // a child that exits before reading its stdin (or never starts) makes the pipe EPIPE: the exit
    // code or the spawn error is the result, not an unhandled stream error
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** `docker ARGS`; throws with the output when it exits non-zero. */
export async function docker(args: string[], opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<string> {
  const r = await run('docker', args, opts);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** `docker ARGS` whose failure is fine (cleanup). */
export async function dockerQuiet(args: string[]): Promise<RunResult> {
  return run('docker', args, { timeoutMs: 60_000 }).catch((err: Error) => ({ code: 1, stdout: '', stderr: err.message }));
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function engineAnswers(): Promise<boolean> {
  if (!has('docker')) return false;
  return (await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 }).catch(() => ({ code: 1 }))).code === 0;
}

export type Engine = { ok: true; startedDaemon?: ChildProcess; logFile?: string; iptablesBefore?: string } | { ok: false; reason: string };

export async function ensureEngine(): Promise<Engine> {
  if (await engineAnswers()) return { ok: true };
  const root = process.getuid?.() === 0;
  if (!has('dockerd') || !has('docker')) {
    if (!root || !has('apt-get')) return { ok: false, reason: 'no Docker engine, and docker.io cannot be installed here (needs root and apt-get)' };
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], { env, timeoutMs: 600_000 });
    if (install.code !== 0) {
      await run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 });
      const again = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker.io'], { env, timeoutMs: 600_000 });
      if (again.code !== 0) return { ok: false, reason: `apt-get install docker.io failed: ${again.stderr.trim().split('\n').pop()}` };
    }
  }
  if (!root) return { ok: false, reason: 'dockerd is not running and starting it needs root' };
  // what iptables held before dockerd adds its chains and rules: stopEngine removes exactly those
  const iptablesBefore = (await run('iptables-save', [], { timeoutMs: 10_000 })).stdout;
  const logFile = `/tmp/redcloud-dockerd-${process.pid}.log`;
  const out = openSync(logFile, 'a');
  const daemon = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  daemon.unref();
  try {
    await waitFor('dockerd to answer', async () => daemon.exitCode === null && (await engineAnswers()), { timeoutMs: 60_000, pollMs: 500 });
  } catch {
    const tail = spawnSync('tail', ['-n', '1', logFile], { encoding: 'utf8' }).stdout.trim();
    if (daemon.exitCode === null) daemon.kill('SIGTERM');
    return { ok: false, reason: `dockerd did not start (${tail || 'no log'})` };
  }
  return { ok: true, startedDaemon: daemon, logFile, iptablesBefore };
}

/** Stops a dockerd we started (by its pid), waits for it to exit and removes the iptables rules and chains it left. */
export async function stopEngine(e: Engine): Promise<void> {
  if (!e.ok || !e.startedDaemon) return;
  const d = e.startedDaemon;
  if (d.exitCode === null && d.signalCode === null) {
    const exited = new Promise<void>((r) => d.once('exit', () => r()));
    d.kill('SIGTERM');
    const timer = setTimeout(() => d.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  if (e.iptablesBefore === undefined) return;
  const now = (await run('iptables-save', [], { timeoutMs: 10_000 })).stdout;
  for (const args of dockerRuleCleanup(e.iptablesBefore, now)) await run('iptables', ['-w', '5', ...args], { timeoutMs: 10_000 });
}
