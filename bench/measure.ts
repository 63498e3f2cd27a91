/**
 * What the benchmarks share: a temp dir and a LocalCluster that are always cleaned up (with the
 * nodes' log tails printed on failure), measuring a child process (wall time and peak resident
 * memory, VmHWM from /proc/<pid>/status polled while it runs, with a hard timeout), checking it
 * succeeded, writing a random input file, and a process's CPU seconds so far; running a command
 * timed, dropping the page cache, and timing 4 KiB random preads of a file.
 */
import { spawn, spawnSync } from 'node:child_process';
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
  const { userSeconds, sysSeconds } = cpuSplit(pid);
  return userSeconds + sysSeconds;
}

/** A process's user and kernel CPU seconds so far (all its threads; 0 once it is gone). */
export function cpuSplit(pid: number): { userSeconds: number; sysSeconds: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { userSeconds: Number(fields[11]) / 100, sysSeconds: Number(fields[12]) / 100 };
  } catch {
    return { userSeconds: 0, sysSeconds: 0 };
  }
}

/** Runs `cmd` to completion (throwing on a non-zero exit): its stdout and wall seconds. */
export function runTimed(cmd: string, args: string[], timeoutMs = 30 * 60_000): { out: string; seconds: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { out: r.stdout, seconds };
}

/** Drops the kernel's page cache (root): whether it worked. */
export function dropCaches(): boolean {
  return spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], { timeout: 60_000 }).status === 0;
}

// n 4 KiB preads at random aligned offsets of a file (seeded): the seconds they took
const PY_RANDOM_READS = `
import os,random,sys,time
p,n,seed=sys.argv[1],int(sys.argv[2]),int(sys.argv[3])
size=os.path.getsize(p); r=random.Random(seed); fd=os.open(p,os.O_RDONLY)
t=time.time()
for _ in range(n):
    off=r.randrange(0,max(1,size//4096))*4096
    if len(os.pread(fd,4096,off))!=min(4096,size-off): sys.exit('short read')
print(time.time()-t)
`;

/** Seconds that `n` random 4 KiB reads of `path` take (python's os.pread, one process). */
export function randomReadSeconds(path: string, n: number, seed = 11): number {
  return Number(runTimed('python3', ['-c', PY_RANDOM_READS, path, String(n), String(seed)]).out.trim());
}
