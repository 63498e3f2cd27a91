/**
 * The tag directory on a real mount (2 controllers + 2 chunkservers on 127.0.45.x, --attr-ttl 1s):
 * files tagged with the CLI show under `.tags/` (hidden from `ls -a` of the root) as symlinks that
 * ordinary programs follow (ls, cat, cp, find -L), and each query lists what `redcloud find` with
 * the same tags answers; `ln -s` tags, `rm` untags (the file's bytes stay), `mkdir` declares a tag
 * that the other controller lists too, the xattrs user.xdg.tags / user.redcloud.tags read and set
 * the tags, and a tag change through the other controller (CLI, or a second mount on it) shows in
 * the mount within the TTLs;
 * remounted with --tags-read-only under another name, the same queries answer and writes are EROFS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EntryInfo } from '../../src/common/api.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { stepsFor } from '../helpers/step.js';
import { waitFor } from '../helpers/wait.js';
import { startFuseCluster, startMount, type FuseCluster } from './helpers/fuse-cluster.js';

const ATTR_TTL_MS = 1000;
/** the mount's attribute TTL plus the kernel's (1 s), gossip (200 ms) and slack for a loaded machine */
const SHOW_WITHIN_MS = ATTR_TTL_MS + 1000 + 3000;
const test = suite('fuse tags dir');
const ctx: { fc?: FuseCluster; sha: Record<string, string> } = { sha: {} };
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

/** Runs a program on the mount (another process); stdout, or a failed assertion with stderr. */
function sh(cmd: string, args: string[], what = `${cmd} ${args.join(' ')}`): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  assert.is(r.status, 0, `${what}: ${r.stderr}`);
  return r.stdout;
}
const lines = (s: string): string[] => s.split('\n').filter(Boolean).sort();
const ls = (dir: string): string[] => lines(sh('ls', ['-1', dir]));
const sha = (path: string): string => sh('sha256sum', [path]).split(' ')[0]!;
const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

async function find(fc: FuseCluster, tags: string[], controller?: string): Promise<string[]> {
  const extra = controller ? ['--controllers', controller] : [];
  return (await fc.tc.cli.json<EntryInfo[]>(['find', ...extra, ...tags])).map((e) => e.path).sort();
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-tags-dir', net: '127.0.45', controllers: 2, chunkservers: 2,
    mountArgs: ['--attr-ttl', `${ATTR_TTL_MS}ms`, '--op-timeout', '10s'],
  });
  const files: [string, number, string[]][] = [
    ['/photos/beach.jpg', 300_000, ['holiday', '2024']],
    ['/photos/old/beach.jpg', 1000, ['holiday', '2023']],
    ['/photos/ski.jpg', 5000, ['holiday', '2024', 'winter']],
    ['/docs/tax.pdf', 2000, ['2024']],
    ['/docs/notes.txt', 700, []],
  ];
  for (const [remote, size, tags] of files) {
    const local = join(ctx.fc.work, remote.replaceAll('/', '_'));
    writeRandomFile(local, size);
    ctx.sha[remote] = await sha256File(local);
    const up = await ctx.fc.tc.cli.run(['upload', local, '--to', remote, ...tags]);
    if (up.exitCode !== 0) throw new Error(`upload ${remote}: ${up.stderr}`);
  }
});

test.after(async () => {
  await ctx.fc?.stop();
});

test('the suite needs /dev/fuse', () => {
  if (!ctx.fc) console.log('  skipped: no /dev/fuse on this machine'); // eslint-disable-line no-console
});

step('ls: .tags is not in the root listing, but lists the tags in use', async (fc) => {
  assert.not.ok(lines(sh('ls', ['-a1', fc.mnt])).includes('.tags'));
  assert.equal(ls(join(fc.mnt, '.tags')), ['2023', '2024', 'holiday', 'winter']);
  const cli = (await fc.tc.cli.json<{ tag: string }[]>(['tags'])).map((t) => t.tag).sort();
  assert.equal(ls(join(fc.mnt, '.tags')), cli, 'the same tags as `redcloud tags`');
});

step('a query directory lists what `redcloud find` answers, in any order of the tags', async (fc) => {
  for (const q of [['holiday', '2024'], ['2024', 'holiday'], ['2024'], ['holiday', '2024', 'winter']]) {
    assert.equal(ls(join(fc.mnt, '.tags', ...q)), (await find(fc, q)).map(base).sort(), `query ${q.join(' ')}`);
  }
  assert.equal(ls(join(fc.mnt, '.tags', 'holiday', '2024')), ['beach.jpg', 'ski.jpg']);
  // two beach.jpg carry holiday: both shown, under stable suffixed names that resolve to each
  const holiday = ls(join(fc.mnt, '.tags', 'holiday'));
  const beaches = holiday.filter((n) => n.startsWith('beach~'));
  assert.is(beaches.length, 2, holiday.join(' '));
  const targets = beaches.map((n) => sh('readlink', [join(fc.mnt, '.tags', 'holiday', n)]).trim()).sort();
  assert.equal(targets, ['../../photos/beach.jpg', '../../photos/old/beach.jpg']);
});

step('cat and cp through a symlink give the file\'s bytes; find -L walks the query', async (fc) => {
  assert.is(sha(join(fc.mnt, '.tags', 'holiday', '2024', 'beach.jpg')), ctx.sha['/photos/beach.jpg']);
  const copy = join(fc.work, 'copy.jpg');
  sh('cp', [join(fc.mnt, '.tags', '2024', 'winter', 'ski.jpg'), copy]);
  assert.is(await sha256File(copy), ctx.sha['/photos/ski.jpg']);
  const found = lines(sh('find', ['-L', join(fc.mnt, '.tags', '2024'), '-type', 'f']));
  assert.equal(found.map((p) => p.slice(join(fc.mnt, '.tags', '2024').length + 1)), ['beach.jpg', 'ski.jpg', 'tax.pdf']);
});

step('ln -s tags the target (seen by getfattr and the CLI); rm untags it and the file stays', async (fc) => {
  const dir = join(fc.mnt, '.tags', 'holiday');
  sh('ln', ['-s', '../../docs/notes.txt', `${dir}/`]);
  assert.ok(ls(dir).includes('notes.txt'));
  assert.match(sh('getfattr', ['--only-values', '-n', 'user.xdg.tags', join(fc.mnt, 'docs', 'notes.txt')]), /^holiday$/);
  assert.ok((await find(fc, ['holiday'])).includes('/docs/notes.txt'));
  assert.is(sha(join(dir, 'notes.txt')), ctx.sha['/docs/notes.txt']);

  sh('rm', [join(dir, 'notes.txt')]);
  assert.not.ok(ls(dir).includes('notes.txt'));
  assert.not.ok((await find(fc, ['holiday'])).includes('/docs/notes.txt'));
  assert.is(sha(join(fc.mnt, 'docs', 'notes.txt')), ctx.sha['/docs/notes.txt'], 'the file is still there, same bytes');
  const r = spawnSync('getfattr', ['-n', 'user.redcloud.tags', join(fc.mnt, 'docs', 'notes.txt')], { encoding: 'utf8' });
  assert.ok(r.status !== 0 && /No such attribute/.test(r.stderr), 'no tags left');
});

step('setfattr user.xdg.tags sets the tags; user.redcloud.tags shows the same', async (fc) => {
  const f = join(fc.mnt, 'docs', 'tax.pdf');
  sh('setfattr', ['-n', 'user.xdg.tags', '-v', '2024,paperwork', f]);
  assert.equal((await fc.tc.cli.json<EntryInfo>(['tag', 'add', '/docs/tax.pdf', '2024'])).tags.sort(), ['2024', 'paperwork']);
  assert.is(sh('getfattr', ['--only-values', '-n', 'user.redcloud.tags', f]).split(',').sort().join(','), '2024,paperwork');
  assert.equal(ls(join(fc.mnt, '.tags', 'paperwork')), ['tax.pdf']);
});

step('mkdir declares a tag: listed while no file carries it, by the other controller too', async (fc) => {
  sh('mkdir', [join(fc.mnt, '.tags', 'newtag')]);
  assert.ok(ls(join(fc.mnt, '.tags')).includes('newtag'));
  assert.equal(ls(join(fc.mnt, '.tags', 'newtag')), []);
  assert.not.ok(sh('getfattr', ['-d', '-m', '-', fc.mnt]).includes('redcloud.tag'), 'not among the root\'s attributes');
  const other = fc.tc.controllerUrls[1]!;
  await waitFor('newtag on the other controller', async () => {
    const tags = await fc.tc.cli.json<{ tag: string; count: number }[]>(['tags', '--controllers', other]);
    return tags.some((t) => t.tag === 'newtag' && t.count === 0);
  }, { timeoutMs: 15_000 });
  sh('ln', ['-s', '../../docs/notes.txt', join(fc.mnt, '.tags', 'newtag', 'notes.txt')]);
  assert.equal(await find(fc, ['newtag']), ['/docs/notes.txt']);
  // the CLI's way to the same record, through the other controller; rmdir of an unused one undeclares it
  const made = await fc.tc.cli.run(['tag', 'create', '--controllers', other, 'fromcli']);
  assert.is(made.exitCode, 0, made.stderr);
  await waitFor('fromcli in the mount', () => ls(join(fc.mnt, '.tags')).includes('fromcli'), { timeoutMs: SHOW_WITHIN_MS });
  const busy = spawnSync('rmdir', [join(fc.mnt, '.tags', 'newtag')], { encoding: 'utf8' });
  assert.match(busy.stderr, /not empty/i, 'a tag files carry stays');
  sh('rmdir', [join(fc.mnt, '.tags', 'fromcli')]);
  assert.not.ok(ls(join(fc.mnt, '.tags')).includes('fromcli'));
  assert.not.ok((await fc.tc.cli.json<{ tag: string }[]>(['tags'])).some((t) => t.tag === 'fromcli'));
});

step('a tag change through the other controller (CLI, another mount) shows in the mount within the attribute TTLs', async (fc) => {
  const q = join(fc.mnt, '.tags', 'holiday', '2024');
  assert.not.ok(ls(q).includes('tax.pdf'));
  const other = fc.tc.controllerUrls[1]!;
  const r = await fc.tc.cli.run(['tag', 'add', '--controllers', other, '/docs/tax.pdf', 'holiday']);
  assert.is(r.exitCode, 0, r.stderr);
  const t0 = Date.now();
  await waitFor('tax.pdf in holiday/2024', () => ls(q).includes('tax.pdf'), { timeoutMs: SHOW_WITHIN_MS, pollMs: 100 });
  const shownMs = Date.now() - t0;
  assert.equal(ls(q), (await find(fc, ['holiday', '2024'], other)).map(base).sort());
  const r2 = await fc.tc.cli.run(['tag', 'rm', '--controllers', other, '/photos/ski.jpg', '2024']);
  assert.is(r2.exitCode, 0, r2.stderr);
  await waitFor('ski.jpg gone from holiday/2024', () => !ls(q).includes('ski.jpg'), { timeoutMs: SHOW_WITHIN_MS, pollMs: 100 });
  console.log(`  tag change via the other controller shown in the mount after ${shownMs} ms`); // eslint-disable-line no-console

  // another mount, talking only to the other controller: setfattr there, the first mount's query follows
  const second = await startMount(fc.tc, join(fc.tc.dir, 'mnt2'), ['--attr-ttl', `${ATTR_TTL_MS}ms`, '--controllers', other]);
  try {
    sh('setfattr', ['-n', 'user.xdg.tags', '-v', 'holiday,2024,fromsecond', join(second.dir, 'docs', 'notes.txt')]);
    await waitFor('notes.txt in holiday/2024 of the first mount', () => ls(q).includes('notes.txt'), { timeoutMs: SHOW_WITHIN_MS, pollMs: 100 });
    assert.equal(ls(join(fc.mnt, '.tags', 'fromsecond')), ['notes.txt']);
    assert.equal(ls(join(second.dir, '.tags', 'holiday', '2024')), ls(q), 'both mounts answer alike');
  } finally {
    await second.stop();
  }
});

step('--tags-read-only --tags-dir by-tag: same queries under another name, tag changes refused with EROFS', async (fc) => {
  await fc.remount(['--attr-ttl', `${ATTR_TTL_MS}ms`, '--tags-read-only', '--tags-dir', 'by-tag']);
  assert.is(spawnSync('stat', [join(fc.mnt, '.tags')]).status, 1, 'the old name is gone');
  const q = join(fc.mnt, 'by-tag', 'holiday', '2024');
  assert.equal(ls(q), (await find(fc, ['holiday', '2024'])).map(base).sort());
  const r = spawnSync('rm', [join(q, 'beach.jpg')], { encoding: 'utf8' });
  assert.match(r.stderr, /Read-only file system/);
  assert.ok((await find(fc, ['holiday', '2024'])).includes('/photos/beach.jpg'), 'still tagged');
  assert.match(spawnSync('mkdir', [join(fc.mnt, 'by-tag', 'x')], { encoding: 'utf8' }).stderr, /Read-only file system/);
});

test.run();
