/**
 * Measuring a child process for the benchmarks: wall time and peak resident memory (VmHWM from
 * /proc/<pid>/status, polled while it runs), with a hard timeout.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
