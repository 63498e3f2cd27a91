/**
 * What the benchmarks share: a temp dir and a LocalCluster that are always cleaned up (with the
 * nodes' log tails printed on failure), measuring a child process (wall time and peak resident
 * memory, VmHWM from /proc/<pid>/status polled while it runs, with a hard timeout), checking it
 * succeeded, writing a random input file, and a process's CPU seconds so far.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../src/cluster/index.js';

/**
 * Runs `body` in a fresh temp dir (under BENCH_DIR if set) with a LocalCluster. A failure prints
 * its message and every node's log tail and sets exit code 1; the nodes are always killed and the
 * dir removed.
 */
export async function withBenchCluster(name: string, body: (dir: string, cluster: LocalCluster) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), `redcloud-bench-${name}-`));
  const cluster = new LocalCluster();
  try {
    await body(dir, cluster);
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n${cluster.logs(30)}\n`);
    process.exitCode = 1;
  } finally {
    await cluster.stopAll({ kill: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Measured {
  exitCode: number | null;
  durationMs: number;
  peakRssBytes: number;
  stderr: string;
}

function vmHwmBytes(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function measure(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peak = 0;
    child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const poll = setInterval(() => { if (child.pid) peak = Math.max(peak, vmHwmBytes(child.pid)); }, 20);
    const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.once('error', (err) => { clearInterval(poll); clearTimeout(killer); reject(err); });
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ exitCode: code, durationMs: Number(process.hrtime.bigint() - started) / 1e6, peakRssBytes: peak, stderr });
    });
  });
}

/** Throws with the command's stderr unless it exited 0. */
export function check(m: Measured, what: string): Measured {
  if (m.exitCode !== 0) throw new Error(`${what} exited ${m.exitCode}: ${m.stderr.trim()}`);
  return m;
}

/** Writes `bytes` random bytes to `path`, 4 MiB at a time. */
export function writeRandom(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += 4 << 20) writeSync(fd, randomBytes(Math.min(4 << 20, bytes - done)));
  } finally {
    closeSync(fd);
  }
}

/** CPU seconds (user + system, all threads) process `pid` has used so far; 0 once it has exited. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
