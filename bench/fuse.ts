/**
 * Benchmark of the mounted directory: a cluster of 1 controller and 3 chunkservers with
 * REPLICATION_FACTOR=3 on 127.0.18.x, a real mount, and a local directory on the same disk,
 * measured in the same run: sequential write (with fsync) and read (page cache dropped) of
 * BENCH_FUSE_SIZE (default 1GiB), 4 KiB random reads (IOPS), create/stat/`ls -l`/delete of 2,000
 * small files (ops/s), and the seconds of an `mv` of one file and of a directory holding
 * BENCH_FUSE_MV_FILES (10,000) files. Prints each figure and its ratio to the local directory. The random reads follow
 * the sequential read, so the mount serves them from its disk chunk cache; a second figure, after
 * a remount with --disk-cache-size 0, shows random reads that must fetch from the chunkservers.
 * For each phase on the mount it also prints the CPU seconds of the mount, the chunkservers and
 * the controller (/proc/<pid>/stat), which say what limits each figure. Not part of `npm test`.
 * Needs root for drop_caches (skipped with a note otherwise). BENCH_FUSE_NET (default 127.0.18)
 * is the /24 of the cluster; BENCH_FUSE_ONLY=small runs only the small-file phase (create, stat,
 * `ls -l`, unlink), e.g. to compare unlink rates of two builds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseBytes } from '../src/common/config.js';
import { startFuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { cpuSeconds, dropCaches, randomReadSeconds, runTimed as run } from './measure.js';

const MB = 1_000_000;
const sizeBytes = parseBytes(process.env.BENCH_FUSE_SIZE ?? '1GiB');
const randomReads = Number(process.env.BENCH_FUSE_RANDOM_READS ?? 2000);
const smallFiles = Number(process.env.BENCH_FUSE_FILES ?? 2000);
const mountArgs = (process.env.BENCH_FUSE_MOUNT_ARGS ?? '').split(/\s+/).filter(Boolean);
const mvFiles = Number(process.env.BENCH_FUSE_MV_FILES ?? 10_000);
const net = process.env.BENCH_FUSE_NET ?? '127.0.18';
const onlySmall = process.env.BENCH_FUSE_ONLY === 'small';

// create, stat, "ls -l" (list + lstat every entry), unlink of n small files: seconds of each. The
// stat and ls -l phases start after a pause longer than the kernel's attribute and entry timeouts
// (1 s by default), so each starts with nothing in the kernel's cache: otherwise how many of their
// lookups the kernel answers depends on how fast the phase before ran (the faster the creates, the
// more of them are still cached at the stat phase and expire during the ls -l phase).
const PY_META = `
import os,sys,time
d,n,pause=sys.argv[1],int(sys.argv[2]),float(sys.argv[3])
os.makedirs(d,exist_ok=True)
t0=time.time()
for i in range(n):
    with open(os.path.join(d,'f%05d'%i),'wb') as f: f.write(b'x'*100)
t1=time.time()
time.sleep(pause)
t1b=time.time()
for i in range(n): os.stat(os.path.join(d,'f%05d'%i))
t2=time.time()
time.sleep(pause)
t2b=time.time()
names=os.listdir(d)
for x in names: os.lstat(os.path.join(d,x))
t3=time.time()
for i in range(n): os.unlink(os.path.join(d,'f%05d'%i))
t4=time.time()
print(t1-t0,t2-t1b,t3-t2b,t4-t3)
`;
/** seconds between the small-file phases: past the kernel's default 1 s timeouts */
const PHASE_PAUSE_S = 1.2;

// mv of one empty file, then of a directory holding n empty files (made with mknod): seconds of each
const PY_MV = `
import os,stat,sys,time
d,n=sys.argv[1],int(sys.argv[2])
os.makedirs(os.path.join(d,'big'),exist_ok=True)
for i in range(n): os.mknod(os.path.join(d,'big','f%05d'%i),stat.S_IFREG|0o644)
os.mknod(os.path.join(d,'one'),stat.S_IFREG|0o644)
t0=time.time(); os.rename(os.path.join(d,'one'),os.path.join(d,'one2')); t1=time.time()
os.rename(os.path.join(d,'big'),os.path.join(d,'big2')); t2=time.time()
if len(os.listdir(os.path.join(d,'big2')))!=n: sys.exit('lost files in the move')
print(t1-t0,t2-t1)
`;

interface Figures {
  writeMBs: number; readMBs: number; randomIops: number; createOps: number; statOps: number; lsLongOps: number; deleteOps: number;
  /** seconds to mv one file, and a directory of mvFiles files */
  mvOneS: number; mvDirS: number;
}

/** The processes whose CPU use is reported per phase. */
interface Processes { mount: number; chunkservers: number[]; controller: number }

function cpuUse(p: Processes): number[] {
  return [cpuSeconds(p.mount), p.chunkservers.reduce((n, pid) => n + cpuSeconds(pid), 0), cpuSeconds(p.controller)];
}

/** Runs the phases on `dir`; with `procs`, also the CPU seconds each phase cost them. */
function measureDir(dir: string, src: string, procs?: Processes): { figures: Figures; cpu: string[] } {
  const cpu: string[] = [];
  const phase = <T>(name: string, fn: () => T): T => {
    const before = procs && cpuUse(procs);
    const out = fn();
    if (procs && before) cpu.push(`  ${name.padEnd(44)} ${cpuUse(procs).map((v, i) => (v - before[i]!).toFixed(1).padStart(6)).join(' /')}`);
    return out;
  };
  const small = (): number[] => phase(`${smallFiles} small files: create, stat, ls -l, delete`, () =>
    run('python3', ['-c', PY_META, join(dir, 'small'), String(smallFiles), String(PHASE_PAUSE_S)]).out.trim().split(' ').map(Number));
  if (onlySmall) {
    const [c, s, ls, d] = small();
    return { figures: { createOps: smallFiles / c!, statOps: smallFiles / s!, lsLongOps: smallFiles / ls!, deleteOps: smallFiles / d! } as Figures, cpu };
  }
  const target = join(dir, 'seq.bin');
  const w = phase(`sequential write of ${(sizeBytes / 2 ** 20).toFixed(0)} MiB`, () => run('dd', [`if=${src}`, `of=${target}`, 'bs=1M', 'conv=fsync', 'status=none']));
  dropCaches();
  const r = phase(`cold sequential read of ${(sizeBytes / 2 ** 20).toFixed(0)} MiB`, () => run('dd', [`if=${target}`, 'of=/dev/null', 'bs=1M', 'status=none']));
  dropCaches();
  const rnd = phase(`${randomReads} random 4 KiB reads`, () => randomReadSeconds(target, randomReads, 7));
  const [c, s, ls, d] = small();
  const [mvOne, mvDir] = phase(`mv of one file, then of a ${mvFiles}-file directory`, () =>
    run('python3', ['-c', PY_MV, join(dir, 'mv'), String(mvFiles)]).out.trim().split(' ').map(Number));
  return {
    figures: {
      writeMBs: sizeBytes / MB / w.seconds, readMBs: sizeBytes / MB / r.seconds, randomIops: randomReads / rnd,
      createOps: smallFiles / c!, statOps: smallFiles / s!, lsLongOps: smallFiles / ls!, deleteOps: smallFiles / d!,
      mvOneS: mvOne!, mvDirS: mvDir!,
    },
    cpu,
  };
}

const TARGETS: Partial<Record<keyof Figures, number>> = { writeMBs: 0.25, readMBs: 0.5, randomIops: 0.3, createOps: 0.12, statOps: 0.05 };

async function main(): Promise<void> {
  const fc = await startFuseCluster({
    label: 'bench-fuse', net, controllers: 1, chunkservers: 3,
    controllerEnv: { REPLICATION_FACTOR: '3' }, mountArgs,
  });
  try {
    const src = join(fc.work, 'src.bin');
    if (!onlySmall) run('dd', ['if=/dev/urandom', `of=${src}`, 'bs=1M', `count=${Math.ceil(sizeBytes / (1024 * 1024))}`, 'iflag=fullblock', 'status=none']);
    const local = join(fc.work, 'local');
    mkdirSync(local);
    if (!dropCaches()) process.stdout.write('note: cannot drop the page cache (not root?): read figures include cached data\n');
    process.stdout.write(`FUSE benchmark: ${sizeBytes} bytes, ${randomReads} random 4 KiB reads, ${smallFiles} small files; mount args: ${mountArgs.join(' ') || '(defaults)'}\n`);
    const l = measureDir(local, src).figures;
    const procs = { mount: fc.mount.proc.pid!, chunkservers: fc.tc.chunkservers.map((n) => n.pid!), controller: fc.tc.controllers[0]!.pid! };
    const { figures: m, cpu } = measureDir(fc.mnt, src, procs);
    const rows = (Object.keys(l) as (keyof Figures)[]).filter((k) => m[k] !== undefined).map((k) => {
      if (k === 'mvOneS' || k === 'mvDirS') return `${k.padEnd(11)} local ${l[k].toFixed(4).padStart(10)}  mount ${m[k].toFixed(4).padStart(10)}  seconds`;
      const ratio = m[k] / l[k];
      const target = TARGETS[k];
      return `${k.padEnd(11)} local ${l[k].toFixed(1).padStart(10)}  mount ${m[k].toFixed(1).padStart(10)}  ratio ${ratio.toFixed(3)}${target ? `  (target ≥ ${target}: ${ratio >= target ? 'met' : 'NOT met'})` : ''}`;
    });
    process.stdout.write(`${rows.join('\n')}\n`);
    process.stdout.write(`CPU seconds of each phase on the mount (mount / ${procs.chunkservers.length} chunkservers / controller), on ${availableParallelism()} cores:\n${cpu.join('\n')}\n`);
    if (onlySmall) return;
    // random reads with no disk cache: every first touch of a chunk fetches it from a chunkserver
    await fc.remount([...mountArgs, '--disk-cache-size', '0']);
    dropCaches();
    const coldReads = Math.max(50, Math.round(randomReads / 10));
    const cold = coldReads / randomReadSeconds(join(fc.mnt, 'seq.bin'), coldReads, 7);
    process.stdout.write(`randomIops, mount without its disk cache (--disk-cache-size 0, ${coldReads} reads): ${cold.toFixed(1)}  ratio ${(cold / l.randomIops).toFixed(3)}\n`);
    writeFileSync(join(fc.work, 'result.json'), JSON.stringify({ local: l, mount: m, coldRandomIops: cold }));
  } finally {
    await fc.stop();
  }
}

await main();
process.exit(0);
