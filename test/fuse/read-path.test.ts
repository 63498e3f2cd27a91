/**
 * The mount's read path on a real cluster (1 controller + 3 chunkservers on 127.0.55.x, 3
 * replicas; the mount with --disk-cache-size 0 --cache-size 8MiB --read-ahead 0, so the
 * chunkservers serve what the kernel does not keep): random 4 KiB reads move about one 64 KiB
 * block each, even when they land near each other; a file reread after close and open is served
 * by the kernel's page cache (no chunkserver traffic) while unchanged; a change made by the CLI
 * or another mount is seen by the next open; a sequential reader's parallel read-ahead (chunk i
 * from replica i mod 3) catches a corrupted block on the replica it tried and fails over.
 * The machine is shared: anyone's drop_caches empties the page cache, so the reread is checked
 * only while fincore says every page of the file is resident.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlan } from '../../src/common/api.js';
import { BLOCK_BYTES } from '../../src/common/chunk-format.js';
import { getJson } from '../helpers/http.js';
import { seededRandom } from '../helpers/prng.js';
import { stepsFor } from '../helpers/step.js';
import { waitFor } from '../helpers/wait.js';
import { metricValue, startFuseCluster, startMount, type FuseCluster, type MountProcess } from './helpers/fuse-cluster.js';

const MiB = 1024 * 1024;
const KiB = 1024;
const test = suite('fuse read path');
const ctx: { fc?: FuseCluster; other?: MountProcess } = {};
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  return b;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** preads of 4 KiB at `offsets` in another process (a process must not touch its own mount). */
function preads(path: string, offsets: number[]): Buffer[] {
  const py = 'import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY)\nfor o in sys.argv[2:]: print(os.pread(fd,4096,int(o)).hex())';
  const r = spawnSync('python3', ['-c', py, path, ...offsets.map(String)], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`pread: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((h) => Buffer.from(h, 'hex'));
}

/** sha256 of the file as `cat` in another process reads it (one open, read to the end, close). */
function catSha(path: string): string {
  const r = spawnSync('sh', ['-c', `cat "$1" | sha256sum`, 'sh', path], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`cat ${path}: ${r.stderr}`);
  return r.stdout.split(' ')[0]!;
}

/** Pages of `path` in the page cache and its size in pages (fincore). */
function resident(path: string): { pages: number; of: number } {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'PAGES,SIZE', path], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`fincore: ${r.stderr}`);
  const [pages, size] = r.stdout.trim().split(/\s+/).map(Number);
  return { pages: pages!, of: Math.ceil(size! / 4096) };
}

async function bytesServed(fc: FuseCluster): Promise<number> {
  let sum = 0;
  for (const cs of fc.tc.chunkservers) sum += metricValue(await (await fetch(`${cs.url}/metrics`)).text(), 'redcloud_chunkserver_bytes_out_total');
  return sum;
}

const dropCaches = (): void => void spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);

async function plan(fc: FuseCluster, path: string): Promise<ReadPlan> {
  return (await getJson<ReadPlan>(`${fc.tc.controllerUrls[0]}/v1/fs/read?path=${encodeURIComponent(path)}`, fc.token)).data;
}

function cpIn(fc: FuseCluster, mnt: string, name: string, data: Buffer): void {
  const src = join(fc.work, `${name}.src`);
  writeFileSync(src, data);
  const cp = spawnSync('cp', [src, join(mnt, name)], { timeout: 60_000 });
  assert.is(cp.status, 0, `cp into the mount: ${cp.stderr}`);
}

test.before(async () => {
  try {
    ctx.fc = await startFuseCluster({
      label: 'fuse-read-path', net: '127.0.55', hostOffset: 60, controllers: 1, chunkservers: 3,
      controllerEnv: { REPLICATION_FACTOR: '3', WRITE_QUORUM: '3', HEARTBEAT_TIMEOUT: '3s', GOSSIP_INTERVAL: '200ms', REPAIR_INTERVAL: '2s', ANTI_ENTROPY_INTERVAL: '2s' },
      mountArgs: ['--disk-cache-size', '0', '--cache-size', '8MiB', '--read-ahead', '0'],
    });
  } catch (err) {
    process.stderr.write(`fuse read path: setup failed: ${(err as Error).stack}\n`);
    throw err;
  }
});
test.after(async () => {
  await ctx.other?.stop().catch(() => undefined);
  await ctx.fc?.stop();
});

const big = pattern(24 * MiB + 4096, 1);

step('random 4 KiB reads, many near the last one, move at most 128 KiB each', async (fc) => {
  cpIn(fc, fc.mnt, 'r.bin', big);
  await fc.remount();
  dropCaches();
  const rnd = seededRandom(55);
  // a 24 MiB file: most reads land within a chunk of the one before (once taken for a sequential reader)
  const offsets = Array.from({ length: 60 }, () => Math.floor(rnd() * (big.length / 4096 - 1)) * 4096);
  const before = await bytesServed(fc);
  const got = preads(join(fc.mnt, 'r.bin'), offsets);
  offsets.forEach((o, i) => assert.ok(got[i]!.equals(big.subarray(o, o + 4096)), `pread at ${o}`));
  await waitFor('the chunkservers count what they sent', async () => (await bytesServed(fc)) > before);
  const moved = (await bytesServed(fc)) - before;
  assert.ok(moved <= offsets.length * 128 * KiB, `${offsets.length} random reads moved ${(moved / KiB).toFixed(0)} KiB (${(moved / offsets.length / KiB).toFixed(1)} KiB each)`);
});

step('an unchanged file reread after close and open costs no chunkserver traffic', async (fc) => {
  const path = join(fc.mnt, 'r.bin');
  assert.is(catSha(path), sha(big), 'first read');
  for (let attempt = 1; ; attempt++) {
    const before = await bytesServed(fc);
    const was = resident(path);
    assert.is(catSha(path), sha(big), 'reread');
    const moved = (await bytesServed(fc)) - before;
    if (was.pages === was.of) {
      assert.is(moved, 0, `the reread (all ${was.of} pages cached) fetched ${moved} bytes`);
      break;
    }
    // someone's drop_caches (shared machine) between the reads: read it in again and retry
    assert.ok(attempt < 3, `the page cache kept only ${was.pages} of ${was.of} pages three times`);
    catSha(path);
  }
});

step('a change by the CLI is seen by the next open, though the old bytes were cached', async (fc) => {
  const path = join(fc.mnt, 'r.bin');
  catSha(path);
  const next = pattern(big.length, 2); // same size: only the open can tell the kernel its pages are stale
  const local = join(fc.work, 'next.bin');
  writeFileSync(local, next);
  const up = await fc.tc.cli.run(['upload', local, '--to', '/r.bin']);
  assert.is(up.exitCode, 0, up.stderr);
  assert.is(catSha(path), sha(next), 'the open after the upload reads the new bytes');
  assert.is(catSha(path), sha(next), 'and a reread keeps them');
});

step('a change through another mount is seen by the next open', async (fc) => {
  const path = join(fc.mnt, 'r.bin');
  catSha(path);
  ctx.other = await startMount(fc.tc, join(fc.tc.dir, 'mnt2'), ['--disk-cache-size', '0']);
  const third = pattern(big.length, 3);
  cpIn(fc, ctx.other.dir, 'r.bin', third); // its close (flush) committed
  assert.is(catSha(path), sha(third), 'the open after the other mount\'s close reads its bytes');
  await ctx.other.stop();
  ctx.other = undefined;
});

step('parallel read-ahead from different replicas catches a corrupted block on the replica it tried and fails over', async (fc) => {
  const data = pattern(24 * MiB + 100, 4);
  cpIn(fc, fc.mnt, 's.bin', data);
  await waitFor('3 replicas of every chunk', async () => (await plan(fc, '/s.bin')).chunks.every((c) => c.locations.length === 3), { timeoutMs: 30_000 });
  const p = await plan(fc, '/s.bin');
  // chunk i is read ahead from replica i mod 3 of the plan's order: corrupt exactly that copy of chunks 1–4
  const at = 7 * BLOCK_BYTES + 11;
  const bad = p.chunks.slice(1, 5).map((c, k) => {
    const i = k + 1;
    const loc = c.locations[i % c.locations.length]!;
    const file = join(fc.tc.chunkDir(Number(loc.id.replace(/^cs/, '')) - 1), c.id.slice(0, 2), c.id);
    const b = readFileSync(file);
    b[at] ^= 0x40;
    writeFileSync(file, b);
    return { file, good: data[c.offset + at]! };
  });
  await fc.remount(['--disk-cache-size', '0', '--cache-size', '64MiB', '--read-ahead', '4']);
  dropCaches();
  assert.is(catSha(join(fc.mnt, 's.bin')), sha(data), 'every byte right: each bad copy failed over');
  // the chunkserver may catch it first (it verifies a whole-chunk GET) and refuse; either way the copy is dropped and repaired
  await waitFor('each corrupted copy reported and dropped (or repaired)', () =>
    bad.every(({ file, good }) => !existsSync(file) || readFileSync(file)[at] === good), { timeoutMs: 30_000 });
});

test.run();
