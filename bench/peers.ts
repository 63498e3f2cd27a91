/**
 * RedCloud beside MooseFS in one run (issue 14's table): a RedCloud cluster of 1 controller and 3
 * chunkservers with REPLICATION_FACTOR=3 on 127.0.20.x and its mount, and MooseFS (1 master, 3
 * chunkservers, goal 3) brought up by the shared harness (`peer-moosefs.sh`, in its own network
 * namespace). The same benchmark (`fsbench.sh`) runs on both mounts, alternating, BENCH_PEERS_ROUNDS
 * times (default 2); the table shows medians and RedCloud ÷ MooseFS. Extra rows measured by this
 * file on both mounts and on a local directory: SQLite inserts (one transaction each, WAL,
 * synchronous=FULL), 4 KiB random reads that the file servers must serve (RedCloud remounted with
 * --disk-cache-size 0, an 8 MiB RAM cache and no read-ahead; page cache dropped), and 4 KiB overwrite + fsync latency. CPU seconds of
 * each process during each fsbench run say what bounds a row. Not part of `npm test`.
 * BENCH_PEERS_HARNESS: the harness folder (default ../shared/bench beside the repository); without
 * it the bench says so and exits 0. FSB_* knobs pass through to fsbench (e.g. FSB_SEQ_SIZE=256M).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/cluster/paths.js';
import { startFuseCluster } from '../test/fuse/helpers/fuse-cluster.js';
import { cpuSeconds } from './measure.js';

const harness = process.env.BENCH_PEERS_HARNESS ?? join(repoRoot(), '..', 'shared', 'bench');
const rounds = Number(process.env.BENCH_PEERS_ROUNDS ?? 2);
const net = process.env.BENCH_PEERS_NET ?? '127.0.20';
const MFS_MNT = process.env.MFS_ROOT ? join(process.env.MFS_ROOT, 'mnt') : '/tmp/mfs/mnt';

// SQLite inserts (one transaction each, WAL, synchronous=FULL) and 4 KiB overwrite + fsync latency
const PY_EXTRAS = `
import os,random,sqlite3,sys,time
d,n_ins,n_ow=sys.argv[1],int(sys.argv[2]),int(sys.argv[3])
os.makedirs(d,exist_ok=True)
p=os.path.join(d,'bench.sqlite')
c=sqlite3.connect(p,isolation_level=None)
c.execute('pragma journal_mode=wal'); c.execute('pragma synchronous=full')
c.execute('create table t(id integer primary key, v blob)')
t=time.time()
for i in range(n_ins):
    c.execute('begin'); c.execute('insert into t(v) values(?)',(os.urandom(100),)); c.execute('commit')
ins=n_ins/(time.time()-t)
if c.execute('select count(*) from t').fetchone()[0]!=n_ins: sys.exit('rows lost')
c.close()
f=os.path.join(d,'ow.bin'); size=64<<20
with open(f,'wb') as o:
    o.write(os.urandom(size)); o.flush(); os.fsync(o.fileno())
fd=os.open(f,os.O_WRONLY); r=random.Random(3); lat=[]
for _ in range(n_ow):
    off=r.randrange(size//4096)*4096; b=os.urandom(4096); t=time.perf_counter()
    os.pwrite(fd,b,off); os.fsync(fd); lat.append(time.perf_counter()-t)
os.close(fd); lat.sort()
print(ins, lat[len(lat)//2]*1e3, lat[min(len(lat)-1,int(len(lat)*0.99))]*1e3)
`;

// random 4 KiB reads of a file written earlier (readahead off): IOPS
const PY_RANDOM = `
import os,random,sys,time
p,n=sys.argv[1],int(sys.argv[2])
size=os.path.getsize(p); r=random.Random(11); fd=os.open(p,os.O_RDONLY)
os.posix_fadvise(fd,0,0,os.POSIX_FADV_RANDOM)
t=time.time()
for _ in range(n):
    off=r.randrange(size//4096)*4096
    if len(os.pread(fd,4096,off))!=4096: sys.exit('short read')
print(n/(time.time()-t))
`;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 60 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

const dropCaches = (): void => void spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], { timeout: 120_000 });

const pidsOf = (pattern: string): number[] =>
  (spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean).map(Number);

/** Named groups of processes whose CPU seconds are reported. */
type Procs = Record<string, () => number[]>;
function cpuDuring(procs: Procs, fn: () => void): Record<string, number> {
  const snap = (): Record<string, number> => Object.fromEntries(Object.entries(procs).map(([k, pids]) => [k, pids().reduce((n, p) => n + cpuSeconds(p), 0)]));
  const before = snap();
  fn();
  const after = snap();
  return Object.fromEntries(Object.keys(procs).map((k) => [k, after[k]! - before[k]!]));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** fsbench's JSON fields of the table's rows */
const ROWS: [string, (j: any) => number | undefined][] = [
  ['sequential write 1 GiB + fsync, MB/s', (j) => j.seq_write?.MBps],
  ['sequential read, cold, MB/s', (j) => j.seq_read?.MBps],
  ['4 KiB random reads, O_DIRECT, IOPS', (j) => j.rand_read_4k?.iops],
  ['create 4 KiB files, /s', (j) => j.metadata?.create_ops_s],
  ['`ls -l` warm, entries/s', (j) => j.metadata?.ls_l_warm_ops_s],
  ['`ls -l` cold, entries/s', (j) => j.metadata?.ls_l_cold_ops_s],
  ['unlink, /s', (j) => j.metadata?.delete_ops_s],
  ['stat, /s', (j) => j.metadata?.stat_ops_s],
  ['tree copy (`cp -a`), MB/s', (j) => j.tree_copy?.copy_MBps],
  ['tree read-back `sha256sum -c`, MB/s', (j) => j.tree_copy?.verify_MBps],
];

async function main(): Promise<void> {
  if (!existsSync(join(harness, 'fsbench.sh')) || !existsSync(join(harness, 'peer-moosefs.sh'))) {
    process.stdout.write(`peers bench skipped: the MooseFS harness is not at ${harness} (set BENCH_PEERS_HARNESS to its folder)\n`);
    return;
  }
  const fc = await startFuseCluster({ label: 'bench-peers', net, controllers: 1, chunkservers: 3, controllerEnv: { REPLICATION_FACTOR: '3' } });
  const results = join(fc.work, 'fsbench.jsonl');
  const fsbench = (dir: string, label: string): any => {
    const out = run('bash', [join(harness, 'fsbench.sh'), dir, label], { ...process.env, FSB_EXPECT_FSTYPE: 'fuse', FSB_RESULTS: results });
    return JSON.parse(out.slice(out.indexOf('{')));
  };
  const redcloudProcs: Procs = {
    mount: () => [fc.mount.proc.pid!], chunkservers: () => fc.tc.chunkservers.map((n) => n.pid!), controller: () => [fc.tc.controllers[0]!.pid!],
  };
  const mfsProcs: Procs = { mount: () => pidsOf('mfsmount'), chunkservers: () => pidsOf('mfschunkserver'), master: () => pidsOf('mfsmaster') };
  const runs = { redcloud: [] as any[], moosefs: [] as any[] };
  const cpu = { redcloud: [] as Record<string, number>[], moosefs: [] as Record<string, number>[] };
  const extras: Record<'local' | 'redcloud' | 'moosefs', number[][]> = { local: [], redcloud: [], moosefs: [] };
  const coldReads: Record<'redcloud' | 'moosefs', number[]> = { redcloud: [], moosefs: [] };
  try {
    run('bash', [join(harness, 'peer-moosefs.sh'), 'up']);
    process.stdout.write(`MooseFS up at ${MFS_MNT}; RedCloud mounted at ${fc.mnt}; ${rounds} alternating rounds\n`);
    const local = join(fc.work, 'local');
    for (let r = 1; r <= rounds; r++) {
      cpu.moosefs.push(cpuDuring(mfsProcs, () => runs.moosefs.push(fsbench(MFS_MNT, `moosefs-${r}`))));
      cpu.redcloud.push(cpuDuring(redcloudProcs, () => runs.redcloud.push(fsbench(fc.mnt, `redcloud-${r}`))));
      for (const [name, dir] of [['local', local], ['moosefs', join(MFS_MNT, 'extras')], ['redcloud', join(fc.mnt, 'extras')]] as const) {
        extras[name].push(run('python3', ['-c', PY_EXTRAS, dir, '300', '200']).trim().split(' ').map(Number));
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // random reads the file servers must serve: a 256 MiB file, page cache dropped, RedCloud without its disk cache
    for (const dir of [MFS_MNT, fc.mnt]) run('dd', ['if=/dev/urandom', `of=${join(dir, 'cold.bin')}`, 'bs=1M', 'count=256', 'conv=fsync', 'status=none']);
    await fc.remount(['--disk-cache-size', '0', '--cache-size', '8MiB', '--read-ahead', '0']);
    for (let r = 1; r <= rounds; r++) {
      for (const [name, dir] of [['moosefs', MFS_MNT], ['redcloud', fc.mnt]] as const) {
        dropCaches();
        coldReads[name].push(Number(run('python3', ['-c', PY_RANDOM, join(dir, 'cold.bin'), '500']).trim()));
      }
    }
    rmSync(join(MFS_MNT, 'cold.bin'), { force: true });
  } finally {
    spawnSync('bash', [join(harness, 'peer-moosefs.sh'), 'down'], { stdio: 'ignore', timeout: 120_000 });
    await fc.stop();
  }

  const lines = ['| figure | RedCloud | MooseFS | RedCloud ÷ MooseFS |', '|---|---|---|---|'];
  const row = (name: string, rc: number, mfs: number, digits = 1): void => {
    lines.push(`| ${name} | ${rc.toFixed(digits)} | ${mfs.toFixed(digits)} | ${(rc / mfs).toFixed(2)} |`);
  };
  for (const [name, get] of ROWS) {
    const rc = runs.redcloud.map(get).filter((v): v is number => typeof v === 'number');
    const mfs = runs.moosefs.map(get).filter((v): v is number => typeof v === 'number');
    if (rc.length && mfs.length) row(name, median(rc), median(mfs));
  }
  const ex = (name: 'local' | 'redcloud' | 'moosefs', i: number): number => median(extras[name].map((e) => e[i]!));
  row('SQLite inserts, 1 transaction each (WAL, synchronous=FULL), /s', ex('redcloud', 0), ex('moosefs', 0));
  row('4 KiB random reads served by the file servers, IOPS', median(coldReads.redcloud), median(coldReads.moosefs));
  row('4 KiB overwrite + fsync, p50 ms (lower is better)', ex('redcloud', 1), ex('moosefs', 1), 2);
  row('4 KiB overwrite + fsync, p99 ms (lower is better)', ex('redcloud', 2), ex('moosefs', 2), 2);
  process.stdout.write(`\nRedCloud ÷ MooseFS, medians of ${rounds} alternating runs (fsbench: ${harness}):\n${lines.join('\n')}\n`);
  process.stdout.write(`SQLite inserts/s on the local directory: ${ex('local', 0).toFixed(1)} (RedCloud ÷ local ${(ex('redcloud', 0) / ex('local', 0)).toFixed(3)}, MooseFS ÷ local ${(ex('moosefs', 0) / ex('local', 0)).toFixed(3)}); local overwrite + fsync p50 ${ex('local', 1).toFixed(2)} ms\n`);
  const cpuLine = (name: 'redcloud' | 'moosefs'): string =>
    Object.keys(cpu[name][0] ?? {}).map((k) => `${k} ${median(cpu[name].map((c) => c[k]!)).toFixed(1)} s`).join(', ');
  process.stdout.write(`CPU seconds per fsbench run (median): RedCloud ${cpuLine('redcloud')}; MooseFS ${cpuLine('moosefs')}\n`);
}

await main();
process.exit(0);
