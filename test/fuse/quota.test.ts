/**
 * Quotas through a real mount and the CLI (1 controller + 2 chunkservers on 127.0.49.x,
 * QUOTA_BYTES=4MiB and QUOTA_FILES=8 for every account): `df` shows the quota as the size and
 * `df -i` the file quota as the inodes; `dd` past the byte quota fails with EDQUOT ("Disk quota
 * exceeded") and the cluster keeps nothing of it (a new file stays empty, a file overwritten in
 * place keeps its old bytes, by hash); `redcloud upload` past it exits 10 and `redcloud ls` shows nothing of
 * it; `touch` past the file quota fails with EDQUOT; `redcloud status` shows usage and quotas.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';
import { startFuseCluster, USER, type FuseCluster } from './helpers/fuse-cluster.js';

const MiB = 1024 * 1024;
const QUOTA_FILES = 8;
const test = suite('fuse quota');
const ctx: { fc?: FuseCluster } = {};
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

/** `df` as a user runs it: the numeric columns of the mount's line. */
function df(args: string[], dir: string): number[] {
  const out = execFileSync('df', [...args, dir], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n');
  return out[out.length - 1]!.trim().split(/\s+/).map(Number);
}
const dfBytes = (dir: string) => df(['-B1', '--output=size,used,avail'], dir) as [number, number, number];
const dfInodes = (dir: string) => df(['--output=itotal,iused,iavail'], dir) as [number, number, number];

/** What the cluster holds (the CLI, not the mount's view): path → size. */
async function remoteSizes(fc: FuseCluster): Promise<Record<string, number>> {
  const r = await fc.tc.cli.run(['ls', '/', '--json']);
  assert.is(r.exitCode, 0, r.stderr);
  const entries = JSON.parse(r.stdout) as { path: string; size: number }[];
  return Object.fromEntries(entries.map((e) => [e.path, e.size]));
}

function dd(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync('dd', args, { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-quota', net: '127.0.49', controllers: 1, chunkservers: 2,
    controllerEnv: { QUOTA_BYTES: '4MiB', QUOTA_FILES: String(QUOTA_FILES) },
  });
});

test.after(async () => {
  await ctx.fc?.stop();
});

if (!existsSync('/dev/fuse')) process.stdout.write('  fuse quota: skipped (no /dev/fuse)\n');

step('df shows the quota as the size, df -i the file quota as the inodes', async (fc) => {
  const [size, used, avail] = dfBytes(fc.mnt);
  assert.equal([size, used, avail], [4 * MiB, 0, 4 * MiB]);
  assert.equal(dfInodes(fc.mnt), [QUOTA_FILES, 1, QUOTA_FILES - 1], 'the root is the one inode in use');
});

step('dd within the quota works; dd past it fails with EDQUOT and commits nothing', async (fc) => {
  const local = join(fc.work, 'one.bin');
  writeRandomFile(local, MiB);
  const ok = dd([`if=${local}`, `of=${join(fc.mnt, 'keep.bin')}`, 'bs=1M', 'conv=fsync']);
  assert.is(ok.status, 0, ok.stderr);
  await waitFor('df Used to show the 1 MiB', () => dfBytes(fc.mnt)[1] === MiB, { timeoutMs: 10_000, pollMs: 200 });
  const over = dd(['if=/dev/zero', `of=${join(fc.mnt, 'big.bin')}`, 'bs=1M', 'count=6', 'conv=fsync']);
  assert.ok(over.status !== 0, 'dd past the quota fails');
  assert.match(over.stderr, 'Disk quota exceeded');
  const sizes = await remoteSizes(fc);
  assert.is(sizes['/keep.bin'], MiB);
  assert.is(sizes['/big.bin'] ?? 0, 0, 'the file open(O_CREAT) made stays empty: none of the 6 MiB was committed');
  const rewrite = dd(['if=/dev/zero', `of=${join(fc.mnt, 'keep.bin')}`, 'bs=1M', 'count=5', 'conv=fsync,notrunc']);
  assert.ok(rewrite.status !== 0, 'overwriting past the quota fails');
  assert.match(rewrite.stderr, 'Disk quota exceeded');
  const back = join(fc.work, 'keep.back');
  const dl = await fc.tc.cli.run(['download', '/keep.bin', back]);
  assert.is(dl.exitCode, 0, dl.stderr);
  assert.is(await sha256File(back), await sha256File(local), 'the cluster still has the old bytes');
  assert.is(dfBytes(fc.mnt)[1], MiB, 'df Used unchanged');
});

step('redcloud upload past the quota exits 10 and redcloud ls shows nothing of it', async (fc) => {
  const local = join(fc.work, 'five.bin');
  writeRandomFile(local, 5 * MiB);
  const r = await fc.tc.cli.run(['upload', local, '--to', '/five.bin']);
  assert.is(r.exitCode, 10, `exit ${r.exitCode}: ${r.stderr}`);
  assert.match(r.stderr, /quota/i);
  const sizes = await remoteSizes(fc);
  assert.not.ok('/five.bin' in sizes, `not listed: ${JSON.stringify(sizes)}`);
  const small = join(fc.work, 'small.bin');
  writeRandomFile(small, 64 * 1024);
  assert.is((await fc.tc.cli.run(['upload', small, '--to', '/small.bin'])).exitCode, 0, 'a file that fits still uploads');
});

step('touch past the file quota fails with EDQUOT; df -i shows none left', async (fc) => {
  const failures: string[] = [];
  for (let i = 0; i < QUOTA_FILES; i++) {
    const r = spawnSync('touch', [join(fc.mnt, `t${i}`)], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) failures.push(r.stderr.trim());
  }
  assert.ok(failures.length > 0, 'some touch failed');
  assert.match(failures[0]!, 'Disk quota exceeded');
  const [itotal, iused, iavail] = dfInodes(fc.mnt);
  assert.equal([itotal, iused, iavail], [QUOTA_FILES, QUOTA_FILES, 0]);
  assert.is(spawnSync('rm', [join(fc.mnt, 't0')]).status, 0, 'removing is allowed');
  await waitFor('an inode to be free again', () => dfInodes(fc.mnt)[2] === 1, { timeoutMs: 10_000, pollMs: 200 });
});

step('redcloud status shows the account\'s usage beside its quotas', async (fc) => {
  const r = await fc.tc.cli.run(['status']);
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, `Account ${USER}:`);
  assert.match(r.stdout, `files: ${QUOTA_FILES - 1} of ${QUOTA_FILES} quota`);
  assert.match(r.stdout, /bytes: 1\.1 MiB of 4\.0 MiB quota/);
  assert.match(r.stdout, /bytes with every copy: 2\.1 MiB \(no quota\)/);
  const json = JSON.parse((await fc.tc.cli.run(['status', '--json'])).stdout) as { account: { usage: { bytes: number }; quota: { bytes: number } } };
  assert.equal([json.account.usage.bytes, json.account.quota.bytes], [MiB + 64 * 1024, 4 * MiB]);
});

test.run();
