/**
 * Honest space through a real mount (1 controller + 4 chunkservers on 127.0.43.x, REPLICATION_FACTOR
 * 2): chunkservers 1–3 keep their chunks on the machine's disk (one disk, three chunkservers),
 * chunkserver 4 on a small tmpfs of its own. `stat -f` / `df -B1` on the mount must show what the
 * cluster can store at RF 2 with that shared disk counted once — (free of the disk + free of the
 * tmpfs) / 2, read with statfs of the data dirs around the df — and not the 3× a per-chunkserver
 * sum would give; `df` Used follows what is written; `df -i` counts the inodes created and
 * removed; `redcloud status` shows raw and logical space, garbage after a delete with its next
 * collection time, and the mount's cache dir.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeRandomFile } from '../helpers/files.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';
import { startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const MiB = 1024 * 1024;
const TMPFS_MIB = 64;
const RF = 2;
const test = suite('fuse space');
const ctx: { fc?: FuseCluster; tmpfs: string } = { tmpfs: '' };
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

/** Bytes free to unprivileged users on the file system of `dir` (statfs bavail × bsize). */
const freeOf = (dir: string): number => {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
};

/** `stat -f` of the mount: block size, blocks, available blocks, inodes, free inodes. */
function statF(dir: string): { bsize: number; blocks: number; bavail: number; files: number; ffree: number } {
  const out = execFileSync('stat', ['-f', '-c', '%S %b %a %c %d', dir], { encoding: 'utf8', timeout: 30_000 }).trim().split(' ').map(Number);
  const [bsize, blocks, bavail, files, ffree] = out as [number, number, number, number, number];
  return { bsize, blocks, bavail, files, ffree };
}

/** `df -i` as a user runs it: Inodes, IUsed, IFree of the mount. */
function dfI(dir: string): [number, number, number] {
  const out = execFileSync('df', ['-i', dir], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n');
  const f = out[out.length - 1]!.trim().split(/\s+/);
  return [Number(f[1]), Number(f[2]), Number(f[3])];
}

/** `df` as a user runs it: columns of one line for the mount. */
function df(args: string[], dir: string): number[] {
  const out = execFileSync('df', [...args, dir], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n');
  return out[out.length - 1]!.trim().split(/\s+/).map(Number);
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-space', net: '127.0.43', controllers: 1, chunkservers: 4,
    controllerEnv: { REPLICATION_FACTOR: String(RF), GC_GRACE: '1h', TRASH_TTL: '0' },
    beforeStart: (dir) => {
      ctx.tmpfs = join(dir, 'cs4');
      mkdirSync(ctx.tmpfs, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MIB}m,mode=0700`, 'tmpfs', ctx.tmpfs]);
    },
  });
});

test.after(async () => {
  await ctx.fc?.mount.stop().catch(() => undefined);
  await ctx.fc?.tc.cluster.stopAll({ kill: true }).catch(() => undefined);
  if (ctx.tmpfs) {
    try { execFileSync('umount', [ctx.tmpfs]); } catch { /* not mounted */ }
  }
  await ctx.fc?.stop();
});

if (!existsSync('/dev/fuse')) process.stdout.write('  fuse space: skipped (no /dev/fuse)\n');

step('stat -f and df -B1: the shared disk once plus the tmpfs, divided by the replication factor', async (fc) => {
  const shared = join(fc.tc.dir, 'cs1');
  // the other suites on this machine write to the shared disk meanwhile: bracket the df with statfs
  // readings, and allow what a heartbeat interval of such writes can change (plus the 64 KiB blocks)
  const tolerance = Math.max(64 * MiB, Math.floor(freeOf(shared) * 0.005));
  let last = '';
  await waitFor('the mount\'s free space to match the disks\' / RF', async () => {
    const before = freeOf(shared) + freeOf(ctx.tmpfs);
    const s = statF(fc.mnt);
    const [size, used, avail] = df(['-B1', '--output=size,used,avail'], fc.mnt) as [number, number, number];
    const after = freeOf(shared) + freeOf(ctx.tmpfs);
    const lo = Math.min(before, after) / RF - tolerance;
    const hi = Math.max(before, after) / RF + tolerance;
    last = `df avail ${avail}, stat -f ${s.bavail}×${s.bsize}, expected ${Math.round(lo)}…${Math.round(hi)} (disk+tmpfs free ${before}…${after})`;
    assert.is(s.bavail * s.bsize, avail, 'df and stat -f agree');
    assert.is(size, used + avail, 'size = used + avail');
    return avail >= lo && avail <= hi;
  }, { timeoutMs: 20_000, pollMs: 500 }).catch((err: Error) => { throw new Error(`${err.message}: ${last}`); });
  // three chunkservers' views of one disk summed would be about 3/2 of the disk
  const wrong = (3 * freeOf(shared) + freeOf(ctx.tmpfs)) / RF;
  assert.ok(statF(fc.mnt).bavail * statF(fc.mnt).bsize < wrong * 0.8, `not counting the shared disk three times (${wrong})`);
  process.stdout.write(`  fuse space: ${last}\n`);
});

step('df Used follows what is written at RF 2', async (fc) => {
  const [, usedBefore] = df(['-B1', '--output=size,used,avail'], fc.mnt) as [number, number, number];
  const local = join(fc.work, 'eight.bin');
  writeRandomFile(local, 8 * MiB);
  const cp = spawnSync('cp', [local, join(fc.mnt, 'eight.bin')], { encoding: 'utf8', timeout: 120_000 });
  assert.is(cp.status, 0, cp.stderr);
  let used = 0;
  // RF 2 on four chunkservers: 16 MiB of copies, 8 MiB of used at the replication factor
  await waitFor('df Used to grow by the file', () => {
    used = df(['-B1', '--output=size,used,avail'], fc.mnt)[1]!;
    return used - usedBefore >= 8 * MiB;
  }, { timeoutMs: 30_000, pollMs: 300 }).catch((err: Error) => { throw new Error(`${err.message}: used ${usedBefore} → ${used}`); });
  assert.ok(used - usedBefore <= 8 * MiB + 2 * 64 * 1024, `used grew by ${used - usedBefore}`);
});

step('df -i counts the inodes created and removed', async (fc) => {
  const before = dfI(fc.mnt);
  // the root and eight.bin so far
  assert.is(before[1], 2, `inodes in use at the start: ${before.join(' ')}`);
  assert.is(before[0], before[1] + before[2], 'total = used + free');
  assert.ok(before[2] >= 1_000_000, `plenty of free inodes (${before[2]})`);
  mkdirSync(join(fc.mnt, 'many'));
  for (let i = 0; i < 20; i++) writeFileSync(join(fc.mnt, 'many', `f${i}`), `file ${i}\n`);
  mkdirSync(join(fc.mnt, 'many', 'sub'));
  await waitFor('df -i to count 22 more inodes', () => dfI(fc.mnt)[1] === 2 + 22, { timeoutMs: 10_000, pollMs: 200 });
  const mid = dfI(fc.mnt);
  assert.is(statF(fc.mnt).files - statF(fc.mnt).ffree, mid[1], 'stat -f agrees');
  for (let i = 0; i < 5; i++) execFileSync('rm', [join(fc.mnt, 'many', `f${i}`)]);
  await waitFor('df -i to drop by the 5 removed', () => dfI(fc.mnt)[1] === 2 + 22 - 5, { timeoutMs: 10_000, pollMs: 200 })
    .catch((err: Error) => { throw new Error(`${err.message}: ${dfI(fc.mnt).join(' ')}`); });
});

step('redcloud status: raw and logical space, garbage after a delete with its next collection, the mount\'s cache', async (fc) => {
  execFileSync('rm', [join(fc.mnt, 'eight.bin')]);
  let out = '';
  await waitFor('status to show the deleted file\'s chunks as garbage', async () => {
    const r = await fc.tc.cli.run(['status']);
    out = r.stdout;
    return r.exitCode === 0 && /Garbage: \d+ unreferenced chunks?/.test(out);
  }, { timeoutMs: 20_000, pollMs: 500 }).catch((err: Error) => { throw new Error(`${err.message}:\n${out}`); });
  process.stdout.write(`  fuse space: redcloud status says\n${out.split('\n').filter((l) => /^(Space|Garbage|Mount caches)|^  (logical|raw|deleted|\/)/.test(l)).map((l) => `    ${l}`).join('\n')}\n`);
  assert.match(out, 'Space: replication factor 2; 4 healthy chunkservers on 2 distinct disks');
  assert.match(out, /logical \(what df shows on a mount\): .* used, .* free, .* total/);
  assert.match(out, /raw: .* of chunk copies stored, .* free on the disks \(each disk counted once\)/);
  assert.match(out, /deleted 1h \(GC_GRACE\) after they became unreferenced; next collection at \d{4}-\d\d-\d\dT/);
  assert.match(out, `${fc.mnt}.cache`);
  assert.match(out, `mount ${fc.mnt} (pid ${fc.mount.proc.pid}`);
  const json = JSON.parse((await fc.tc.cli.run(['status', '--json'])).stdout) as { space: { disks: number; copies: number; availBytes: number }; garbage: { chunks: number; nextCollectionMs: number } };
  assert.equal([json.space.disks, json.space.copies], [2, RF]);
  assert.ok(json.garbage.chunks >= 2, `8 MiB in 4 MiB chunks: ${json.garbage.chunks}`);
  assert.ok(json.garbage.nextCollectionMs > Date.now() + 50 * 60_000, 'about GC_GRACE from now');
  const dfAvail = df(['-B1', '--output=avail'], fc.mnt)[0]!;
  assert.ok(Math.abs(json.space.availBytes - dfAvail) <= Math.max(64 * MiB, dfAvail * 0.005), `status ${json.space.availBytes} vs df ${dfAvail}`);
});

test.run();
