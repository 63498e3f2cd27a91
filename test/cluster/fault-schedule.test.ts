/**
 * Seeded random fault schedules against a real cluster (Jepsen-style): 3 controllers and 4
 * chunkservers on 127.0.37.x (REPLICATION_FACTOR 3, WRITE_QUORUM 2, 256 KiB chunks), one mount,
 * and, while a schedule of kill -9 + restart of any node, iptables partitions between any two
 * nodes and a full disk on chunkserver 4 (its data directory is a 48 MiB tmpfs) runs, three
 * workloads: CLI uploads, mount writes that end with fsync and close, and CLI tag additions.
 * Every operation that reported success is recorded. After the schedule every fault is healed
 * and each recorded operation is checked through every controller: the listing names the file,
 * its bytes have the recorded hash, its tags include each acknowledged tag.
 *
 * `npm test` runs FAULT_SEEDS (default "1,2") for FAULT_SECONDS (default 20) each. By hand, e.g.
 * `FAULT_SEEDS=1..100 FAULT_SECONDS=60 node scripts/run-tests.mjs dist/test/cluster/fault-schedule.test.js`.
 * A failure prints its seed and schedule; the same FAULT_SEEDS/FAULT_SECONDS replay the schedule
 * (the workloads' timing is not replayed: they run as fast as the cluster lets them).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { partition, type Partition } from '../../src/cluster/index.js';
import type { NodeProcess } from '../../src/cluster/index.js';
import { createClient } from '../../src/client/client.js';
import { startMount, type MountProcess } from '../fuse/helpers/fuse-cluster.js';
import { seededRandom } from '../helpers/prng.js';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { describeSchedule, faultSchedule, parseSeeds, type Fault } from './fault-plan.js';

const NET = '127.0.37';
const SEEDS = parseSeeds(process.env.FAULT_SEEDS ?? '1,2');
const SECONDS = Number(process.env.FAULT_SECONDS ?? 20);
const CHUNK_SIZE = '256KiB';
const FILL_MIB = 48;
const USER = 'chaos';
const PASSWORD = 'pw-chaos-1';
const exec = promisify(execFile);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An operation the cluster acknowledged. */
type Acked =
  | { kind: 'upload' | 'mount-write'; path: string; sha: string }
  | { kind: 'tag'; path: string; tag: string };

interface Run {
  tc: TestCluster;
  mount: MountProcess;
  token: string;
  work: string;
  acked: Acked[];
  /** what each workload tried and got, for the report */
  tried: Record<string, { ok: number; failed: number; lastError?: string }>;
}

const WRITE_AND_FSYNC = `
import os,sys
data=open(sys.argv[1],'rb').read()
fd=os.open(sys.argv[2],os.O_WRONLY|os.O_CREAT|os.O_TRUNC,0o644)
view=memoryview(data)
while view:
    n=os.write(fd,view)
    view=view[n:]
os.fsync(fd)
os.close(fd)
`;

function nodeOf(tc: TestCluster, id: string): NodeProcess {
  const node = [...tc.controllers, ...tc.chunkservers].find((n) => n.spec.id === id);
  if (!node) throw new Error(`no node ${id}`);
  return node;
}

function note(run: Run, workload: string, ok: boolean, err?: string): void {
  const t = (run.tried[workload] ??= { ok: 0, failed: 0 });
  if (ok) t.ok++;
  else {
    t.failed++;
    t.lastError = err?.trim().split('\n').at(-1)?.slice(0, 200);
  }
}

/** Random bytes of 1 B to 1.2 MB (up to 5 chunks), some of them repeats (dedup under faults). */
function content(rnd: () => number, earlier: Buffer[]): Buffer {
  if (earlier.length > 0 && rnd() < 0.15) return earlier[Math.floor(rnd() * earlier.length)]!;
  const size = rnd() < 0.3 ? 1 + Math.floor(rnd() * 4096) : Math.floor(rnd() * 1_200_000);
  const b = randomBytes(size);
  earlier.push(b);
  return b;
}

async function uploads(run: Run, rnd: () => number, until: number): Promise<void> {
  const earlier: Buffer[] = [];
  for (let i = 0; Date.now() < until; i++) {
    const data = content(rnd, earlier);
    const local = join(run.work, `up${i}`);
    writeFileSync(local, data);
    const path = `/up/f${i}`;
    const r = await run.tc.cli.run(['upload', local, '--to', path], { timeoutMs: 90_000 });
    note(run, 'upload', r.exitCode === 0, r.stderr);
    if (r.exitCode === 0) run.acked.push({ kind: 'upload', path, sha: sha(data) });
  }
}

async function mountWrites(run: Run, rnd: () => number, until: number): Promise<void> {
  const earlier: Buffer[] = [];
  for (let i = 0; Date.now() < until; i++) {
    const data = content(rnd, earlier);
    const local = join(run.work, `mw${i}`);
    writeFileSync(local, data);
    try {
      await exec('python3', ['-c', WRITE_AND_FSYNC, local, join(run.mount.dir, 'w', `f${i}`)], { timeout: 90_000, killSignal: 'SIGKILL' });
      note(run, 'mount write', true);
      run.acked.push({ kind: 'mount-write', path: `/w/f${i}`, sha: sha(data) });
    } catch (err) {
      note(run, 'mount write', false, String((err as { stderr?: string }).stderr || (err as Error).message));
    }
  }
}

async function tagging(run: Run, rnd: () => number, until: number): Promise<void> {
  for (let i = 0; Date.now() < until; i++) {
    const files = run.acked.filter((a) => a.kind === 'upload');
    if (files.length === 0) {
      await sleep(200); // nothing to tag yet: the upload workload has not had a success
      continue;
    }
    const path = files[Math.floor(rnd() * files.length)]!.path;
    const tag = `t${i}`;
    const r = await run.tc.cli.run(['tag', 'add', path, tag], { timeoutMs: 90_000 });
    note(run, 'tag', r.exitCode === 0, r.stderr);
    if (r.exitCode === 0) run.acked.push({ kind: 'tag', path, tag });
  }
}

const addrOf = (id: string): string => (id.startsWith('ctl') ? `${NET}.${10 + Number(id.slice(3))}` : `${NET}.${20 + Number(id.slice(2))}`);

/** Runs one fault and undoes it after its time; returns once it is undone. */
async function inflict(run: Run, f: Fault, fillDir: string, log: string[]): Promise<void> {
  const t0 = Date.now();
  if (f.kind === 'kill') {
    const node = nodeOf(run.tc, f.node);
    await node.kill('SIGKILL');
    await sleep(f.forMs);
    node.start();
    await node.waitHealthy({ timeoutMs: 60_000 });
  } else if (f.kind === 'partition') {
    const p: Partition = await partition(addrOf(f.a), addrOf(f.b));
    try {
      await sleep(f.forMs);
    } finally {
      await p.heal();
    }
  } else {
    const filler = join(fillDir, 'filler');
    // dd stops with ENOSPC once the tmpfs is full: that is the point
    await exec('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', `count=${FILL_MIB}`], { timeout: 30_000 }).catch(() => undefined);
    await sleep(f.forMs);
    rmSync(filler, { force: true });
  }
  log.push(`  ${f.kind} ${f.kind === 'partition' ? `${f.a}|${f.b}` : f.node} done after ${Date.now() - t0} ms`);
}

async function verify(run: Run): Promise<string[]> {
  const problems: string[] = [];
  const files = run.acked.filter((a): a is Extract<Acked, { sha: string }> => a.kind !== 'tag');
  const tags = run.acked.filter((a): a is Extract<Acked, { kind: 'tag' }> => a.kind === 'tag');
  for (const url of run.tc.controllerUrls) {
    const client = createClient({ controllers: [url], token: run.token, chunkSizeBytes: 256 * 1024, concurrency: 4, requestTimeoutMs: 10_000 });
    const names = async (dir: string): Promise<Set<string>> => new Set((await client.list(dir).catch(() => [])).map((e) => e.path));
    // converged: every acknowledged file is listed by this controller
    await waitFor(`${url} to list all ${files.length} acknowledged files`, async () => {
      const listed = new Set([...(await names('/up')), ...(await names('/w'))]);
      return files.every((f) => listed.has(f.path));
    }, { timeoutMs: 60_000, pollMs: 500 }).catch((err: Error) => problems.push(err.message));
    for (const f of files) {
      const out = join(run.work, 'check');
      try {
        await client.downloadFile(f.path, out);
        const got = sha(readFileSync(out));
        if (got !== f.sha) problems.push(`${url}: ${f.kind} ${f.path} has sha256 ${got.slice(0, 12)}…, acknowledged ${f.sha.slice(0, 12)}…`);
      } catch (err) {
        problems.push(`${url}: ${f.kind} ${f.path} unreadable: ${(err as Error).message}`);
      }
    }
    for (const t of tags) {
      const entry = await client.stat(t.path).catch((err: Error) => err);
      if (entry instanceof Error) problems.push(`${url}: stat ${t.path}: ${entry.message}`);
      else if (!entry.tags.includes(t.tag)) problems.push(`${url}: ${t.path} lacks acknowledged tag ${t.tag} (has ${entry.tags.join(',')})`);
    }
  }
  return problems;
}

const test = suite('fault schedule');

for (const seed of SEEDS) {
  test(`seed ${seed}: every acknowledged upload, fsynced mount write and tag survives ${SECONDS} s of kills, partitions and a full disk`, async () => {
    const fillLabel = `fault-${seed}`;
    let fillDir = '';
    const tc = await startTestCluster({
      label: fillLabel, net: NET, controllers: 3, chunkservers: 4,
      controllerEnv: { REPLICATION_FACTOR: '3', WRITE_QUORUM: '2', CHUNK_SIZE },
      beforeStart: (dir) => {
        // chunkserver 4 keeps its chunks on a small tmpfs, which the full-disk fault fills
        fillDir = join(dir, 'cs4');
        mkdirSync(fillDir, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${FILL_MIB}m,mode=0700`, 'tmpfs', fillDir]);
      },
    });
    const faults = faultSchedule(
      { controllers: ['ctl1', 'ctl2', 'ctl3'], chunkservers: ['cs1', 'cs2', 'cs3', 'cs4'], fillable: 'cs4' },
      { seed, durationMs: SECONDS * 1000 },
    );
    const report = `seed ${seed}, FAULT_SECONDS=${SECONDS}, schedule:\n${describeSchedule(faults)}`;
    let mount: MountProcess | undefined;
    const done: string[] = [];
    let run: Run | undefined;
    try {
      tc.cli.env.CHUNK_SIZE = CHUNK_SIZE;
      const token = await tc.signUp(USER, PASSWORD);
      mount = await startMount(tc, join(tc.dir, 'mnt'));
      mkdirSync(join(mount.dir, 'w'));
      const work = join(tc.dir, 'work');
      mkdirSync(work, { recursive: true });
      run = { tc, mount, token, work, acked: [], tried: {} };
      const rnd = seededRandom(seed * 7919);
      const start = Date.now();
      const until = start + SECONDS * 1000;
      const nemesis = (async () => {
        // A fault on a node starts only once the previous one on it is undone (a restart takes
        // longer than the schedule's down time); the faults on other nodes keep their times.
        const lastOn = new Map<string, Promise<void>>();
        const failures: Error[] = [];
        for (const f of faults) {
          await sleep(Math.max(0, start + f.atMs - Date.now())); // the schedule's own times
          const nodes = f.kind === 'partition' ? [f.a, f.b] : [f.node];
          const before = Promise.all(nodes.map((n) => lastOn.get(n)));
          const p = before.then(() => inflict(run!, f, fillDir, done)).catch((err: Error) => { failures.push(err); });
          for (const n of nodes) lastOn.set(n, p);
        }
        await Promise.all(lastOn.values());
        if (failures.length > 0) throw new Error(`the fault schedule itself failed: ${failures.map((e) => e.message.split('\n')[0]).join('; ')}`);
      })();
      await Promise.all([uploads(run, rnd, until), mountWrites(run, rnd, until), tagging(run, rnd, until), nemesis]);
      const problems = await verify(run);
      const summary = Object.entries(run.tried).map(([k, v]) => `${k}: ${v.ok} acknowledged, ${v.failed} failed${v.lastError ? ` (last: ${v.lastError})` : ''}`).join('; ');
      process.stdout.write(`fault schedule seed ${seed}: ${faults.length} faults; ${summary}\n`);
      if (problems.length > 0) {
        tc.dumpLogs();
        assert.unreachable(`${problems.length} acknowledged operations not found intact:\n${problems.slice(0, 30).join('\n')}\n${report}\n${done.join('\n')}`);
      }
      // a run in which nothing was acknowledged would check nothing
      assert.ok((run.tried.upload?.ok ?? 0) > 0 && (run.tried['mount write']?.ok ?? 0) > 0, `no upload or no mount write acknowledged: ${summary}\n${report}`);
    } catch (err) {
      process.stderr.write(`fault schedule failed; replay with FAULT_SEEDS=${seed} FAULT_SECONDS=${SECONDS}\n${report}\n`);
      if (mount) process.stderr.write(`===== mount log =====\n${mount.logs().split('\n').slice(-40).join('\n')}\n`);
      throw err;
    } finally {
      await mount?.stop().catch(() => undefined);
      await tc.cluster.stopAll({ kill: true }).catch(() => undefined);
      if (fillDir) {
        try { execFileSync('umount', [fillDir]); } catch { /* not mounted */ }
      }
      await tc.stop();
    }
  });
}

test.run();
