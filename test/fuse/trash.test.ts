/**
 * The trash on a real mount (1 controller + 1 chunkserver on 127.0.47.x; TRASH_TTL 30s, GC_GRACE
 * and REPAIR_INTERVAL 1s): `rm -rf` of a tree in the mount, the entries under
 * `.trash/<time>/<original path>` (find, stat; read-only; hidden from `ls -a`), `redcloud trash
 * restore`, and `diff -r` against the original; a file replaced by `mv` over it keeps its old version in the trash
 * (restored with --to); a restore onto an existing file is refused (exit 5) with nothing changed;
 * `cp` over a file (O_TRUNC, chunked and inline) and `mv` over one keep the replaced versions,
 * readable in `.trash/` (sha256sum, cp) and restored with the old bytes (by hash); so does
 * `redcloud upload` over a file (chunked and inline), restored with --to by hash, the file still the new version;
 * `redcloud status` counts the trash; and GC: the chunks of an entry emptied from the trash leave
 * the disk after GC_GRACE while those of a trashed file stay, until TRASH_TTL has passed — then
 * they go too. Conditions are polled, no sleeps.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterStatus, TrashItem } from '../../src/common/api.js';
import { listFiles, writeRandomFile } from '../helpers/files.js';
import { stepsFor } from '../helpers/step.js';
import { waitFor } from '../helpers/wait.js';
import { startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const TTL_MS = 30_000;
const test = suite('fuse trash');
const ctx: { fc?: FuseCluster; orig: string } = { orig: '' };
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
}
function sh(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const onDisk = (fc: FuseCluster): Set<string> => new Set(listFiles(fc.tc.chunkDir(0)).map((f) => basename(f)).filter((n) => /^[0-9a-f]{64}$/.test(n)));
const trashLs = async (fc: FuseCluster): Promise<TrashItem[]> => (await fc.tc.cli.json<{ items: TrashItem[] }>(['trash', 'ls'])).items;

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-trash', net: process.env.TRASH_NET ?? '127.0.47', controllers: 1, chunkservers: 1,
    controllerEnv: { TRASH_TTL: `${TTL_MS / 1000}s`, GC_GRACE: '1s', REPAIR_INTERVAL: '1s', CAPABILITY_TTL: '2s', REPLICATION_FACTOR: '1' },
    mountArgs: ['--attr-ttl', '500ms'],
  });
  // a tree with nested and empty directories, a symlink and files of a few sizes
  const orig = join(ctx.fc.work, 'orig');
  ctx.orig = orig;
  mkdirSync(join(orig, 'a', 'b', 'c'), { recursive: true });
  mkdirSync(join(orig, 'empty'));
  writeRandomFile(join(orig, 'top.bin'), 300_000);
  writeRandomFile(join(orig, 'a', 'one.bin'), 5000);
  writeRandomFile(join(orig, 'a', 'b', 'two.bin'), 70_000);
  writeRandomFile(join(orig, 'a', 'b', 'c', 'three.bin'), 1);
  writeFileSync(join(orig, 'a', 'b', 'c', 'note.txt'), 'hello trash\n');
  symlinkSync('a/one.bin', join(orig, 'link'));
});

test.after(async () => {
  await ctx.fc?.stop();
});

test('the suite needs /dev/fuse', () => {
  if (!ctx.fc) console.log('  skipped: no /dev/fuse on this machine'); // eslint-disable-line no-console
});

step('rm -rf a tree in the mount, redcloud trash restore, diff -r against the original', async (fc) => {
  const tree = join(fc.mnt, 'tree');
  sh('cp', ['-a', ctx.orig, tree]);
  sh('diff', ['-r', ctx.orig, tree]);
  sh('rm', ['-rf', tree]);
  assert.not.ok(existsSync(tree));
  const items = await trashLs(fc);
  assert.equal(items.map((i) => i.path).sort(), ['/tree', '/tree/a', '/tree/a/b', '/tree/a/b/c', '/tree/a/b/c/note.txt', '/tree/a/b/c/three.bin',
    '/tree/a/b/two.bin', '/tree/a/one.bin', '/tree/empty', '/tree/link', '/tree/top.bin']);
  assert.not.ok(sh('ls', ['-a1', fc.mnt]).split('\n').includes('.trash'), 'the trash is not in the root listing');
  // the mount's view: .trash/<time>/<original path> (an rm -rf may span a few seconds: several <time>s)
  const trashDir = join(fc.mnt, '.trash');
  const times = sh('ls', ['-1', trashDir]).split('\n').filter(Boolean);
  assert.ok(times.length >= 1 && times.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(t)), times.join(' '));
  const shown = sh('find', [trashDir, '-mindepth', '2', '-type', 'f']).split('\n').filter(Boolean)
    .map((p) => p.slice(trashDir.length + 1).replace(/^[^/]+/, '')).sort();
  assert.equal(shown, ['/tree/a/b/c/note.txt', '/tree/a/b/c/three.bin', '/tree/a/b/two.bin', '/tree/a/one.bin', '/tree/link', '/tree/top.bin']);
  const topBin = sh('find', [trashDir, '-name', 'top.bin']).trim();
  assert.is(sh('stat', ['-c', '%s %A', topBin]).trim(), '300000 -r--r--r--');
  const touch = run('touch', [join(trashDir, times[0]!, 'new')]);
  assert.match(touch.stderr, /Read-only file system/);
  const status = await fc.tc.cli.json<ClusterStatus>(['status']);
  assert.is(status.trash?.entries, 11);
  assert.is(status.trash?.bytes, 300_000 + 5000 + 70_000 + 1 + 12, 'bytes of the files');
  assert.match((await fc.tc.cli.run(['status'])).stdout, /Trash: 11 entries, .* \(kept 30s, TRASH_TTL; redcloud trash ls\)/);

  const restore = await fc.tc.cli.run(['trash', 'restore', '/tree']);
  assert.is(restore.exitCode, 0, restore.stderr);
  assert.match(restore.stdout, /Restored \/tree \(6 files, 5 directories\)/);
  await waitFor('the restored tree to read back identical through the mount (diff -r)', () => run('diff', ['-r', ctx.orig, tree]).status === 0, { timeoutMs: 10_000 });
  assert.equal(await trashLs(fc), []);
});

step('mv over a file keeps the replaced version in the trash; restore --to; a restore onto an existing file is refused', async (fc) => {
  writeFileSync(join(fc.mnt, 'doc.txt'), 'version 1\n');
  writeFileSync(join(fc.mnt, 'doc.txt.tmp'), 'version 2\n');
  sh('mv', [join(fc.mnt, 'doc.txt.tmp'), join(fc.mnt, 'doc.txt')]);
  assert.is(sh('cat', [join(fc.mnt, 'doc.txt')]), 'version 2\n');
  assert.equal((await trashLs(fc)).map((i) => i.path), ['/doc.txt']);
  const refused = await fc.tc.cli.run(['trash', 'restore', '/doc.txt']);
  assert.is(refused.exitCode, 5, refused.stdout);
  assert.match(refused.stderr, /Cannot restore \/doc.txt: \/doc.txt exists; move it away, or restore elsewhere with --to DEST/);
  const ok = await fc.tc.cli.run(['trash', 'restore', '/doc.txt', '--to', '/doc.v1.txt']);
  assert.is(ok.exitCode, 0, ok.stderr);
  await waitFor('the old version under its new name', () => run('cat', [join(fc.mnt, 'doc.v1.txt')]).stdout === 'version 1\n', { timeoutMs: 10_000 });
  assert.is(sh('cat', [join(fc.mnt, 'doc.txt')]), 'version 2\n');
});

step('cp over and mv over keep the replaced versions: read in .trash/ by hash, restored with the old bytes', async (fc) => {
  const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
  const shaOf = (file: string): string => sh('sha256sum', [file]).split(' ')[0]!;
  const local = (name: string, bytes: number): { path: string; hash: string } => {
    const path = join(fc.work, name);
    writeRandomFile(path, bytes);
    return { path, hash: sha(path) };
  };
  // chunked (300 KB) and inline (2 KB) files replaced by cp (open with O_TRUNC), one by mv
  const big1 = local('big.v1', 300_000); const big2 = local('big.v2', 250_000);
  const small1 = local('small.v1', 2000); const small2 = local('small.v2', 3000);
  const moved1 = local('moved.v1', 120_000); const moved2 = local('moved.v2', 90_000);
  sh('cp', [big1.path, join(fc.mnt, 'big.bin')]);
  sh('cp', [small1.path, join(fc.mnt, 'small.txt')]);
  sh('cp', [moved1.path, join(fc.mnt, 'moved.bin')]);
  sh('cp', [moved2.path, join(fc.mnt, 'moved.tmp')]);
  assert.equal(await trashLs(fc), [], 'new files put nothing in the trash');
  sh('cp', [big2.path, join(fc.mnt, 'big.bin')]);
  sh('cp', [small2.path, join(fc.mnt, 'small.txt')]);
  sh('mv', [join(fc.mnt, 'moved.tmp'), join(fc.mnt, 'moved.bin')]);
  assert.is(shaOf(join(fc.mnt, 'big.bin')), big2.hash);
  assert.is(shaOf(join(fc.mnt, 'small.txt')), small2.hash);
  assert.is(shaOf(join(fc.mnt, 'moved.bin')), moved2.hash);
  const items = await trashLs(fc);
  assert.equal(items.map((i) => `${i.path} ${i.size}`).sort(), ['/big.bin 300000', '/moved.bin 120000', '/small.txt 2000']);

  // read inside the trash without restoring: sha256sum and cp give the replaced bytes
  const trashDir = join(fc.mnt, '.trash');
  await waitFor('the replaced versions listed in .trash/', () => run('find', [trashDir, '-name', 'big.bin']).stdout.trim() !== '', { timeoutMs: 10_000 });
  const inTrash = (name: string): string => sh('find', [trashDir, '-name', name, '-type', 'f']).trim();
  assert.is(shaOf(inTrash('big.bin')), big1.hash);
  assert.is(shaOf(inTrash('small.txt')), small1.hash);
  sh('cp', [inTrash('moved.bin'), join(fc.work, 'moved.from-trash')]);
  assert.is(sha(join(fc.work, 'moved.from-trash')), moved1.hash);
  assert.match(run('dd', ['if=/dev/zero', `of=${inTrash('big.bin')}`, 'bs=1', 'count=1', 'conv=notrunc']).stderr, /Read-only file system/);

  for (const name of ['big.bin', 'small.txt', 'moved.bin']) {
    const r = await fc.tc.cli.run(['trash', 'restore', `/${name}`, '--to', `/old/${name}`]);
    assert.is(r.exitCode, 0, r.stderr);
  }
  await waitFor('the restored versions through the mount', () => existsSync(join(fc.mnt, 'old', 'moved.bin')), { timeoutMs: 10_000 });
  assert.is(shaOf(join(fc.mnt, 'old', 'big.bin')), big1.hash, 'cp over: the old bytes (chunks)');
  assert.is(shaOf(join(fc.mnt, 'old', 'small.txt')), small1.hash, 'cp over: the old bytes (inline)');
  assert.is(shaOf(join(fc.mnt, 'old', 'moved.bin')), moved1.hash, 'mv over: the old bytes');
  assert.is(shaOf(join(fc.mnt, 'big.bin')), big2.hash, 'the live file is untouched');
  assert.equal(await trashLs(fc), []);
  sh('rm', ['-r', join(fc.mnt, 'old'), join(fc.mnt, 'big.bin'), join(fc.mnt, 'small.txt'), join(fc.mnt, 'moved.bin')]);
  const emptied = await fc.tc.cli.run(['trash', 'empty']);
  assert.is(emptied.exitCode, 0, emptied.stderr);
});

step('redcloud upload over a file keeps the replaced version in the trash; restore --to gives it back by hash', async (fc) => {
  const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
  const cli = async (args: string[]): Promise<string> => {
    const r = await fc.tc.cli.run(args);
    assert.is(r.exitCode, 0, `redcloud ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  for (const [name, bytes] of [['up.bin', 200_000], ['up.txt', 1500]] as const) {
    const v1 = join(fc.work, `${name}.v1`); const v2 = join(fc.work, `${name}.v2`);
    writeRandomFile(v1, bytes);
    writeRandomFile(v2, bytes + 100);
    await cli(['upload', v1, '--to', `/${name}`]);
    assert.equal(await trashLs(fc), [], 'an upload to a new path puts nothing in the trash');
    await cli(['upload', v2, '--to', `/${name}`]);
    assert.equal((await trashLs(fc)).map((i) => `${i.path} ${i.size}`), [`/${name} ${bytes}`], 'the replaced version is in the trash');
    await cli(['trash', 'restore', `/${name}`, '--to', `/${name}.old`]);
    await cli(['download', `/${name}.old`, join(fc.work, `${name}.restored`)]);
    await cli(['download', `/${name}`, join(fc.work, `${name}.current`)]);
    assert.is(sha(join(fc.work, `${name}.restored`)), sha(v1), 'the restored version has the first upload\'s bytes');
    assert.is(sha(join(fc.work, `${name}.current`)), sha(v2), 'the file is still the second upload');
    assert.equal(await trashLs(fc), []);
    await cli(['rm', `/${name}`]);
    await cli(['rm', `/${name}.old`]);
    await cli(['trash', 'empty']);
  }
});

step('GC frees an emptied entry\'s chunks after GC_GRACE, a trashed file\'s only after TRASH_TTL', async (fc) => {
  const before = onDisk(fc);
  writeRandomFile(join(fc.work, 'kept.bin'), 200_000);
  writeRandomFile(join(fc.work, 'gone.bin'), 200_000);
  sh('cp', [join(fc.work, 'kept.bin'), join(fc.mnt, 'kept.bin')]);
  const kept = [...onDisk(fc)].filter((id) => !before.has(id));
  sh('cp', [join(fc.work, 'gone.bin'), join(fc.mnt, 'gone.bin')]);
  const gone = [...onDisk(fc)].filter((id) => !before.has(id) && !kept.includes(id));
  assert.ok(kept.length > 0 && gone.length > 0, `new chunks on the disk: ${kept.length} and ${gone.length}`);
  const removedMs = Date.now();
  sh('rm', [join(fc.mnt, 'kept.bin'), join(fc.mnt, 'gone.bin')]);
  const empty = await fc.tc.cli.run(['trash', 'empty', '/gone.bin']);
  assert.is(empty.exitCode, 0, empty.stderr);
  await waitFor('the emptied entry\'s chunks to leave the disk (GC_GRACE 1s)', () => gone.every((id) => !onDisk(fc).has(id)), { timeoutMs: 20_000, pollMs: 200 });
  assert.ok(Date.now() - removedMs < TTL_MS, 'GC ran well within TRASH_TTL (else this step shows nothing)');
  assert.ok(kept.every((id) => onDisk(fc).has(id)), 'the trashed file\'s chunks are still on the disk');
  assert.equal((await trashLs(fc)).map((i) => i.path), ['/kept.bin']);
  await waitFor('the trashed file\'s chunks to leave the disk once TRASH_TTL has passed', () => kept.every((id) => !onDisk(fc).has(id)), { timeoutMs: TTL_MS + 30_000, pollMs: 500 });
  assert.ok(Date.now() - removedMs >= TTL_MS, `freed after ${Date.now() - removedMs} ms, not before TRASH_TTL`);
  assert.equal(await trashLs(fc), []);
});

test.run();
