/**
 * Snapshots on a real mount (2 controllers + 2 chunkservers on 127.0.48.x): a snapshot taken with
 * the CLI keeps the old bytes (by hash) after its files are changed, renamed and deleted through the
 * mount — read through `mnt/.snapshots/NAME/` with ordinary programs and through the CLI
 * (`download --snapshot`, `ls --snapshot`) — and the other controller has it too; writes into it
 * are EROFS at the mount and READ_ONLY (exit 3) at the CLI; `snapshot diff` names the changes;
 * `snapshot restore --to` gives a tree `diff -r` finds equal to the snapshot; `snapshot rm` ends it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { SnapshotInfo } from '../../src/common/snapshot-api.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { stepsFor } from '../helpers/step.js';
import { waitFor } from '../helpers/wait.js';
import { startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const test = suite('fuse snapshots');
const ctx: { fc?: FuseCluster; sha: Record<string, string> } = { sha: {} };
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

/** Runs a program on the mount (another process). */
function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
}
function sh(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  assert.is(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const lines = (s: string): string[] => s.split('\n').filter(Boolean).sort();
const sha = (path: string): string => sh('sha256sum', [path]).split(' ')[0]!;

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({ label: 'fuse-snapshots', net: '127.0.48', controllers: 2, chunkservers: 2, mountArgs: ['--attr-ttl', '500ms', '--op-timeout', '10s'] });
  for (const [remote, size] of [['/proj/a.bin', 300_000], ['/proj/sub/b.txt', 2000], ['/proj/c.txt', 700]] as const) {
    const local = join(ctx.fc.work, remote.replaceAll('/', '_'));
    writeRandomFile(local, size);
    ctx.sha[remote] = await sha256File(local);
    const up = await ctx.fc.tc.cli.run(['upload', local, '--to', remote]);
    if (up.exitCode !== 0) throw new Error(`upload ${remote}: ${up.stderr}`);
  }
});

test.after(async () => {
  await ctx.fc?.stop();
});

test('the suite needs /dev/fuse', () => {
  if (!ctx.fc) console.log('  skipped: no /dev/fuse on this machine'); // eslint-disable-line no-console
});

step('snapshot create, then change, rename and delete through the mount', async (fc) => {
  const s = await fc.tc.cli.json<SnapshotInfo>(['snapshot', 'create', '/proj', 'before']);
  assert.is(s.name, 'before');
  assert.is(s.entries, 4, 'a.bin, sub, sub/b.txt, c.txt');
  const fresh = join(fc.work, 'fresh.bin');
  writeRandomFile(fresh, 100_000);
  sh('cp', [fresh, join(fc.mnt, 'proj', 'a.bin')]);
  sh('mv', [join(fc.mnt, 'proj', 'sub', 'b.txt'), join(fc.mnt, 'proj', 'b-moved.txt')]);
  sh('rm', [join(fc.mnt, 'proj', 'c.txt')]);
  assert.is(sha(join(fc.mnt, 'proj', 'a.bin')), await sha256File(fresh));
});

step('the snapshot reads the old bytes through the mount (hidden from the root listing)', async (fc) => {
  assert.not.ok(lines(sh('ls', ['-a1', fc.mnt])).includes('.snapshots'));
  assert.equal(lines(sh('ls', ['-1', join(fc.mnt, '.snapshots')])), ['before']);
  const snap = join(fc.mnt, '.snapshots', 'before');
  assert.equal(lines(sh('ls', ['-1', snap])), ['a.bin', 'c.txt', 'sub']);
  assert.is(sha(join(snap, 'a.bin')), ctx.sha['/proj/a.bin']);
  assert.is(sha(join(snap, 'sub', 'b.txt')), ctx.sha['/proj/sub/b.txt']);
  assert.is(sha(join(snap, 'c.txt')), ctx.sha['/proj/c.txt']);
  const found = lines(sh('find', [snap, '-type', 'f'])).map((p) => p.slice(snap.length));
  assert.equal(found, ['/a.bin', '/c.txt', '/sub/b.txt']);
  const liveIno = sh('stat', ['-c', '%i', join(fc.mnt, 'proj', 'b-moved.txt')]).trim();
  assert.is.not(sh('stat', ['-c', '%i', join(snap, 'sub', 'b.txt')]).trim(), liveIno, 'a snapshot file is not a hard link of the live one');
});

step('the snapshot reads the old bytes through the CLI, on either controller', async (fc) => {
  for (const controller of fc.tc.controllerUrls) {
    const out = join(fc.work, `a-from-snapshot-${fc.tc.controllerUrls.indexOf(controller)}.bin`);
    await waitFor(`download --snapshot from ${controller}`,
      async () => (await fc.tc.cli.run(['download', '--controllers', controller, '--snapshot', 'before', '/a.bin', out])).exitCode === 0, { timeoutMs: 15_000 });
    assert.is(await sha256File(out), ctx.sha['/proj/a.bin']);
    const listed = await fc.tc.cli.json<{ path: string }[]>(['ls', '--controllers', controller, '--snapshot', 'before', '/']);
    assert.equal(listed.map((e) => e.path).sort(), ['/a.bin', '/c.txt', '/sub']);
  }
});

step('writes into the snapshot: EROFS through the mount, READ_ONLY (exit 3) through the CLI', async (fc) => {
  const snap = join(fc.mnt, '.snapshots', 'before');
  for (const [cmd, args] of [
    ['touch', [join(snap, 'new.txt')]], ['rm', [join(snap, 'c.txt')]], ['mkdir', [join(snap, 'd')]],
    ['mv', [join(snap, 'c.txt'), join(snap, 'c2.txt')]], ['sh', ['-c', `echo x >> ${join(snap, 'c.txt')}`]], ['chmod', ['600', join(snap, 'c.txt')]],
  ] as const) {
    const r = run(cmd, [...args]);
    assert.is.not(r.status, 0, `${cmd} ${args.join(' ')} succeeded`);
    assert.match(r.stderr, /Read-only file system/, `${cmd}: ${r.stderr}`);
  }
  assert.is(sha(join(snap, 'c.txt')), ctx.sha['/proj/c.txt'], 'unchanged');
  const r = await fc.tc.cli.run(['rm', '--snapshot', 'before', '/c.txt']);
  assert.is(r.exitCode, 3, r.stderr);
  assert.match(r.stderr, /Snapshot before is read-only/);
});

step('snapshot diff names the changes; restore --to gives an equal tree; rm ends it', async (fc) => {
  const diff = await fc.tc.cli.run(['snapshot', 'diff', 'before']);
  assert.is(diff.exitCode, 0, diff.stderr);
  assert.equal(lines(diff.stdout), lines('M\t/a.bin\nR\t/sub/b.txt -> /b-moved.txt\nD\t/c.txt\n'));
  const restored = await fc.tc.cli.run(['snapshot', 'restore', 'before', '--to', '/restored']);
  assert.is(restored.exitCode, 0, restored.stderr);
  await waitFor('the restored tree in the mount', () => existsSync(join(fc.mnt, 'restored', 'c.txt')), { timeoutMs: 10_000 });
  sh('diff', ['-r', join(fc.mnt, 'restored'), join(fc.mnt, '.snapshots', 'before')]);
  assert.is(readFileSync(join(fc.mnt, 'restored', 'sub', 'b.txt')).length, 2000);
  const again = await fc.tc.cli.run(['snapshot', 'restore', 'before']);
  assert.is(again.exitCode, 5, 'the source path exists');
  assert.match(again.stderr, /--to PATH/);
  const rm = await fc.tc.cli.run(['snapshot', 'rm', 'before']);
  assert.is(rm.exitCode, 0, rm.stderr);
  assert.equal(await fc.tc.cli.json<{ snapshots: unknown[] }>(['snapshot', 'ls']), { snapshots: [] });
  await waitFor('the snapshot to leave the mount', () => !existsSync(join(fc.mnt, '.snapshots', 'before')), { timeoutMs: 10_000 });
});

test.run();
