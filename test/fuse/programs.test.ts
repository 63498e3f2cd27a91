/**
 * Ordinary programs on a real mount as root with --allow-other (issue 11's mount list): 1
 * controller + 3 chunkservers on 127.0.15.x (PROGRAMS_NET), one mount process, everything on the mount done by
 * child processes (ln, stat, mkfifo, mknod, chown, touch, tar, rsync, getfattr, setpriv, mv, ls and
 * node workers). Each step checks what a user would look at: bytes by sha256, the output of stat,
 * ls, getfattr and `redcloud ls --long`, exit codes and error texts compared with ext4 for the same
 * sequence run as uid 65534. A step whose programs are missing prints why and which apt packages
 * bring them; without /dev/fuse or root the whole suite says so and skips.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { postJson } from '../helpers/http.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';
import {
  bashOk, describeTree, diffTrees, lineDiff, missingPrograms, ok, q, run, skipReason, spawnAsync, table, withoutAtime, xattrDump,
} from './helpers/programs-sh.js';
import { NOBODY, parseOutcomes, SETUP, STEPS } from './helpers/uid-steps.js';

const MiB = 1024 * 1024;
const test = suite('fuse programs');
const ctx: { fc?: FuseCluster; skip?: string; local?: string } = {};
/** how long another name of a changed inode may show old attributes (the mount's default --kernel-attr-ttl is 1 s) */
const KERNEL_TTL_SLACK_MS = 5000;
const worker = fileURLToPath(new URL('./helpers/programs-worker.js', import.meta.url));

/** A step that needs `programs`: skipped with its reason when the suite or a program is missing. */
function step(name: string, programs: string[], fn: (fc: FuseCluster) => Promise<void>): void {
  test(name, async () => {
    if (ctx.skip) {
      process.stdout.write(`  skip "${name}": ${ctx.skip}\n`);
      return;
    }
    const missing = missingPrograms(programs);
    if (missing.length > 0) {
      process.stdout.write(`  skip "${name}": ${skipReason(missing)}\n`);
      return;
    }
    const fc = ctx.fc;
    if (!fc) throw new Error('cluster or mount did not start (see the logs above)');
    try {
      await fn(fc);
    } catch (err) {
      fc.dumpLogs();
      throw err;
    }
  });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sha256sum = (path: string): string => ok('sha256sum', [path]).split(' ')[0]!;
const statC = (fmt: string, ...paths: string[]): string => ok('stat', ['-c', fmt, ...paths]).trim();

/** `redcloud ls --json PATH` (a file: one entry) through the CLI. */
async function cliEntry(fc: FuseCluster, path: string): Promise<Record<string, unknown>> {
  const entries = await fc.tc.cli.json<Record<string, unknown>[]>(['ls', path]);
  assert.is(entries.length, 1, `redcloud ls ${path}`);
  return entries[0]!;
}

/** Polls `stat -c FMT paths` until it prints `want` (another name's attributes may lag by the kernel's TTL). */
async function statEventually(fmt: string, paths: string[], want: string, what: string): Promise<void> {
  let last = '';
  await waitFor(what, () => {
    last = statC(fmt, ...paths);
    return last === want;
  }, { timeoutMs: KERNEL_TTL_SLACK_MS, pollMs: 100 }).catch(() => {
    throw new Error(`${what}: stat -c '${fmt}' printed ${JSON.stringify(last)}, expected ${JSON.stringify(want)}`);
  });
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) {
    ctx.skip = '/dev/fuse is missing (no FUSE here)';
  } else if (process.getuid?.() !== 0) {
    ctx.skip = 'needs root (chown to other uids, mknod, setpriv, --allow-other)';
  }
  if (ctx.skip) {
    process.stdout.write(`fuse programs: skipping every step: ${ctx.skip}\n`);
    return;
  }
  try {
    ctx.fc = await startFuseCluster({ label: 'fuse-programs', net: process.env.PROGRAMS_NET ?? '127.0.15', controllers: 1, chunkservers: 3, mountArgs: ['--allow-other'] });
    // uid 65534 must reach the mountpoint (the cluster's temp dir is 0700) and read its scripts
    chmodSync(dirname(ctx.fc.mnt), 0o755);
    ctx.local = makeTempDir('fuse-programs-local');
    chmodSync(ctx.local, 0o755);
  } catch (err) {
    process.stderr.write(`fuse programs: setup failed: ${(err as Error).stack ?? String(err)}\n`);
    throw err;
  }
});

test.after(async () => {
  await ctx.fc?.stop();
  if (ctx.local && !process.env.REDCLOUD_KEEP_TEST_DIRS) removeDir(ctx.local);
});

step('ln: a hard link shares the inode and the bytes, rm of one name keeps the other', ['ln', 'stat', 'sha256sum', 'dd'], async (fc) => {
  const d = join(fc.mnt, 'links');
  ok('mkdir', [d]);
  const a = join(d, 'a');
  const b = join(d, 'b');
  bashOk(`echo hello > ${q(a)}`);
  const inoAtCreate = statC('%i', a);
  ok('ln', [a, b]);
  const rightAfter = statC('%i %h', a, b);
  const t0 = Date.now();
  let both = '';
  await waitFor('one inode with 2 links under both names', () => {
    both = statC('%i %h', a, b);
    const [x, y] = both.split('\n');
    return x === y && x!.endsWith(' 2');
  }, { timeoutMs: KERNEL_TTL_SLACK_MS, pollMs: 100 }).catch(() => {
    throw new Error(`after ln a b, stat -c '%i %h' a b printed ${JSON.stringify(both)}`);
  });
  const ino = both.split(' ')[0]!;
  const stale = rightAfter === both ? [] : [`right after \`ln a b\`, stat -c '%i %h' a b printed ${JSON.stringify(rightAfter)}; ${JSON.stringify(both)} only ${Date.now() - t0} ms later`];

  // 1 MiB written through one name is read through the other, and the other way round
  const local = join(fc.work, 'link-data');
  writeRandomFile(local, MiB);
  ok('dd', [`if=${local}`, `of=${a}`, 'bs=64k', 'status=none']);
  assert.is(sha256sum(b), await sha256File(local), 'sha256 of b after writing a');
  const patch = join(fc.work, 'link-patch');
  writeRandomFile(patch, 4096);
  for (const of of [b, local]) ok('dd', [`if=${patch}`, `of=${of}`, 'bs=4096', 'seek=100', 'conv=notrunc', 'status=none']);
  assert.is(sha256sum(a), await sha256File(local), 'sha256 of a after patching b');

  ok('rm', [a]);
  assert.equal(ok('ls', ['-A', d]).split('\n').filter(Boolean), ['b']);
  assert.is(sha256sum(b), await sha256File(local), 'b keeps the bytes after rm a');
  await statEventually('%i %h %s', [b], `${ino} 1 ${MiB}`, 'b alone: same inode, 1 link');
  const eb = await cliEntry(fc, '/links/b');
  assert.equal([String(eb.ino), eb.nlink, eb.size], [ino, 1, MiB], 'redcloud ls --json /links/b');

  // files written by a shell loop keep the inode number stat showed right after each was written
  const loop = bashOk(`cd ${q(d)} && for i in $(seq 20); do echo "file $i" > n$i; stat -c "n$i %i" n$i; done`).trim().split('\n');
  const changed: string[] = [];
  for (const line of loop) {
    const [name, inoSeen] = line.split(' ');
    const e = await cliEntry(fc, `/links/${name}`);
    if (String(e.ino) !== inoSeen) changed.push(`${name}: stat -c %i right after writing ${inoSeen}, redcloud ls --json ino ${String(e.ino)}`);
  }
  if (inoAtCreate !== ino) changed.unshift(`a: stat -c %i right after \`echo hello > a\` ${inoAtCreate}, after ln a b ${ino}`);
  const problems = [
    ...stale.map((x) => `${x} (ext4 shows the new link count at once)`),
    ...(changed.length > 0 ? [`${changed.length} of 21 files written through the mount changed their inode number once committed (st_ino must not change):\n${changed.slice(0, 4).join('\n')}`] : []),
  ];
  assert.ok(problems.length === 0, problems.join('\n'));
});

// With the kernel's attribute cache on (the default 1 s), each name of a hard-linked file is its
// own kernel inode: every name must show a change made through another one at once, as on ext4.
step('every name of a hard-linked file shows nlink, mode, ctime and size changed through another at once', ['ln', 'stat', 'chmod', 'python3'], async (fc) => {
  const d = join(fc.mnt, 'names');
  ok('mkdir', [d]);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => join(d, n)) as [string, string, string];
  bashOk(`echo hello > ${q(a)}`);
  const seen: string[] = [];
  // each stat also fills the kernel's cache of the names it shows
  const check = (fmt: string, paths: string[], want: string, after: string): void => {
    const got = statC(fmt, ...paths).split('\n');
    if (!got.every((x) => x === want)) seen.push(`after ${after}: stat -c '${fmt}' ${paths.map((p) => p.slice(d.length + 1)).join(' ')} printed ${got.join(' | ')}, expected ${want} each`);
  };
  check('%h', [a], '1', 'echo > a');
  ok('ln', [a, b]);
  check('%h', [a, b], '2', 'ln a b');
  ok('ln', [b, c]);
  check('%h', [a, b, c], '3', 'ln b c');
  ok('chmod', ['600', c]);
  const ctime = statC('%Z.%z', c);
  check('%a', [a, b, c], '600', 'chmod 600 c');
  check('%Z.%z', [a, b], ctime, 'chmod 600 c (ctime)');
  // an open descriptor of one name (fstat) sees a change made through another
  const py = 'import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY)\nos.fstat(fd)\nos.chmod(sys.argv[2],0o640)\nprint(oct(os.fstat(fd).st_mode&0o777))';
  const fstatMode = ok('python3', ['-c', py, a, b]).trim();
  if (fstatMode !== '0o640') seen.push(`fstat of an open a after chmod 640 b printed ${fstatMode}`);
  bashOk(`echo more >> ${q(b)}`);
  check('%s', [a, c], statC('%s', b), 'echo >> b (size)');
  ok('rm', [c]);
  check('%h', [a, b], '2', 'rm c');
  ok('rm', [b]);
  check('%h', [a], '1', 'rm b');
  assert.ok(seen.length === 0, seen.join('\n'));
});

step('ln -s: readlink, lstat vs stat, dangling and looping links', ['ln', 'stat', 'readlink', 'sha256sum'], async (fc) => {
  const d = join(fc.mnt, 'symlinks');
  ok('mkdir', ['-p', join(d, 'dir')]);
  bashOk(`cd ${q(d)} && printf 'target bytes' > file && ln -s file s && ln -s dir sdir && ln -s missing dangling && ln -s loop loop && touch dir/inside`);
  assert.is(ok('readlink', [join(d, 's')]), 'file\n');
  assert.is(statC('%F %s', join(d, 's')), 'symbolic link 4', 'lstat: a symlink whose size is its target length');
  assert.is(ok('stat', ['-L', '-c', '%F %s', join(d, 's')]).trim(), 'regular file 12', 'stat: the target');
  assert.is(sha256sum(join(d, 's')), sha256(Buffer.from('target bytes')));
  assert.is(ok('ls', [join(d, 'sdir/')]), 'inside\n');
  assert.is(statC('%F', join(d, 'dangling')), 'symbolic link');
  const dangling = run('stat', ['-L', join(d, 'dangling')]);
  assert.is(dangling.code, 1);
  assert.match(dangling.err, /No such file or directory/);
  const loop = run('cat', [join(d, 'loop')]);
  assert.is(loop.code, 1);
  assert.match(loop.err, /Too many levels of symbolic links/);
  const entry = await cliEntry(fc, '/symlinks/s');
  assert.equal([entry.kind, entry.target], ['symlink', 'file'], 'redcloud ls --json shows the link');
});

step('mkfifo: a writer and a reader through it; mknod c 1 3 and b 7 0', ['mkfifo', 'mknod', 'stat', 'sha256sum'], async (fc) => {
  const d = join(fc.mnt, 'special');
  ok('mkdir', [d]);
  const fifo = join(d, 'fifo');
  ok('mkfifo', [fifo]);
  assert.is(statC('%F', fifo), 'fifo');
  const [reader, writer] = await Promise.all([spawnAsync('cat', [fifo], 20_000), spawnAsync('sh', ['-c', `echo hi > ${q(fifo)}`], 20_000)]);
  assert.is(writer.code, 0, `writer: ${writer.err}`);
  assert.is(reader.code, 0, `reader: ${reader.err}`);
  assert.is(reader.out, 'hi\n');
  // 5 MiB through the fifo arrive whole
  const local = join(fc.work, 'fifo-data');
  writeRandomFile(local, 5 * MiB);
  const [sum, feed] = await Promise.all([
    spawnAsync('sh', ['-c', `sha256sum < ${q(fifo)}`], 30_000), spawnAsync('sh', ['-c', `cat ${q(local)} > ${q(fifo)}`], 30_000),
  ]);
  assert.is(feed.code, 0, feed.err);
  assert.is(sum.out.split(' ')[0], await sha256File(local), '5 MiB through the fifo');
  assert.is(statC('%F %s', fifo), 'fifo 0');

  ok('mknod', [join(d, 'null'), 'c', '1', '3']);
  ok('mknod', [join(d, 'loop0'), 'b', '7', '0']);
  assert.is(statC('%F %t %T', join(d, 'null')), 'character special file 1 3');
  assert.is(statC('%F %t %T', join(d, 'loop0')), 'block special file 7 0');
  const long = (await fc.tc.cli.run(['ls', '--long', '/special'])).stdout;
  assert.match(long, /^c\S+ .* null$/m, `redcloud ls --long /special:\n${long}`);
  assert.match(long, /^p\S+ .* fifo$/m, `redcloud ls --long /special:\n${long}`);
});

step('touch -a, -m, -d: stat shows the nanoseconds set', ['touch', 'stat'], async (fc) => {
  const d = join(fc.mnt, 'times');
  ok('mkdir', [d]);
  const f = join(d, 'f');
  bashOk(`echo t > ${q(f)}`);
  const times = (): string => statC('%x|%y', f);
  ok('touch', ['-d', '2001-02-03 04:05:06.123456789', f]);
  assert.is(times(), '2001-02-03 04:05:06.123456789 +0000|2001-02-03 04:05:06.123456789 +0000', 'touch -d');
  ok('touch', ['-a', '-d', '2002-03-04 05:06:07.987654321', f]);
  assert.is(times(), '2002-03-04 05:06:07.987654321 +0000|2001-02-03 04:05:06.123456789 +0000', 'touch -a -d: only the atime');
  ok('touch', ['-m', '-d', '2003-04-05 06:07:08.000000001', f]);
  assert.is(times(), '2002-03-04 05:06:07.987654321 +0000|2003-04-05 06:07:08.000000001 +0000', 'touch -m -d: only the mtime');
  const before = Math.floor(Date.now() / 1000);
  ok('touch', ['-a', f]);
  const [atime, mtime] = statC('%X|%y', f).split('|');
  assert.ok(Number(atime) >= before && Number(atime) <= Math.ceil(Date.now() / 1000), `touch -a: atime ${atime} is now`);
  assert.is(mtime, '2003-04-05 06:07:08.000000001 +0000', 'touch -a: mtime unchanged');
  assert.ok(Number(statC('%Z', f)) >= before, 'ctime moved with the touch');
  // before 1970 and after 2038
  ok('touch', ['-d', '1960-01-01 00:00:00.5', f]);
  assert.is(statC('%y', f), '1960-01-01 00:00:00.500000000 +0000');
  ok('touch', ['-m', '-d', '2300-01-01 00:00:00.25', f]);
  assert.is(statC('%y', f), '2300-01-01 00:00:00.250000000 +0000');
  ok('touch', ['-d', '2004-05-06 07:08:09.555555555', d]);
  assert.is(statC('%x|%y', d), '2004-05-06 07:08:09.555555555 +0000|2004-05-06 07:08:09.555555555 +0000', 'a directory');
  const e = await cliEntry(fc, '/times/f');
  assert.equal([e.atime, e.mtime], [{ sec: -315619200, nsec: 500000000 }, { sec: 10413792000, nsec: 250000000 }], 'redcloud ls --json');
});

step('chown and chgrp persist across a remount and show in redcloud ls --long', ['chown', 'chgrp', 'stat', 'mkfifo', 'ln', 'touch'], async (fc) => {
  const d = join(fc.mnt, 'owners');
  ok('mkdir', [d]);
  bashOk(`cd ${q(d)} && echo f > file && mkdir sub && mkfifo fifo && ln -s file link && chown 1234:5678 file && chgrp 4321 sub && chown 777 fifo && chown -h 1111:2222 link && touch -d '2001-02-03 04:05:06.123456789' file`);
  const want = 'file 1234 5678 644\nfifo 777 0 644\nlink 1111 2222 777\nsub 0 4321 755';
  const owners = (): string => bashOk(`cd ${q(d)} && stat -c '%n %u %g %a' file fifo link sub`).trim();
  assert.is(owners(), want, 'before the remount');
  await fc.remount();
  assert.is(owners(), want, 'after the remount');
  assert.is(statC('%y', join(d, 'file')), '2001-02-03 04:05:06.123456789 +0000', 'times after the remount');
  const long = await fc.tc.cli.run(['ls', '--long', '/owners']);
  assert.is(long.exitCode, 0, long.stderr);
  const cols = long.stdout.trim().split('\n').map((l) => {
    const f = l.trim().split(/\s+/);
    return `${f[f[f.length - 2] === '->' ? f.length - 3 : f.length - 1]!.replace(/\/$/, '')} ${f[2]} ${f[3]}`;
  }).sort().join('\n');
  assert.is(cols, 'fifo 777 0\nfile 1234 5678\nlink 1111 2222\nsub 0 4321', `redcloud ls --long /owners:\n${long.stdout}`);
});

/** The small tree of the round trips, on local disk: modes 0600/0755/4755, owners, a hard link, a symlink, a fifo, an empty dir, user.* xattrs, a file over one chunk. */
function makeTree(root: string): void {
  mkdirSync(root);
  const now = Math.floor(Date.now() / 1000);
  bashOk([
    `cd ${q(root)}`,
    'mkdir -p sub empty',
    'head -c 10000 /dev/urandom > f600 && chmod 0600 f600 && chown 1234:5678 f600 && setfattr -n user.color -v blue f600',
    "printf '#!/bin/sh\\necho hi\\n' > f755 && chmod 0755 f755 && setfattr -n user.bin -v 0sAAEC/w== f755",
    'echo suid > f4755 && chown 1234:5678 f4755 && chmod 4755 f4755',
    'head -c 300000 /dev/urandom > sub/big && chown 2000:3000 sub/big && ln sub/big hl',
    `head -c ${5 * MiB + 7} /dev/urandom > sub/five`,
    'ln -s sub/big sym && mkfifo fifo && : > zero && chmod 0700 empty',
    // atime an hour ago, mtime two: what the copies must carry; directories last (their mtimes moved with every entry)
    `for p in f600 f755 f4755 sub/big sub/five sym fifo zero; do touch -h -a -d @${now - 3600} "$p"; touch -h -m -d @${now - 7200} "$p"; done`,
    `touch -m -d @${now - 5000} sub empty .`,
  ].join(' && '));
}

/** Differences between a copy and the source: lines of describeTree (with or without atime), xattrs, diff -r. */
function compareCopy(label: string, src: { lines: string[]; xattrs: string[] }, copyRoot: string, srcRoot: string, atime: boolean): string[] {
  const problems: string[] = [];
  const got = atime ? describeTree(copyRoot) : withoutAtime(describeTree(copyRoot));
  const want = atime ? src.lines : withoutAtime(src.lines);
  if (got.join('\n') !== want.join('\n')) problems.push(`${label}: stat differs (path|type|%a %u %g %h %X %Y|size|target):\n${lineDiff(want, got)}`);
  const x = xattrDump(copyRoot);
  if (x.join('\n\n') !== src.xattrs.join('\n\n')) problems.push(`${label}: getfattr -d -R differs:\n--- source\n${src.xattrs.join('\n')}\n--- copy\n${x.join('\n')}`);
  const d = diffTrees(srcRoot, copyRoot);
  if (d) problems.push(`${label}: ${d}`);
  return problems;
}

/** compareCopy for a copy in the mount: another name of a just-linked inode may lag by the kernel's TTL, so it is polled that long. */
async function compareMountCopy(label: string, src: { lines: string[]; xattrs: string[] }, copyRoot: string, srcRoot: string, atime: boolean): Promise<string[]> {
  let problems: string[] = [];
  let first: string[] | undefined;
  const t0 = Date.now();
  await waitFor(label, () => {
    problems = compareCopy(label, src, copyRoot, srcRoot, atime);
    first ??= problems;
    return problems.length === 0;
  }, { timeoutMs: KERNEL_TTL_SLACK_MS, pollMs: 200 }).catch(() => undefined);
  if (problems.length === 0 && first!.length > 0) {
    process.stdout.write(`  note: ${label} matched only after ${Date.now() - t0} ms; at first:\n${first!.join('\n')}\n`);
  }
  return problems;
}

step('tar --xattrs -cpf/-xpf and rsync -aHAX round trips keep bytes, modes, owners, links, times and xattrs', ['tar', 'rsync', 'setfattr', 'getfattr', 'diff', 'find', 'mkfifo'], async (fc) => {
  const srcRoot = join(fc.work, 'rt-src');
  makeTree(srcRoot);
  const src = { lines: describeTree(srcRoot), xattrs: xattrDump(srcRoot) };
  assert.ok(src.lines.some((l) => l.startsWith('./hl|regular file|644 2000 3000 2 ')), `the source has the hard link:\n${src.lines.join('\n')}`);
  assert.ok(src.xattrs.some((b) => b.includes('user.color="blue"')), src.xattrs.join('\n'));
  const problems: string[] = [];
  const cmd = (label: string, args: string[]): void => {
    const r = run(args[0]!, args.slice(1), { timeoutMs: 120_000 });
    if (r.code !== 0) problems.push(`${label}: \`${args.join(' ')}\` exited ${r.code}: ${r.err.trim().slice(0, 1000)}`);
  };
  // rsync in and straight back out (-U: atimes; --open-noatime: reading the source keeps them)
  const rsyncIn = join(fc.mnt, 'rt-rsync');
  const rsyncBack = join(fc.work, 'rt-rsync-back');
  cmd('rsync into the mount', ['rsync', '-aHAXU', '--open-noatime', `${srcRoot}/`, `${rsyncIn}/`]);
  cmd('rsync back out', ['rsync', '-aHAXU', '--open-noatime', `${rsyncIn}/`, `${rsyncBack}/`]);
  // tar in and straight back out (GNU tar sets the atime of what it extracts to now, on ext4 too: no %X)
  const tarball = join(fc.work, 'rt.tar');
  const tarIn = join(fc.mnt, 'rt-tar');
  const backTarball = join(fc.work, 'rt-back.tar');
  const tarBack = join(fc.work, 'rt-tar-back');
  mkdirSync(tarBack);
  ok('mkdir', [tarIn]);
  cmd('tar -c of the source', ['tar', '--xattrs', '--atime-preserve=system', '-cpf', tarball, '-C', srcRoot, '.']);
  cmd('tar -x into the mount', ['tar', '--xattrs', '-xpf', tarball, '-C', tarIn]);
  cmd('tar -c of the mount copy', ['tar', '--xattrs', '-cpf', backTarball, '-C', tarIn, '.']);
  cmd('tar -x back on local disk', ['tar', '--xattrs', '-xpf', backTarball, '-C', tarBack]);

  problems.push(...await compareMountCopy('rsync copy in the mount', src, rsyncIn, srcRoot, true));
  problems.push(...compareCopy('rsync copy back on local disk', src, rsyncBack, srcRoot, true));
  problems.push(...await compareMountCopy('tar copy in the mount', src, tarIn, srcRoot, false));
  problems.push(...compareCopy('tar copy back on local disk', src, tarBack, srcRoot, false));
  assert.ok(problems.length === 0, problems.join('\n\n'));
});

step('cp -a into the mount keeps bytes, modes, owners, links, nanosecond times and xattrs, after a remount too', ['cp', 'setfattr', 'getfattr', 'diff', 'find', 'mkfifo'], async (fc) => {
  // cp -a sets times and mode with futimens and fchmod before close: a new file's first commit carries them
  const srcRoot = join(fc.work, 'cp-src');
  makeTree(srcRoot);
  bashOk(`cd ${q(srcRoot)} && for i in $(seq 1 30); do head -c $((i * 100)) /dev/urandom > sub/s$i; chmod 0$((600 + i % 3 * 40)) sub/s$i; touch -a -d @$((1000000000 + i)).123456789 sub/s$i; touch -m -d @$((900000000 + i)).987654321 sub/s$i; done && touch -m -d @1234567890 sub`);
  const src = { lines: describeTree(srcRoot), xattrs: xattrDump(srcRoot) };
  const copy = join(fc.mnt, 'cp-copy');
  const r = run('cp', ['-a', srcRoot, copy], { timeoutMs: 120_000 });
  assert.is(r.code, 0, `cp -a: ${r.err}`);
  // reading the source may move its atimes (mount options): then compare without them
  const atime = describeTree(srcRoot).join('\n') === src.lines.join('\n');
  const problems = await compareMountCopy('cp -a copy in the mount', src, copy, srcRoot, atime);
  assert.ok(problems.length === 0, problems.join('\n\n'));
  await fc.remount();
  const after = compareCopy('cp -a copy after a remount', src, copy, srcRoot, atime);
  assert.ok(after.length === 0, after.join('\n\n'));
});

step('uid 65534 gets the errors ext4 gives, and succeeds where ext4 succeeds', ['setpriv', 'setfattr', 'getfattr', 'truncate', 'mkfifo'], async (fc) => {
  const scripts = join(ctx.local!, 'uid-scripts');
  mkdirSync(scripts, { mode: 0o755 });
  chmodSync(scripts, 0o755);
  writeFileSync(join(scripts, 'setup.sh'), SETUP, { mode: 0o644 });
  writeFileSync(join(scripts, 'steps.sh'), STEPS, { mode: 0o644 });
  const sides = { ext4: join(ctx.local!, 'perm'), mount: join(fc.mnt, 'perm') };
  const outcomes: Record<string, ReturnType<typeof parseOutcomes>> = {};
  for (const [side, base] of Object.entries(sides)) {
    ok('mkdir', ['-m', '0755', base]);
    ok('bash', [join(scripts, 'setup.sh'), base]);
    const r = run('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'bash', join(scripts, 'steps.sh'), base], { timeoutMs: 120_000 });
    assert.is(r.code, 0, `${side}: the step script ended with ${r.code}: ${r.err}`);
    outcomes[side] = parseOutcomes(r.out);
  }
  const fsType = run('findmnt', ['-n', '-o', 'FSTYPE', '-T', sides.ext4]).out.trim() || ok('stat', ['-f', '-c', '%T', sides.ext4]).trim();
  const e = outcomes.ext4!;
  const m = outcomes.mount!;
  assert.is(e[0]!.output, `${NOBODY}:${NOBODY}:${NOBODY}`, 'the steps ran as 65534 without groups');
  const rows = e.map((x, i) => {
    const y = m[i];
    const same = y !== undefined && y.step === x.step && y.code === x.code && y.output === x.output;
    return [same ? ' ' : '≠', x.step, `${x.code} ${x.output}`, same ? '(same)' : `${y?.code} ${y?.output}`];
  });
  process.stdout.write(`\n  uid ${NOBODY}: ${fsType} (${sides.ext4}) vs the mount\n${table(['', 'step', `exit + output on ${fsType}`, 'on the mount'], rows).replace(/^/gm, '  ')}\n`);
  assert.is(m.length, e.length, 'as many steps ran on the mount');
  const differ = rows.filter((r) => r[0] === '≠').map((r) => `${r[1]}: ${fsType} "${r[2]}", mount "${r[3]}"`);
  assert.ok(differ.length === 0, `steps whose outcome differs:\n${differ.join('\n')}`);
});

step('mv of a directory holding 10,000 files takes about as long as mv of one file', ['mv', 'ls', 'wc', 'sha256sum'], async (fc) => {
  const N = 10_000;
  const dir = join(fc.mnt, 'tenk');
  ok('mkdir', [dir]);
  const payload = join(fc.work, 'tenk-payload');
  writeRandomFile(payload, 200_000);
  ok('cp', [payload, join(dir, 'payload')]);
  // the mount creates ~60-90 files/s here (a shell loop would take minutes): 10,000 empty files through the API
  const t0 = Date.now();
  let next = 0;
  const url = fc.tc.controllerUrls[0]!;
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (next < N) {
      const i = next++;
      const r = await postJson(`${url}/v1/fs/mknod`, fc.token, { path: `/tenk/f${String(i).padStart(5, '0')}`, kind: 'file', mode: 0o644, uid: 0, gid: 0 });
      if (r.status !== 200) throw new Error(`mknod /tenk/f${i}: ${r.status} ${JSON.stringify(r.data)}`);
    }
  }));
  const createMs = Date.now() - t0;
  const count = (d: string): number => Number(bashOk(`ls ${q(d)} | wc -l`, { timeoutMs: 60_000 }).trim());
  await waitFor(`${N + 1} entries listed in the mount`, () => count(dir) === N + 1, { timeoutMs: 15_000, pollMs: 500 });
  const inoBefore = statC('%i', join(dir, 'payload'));

  const single = join(fc.mnt, 'one-file');
  bashOk(`echo one > ${q(single)}`);
  const oneMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    oneMs.push(run('mv', [single, `${single}.moved`]).ms, run('mv', [`${single}.moved`, single]).ms);
  }
  oneMs.sort((x, y) => x - y);
  const oneFileMs = oneMs[Math.floor(oneMs.length / 2)]!;
  const moved = join(fc.mnt, 'tenk-moved');
  const dirMv = run('mv', [dir, moved], { timeoutMs: 120_000 });
  assert.is(dirMv.code, 0, dirMv.err);
  const listed = count(moved);
  const back = run('mv', [moved, dir], { timeoutMs: 120_000 });
  assert.is(back.code, 0, back.err);
  const boundMs = 20 * oneFileMs + 1000;
  process.stdout.write(`\n  10,000 files created through the API in ${createMs} ms; mv of one file ${oneFileMs.toFixed(1)} ms (median of 6: ${oneMs.map((x) => x.toFixed(1)).join(', ')}), of the 10,000-file directory ${dirMv.ms.toFixed(1)} ms and back ${back.ms.toFixed(1)} ms (bound ${boundMs.toFixed(0)} ms)\n`);
  assert.is(listed, N + 1, 'ls | wc -l of the moved directory');
  assert.is(count(dir), N + 1, 'ls | wc -l after moving it back');
  assert.ok(dirMv.ms <= boundMs && back.ms <= boundMs, `mv of the directory took ${dirMv.ms.toFixed(0)} / ${back.ms.toFixed(0)} ms, bound ${boundMs.toFixed(0)} ms`);
  assert.is(run('stat', [moved]).code, 1, 'the old name is gone');
  assert.is(sha256sum(join(dir, 'payload')), await sha256File(payload), 'a file in it keeps its bytes');
  assert.is(statC('%i', join(dir, 'payload')), inoBefore, 'and its inode number');
});

interface WorkerDone {
  done: true; seed: number; ops: number; names: number; problems: string[];
  stats: Record<string, { n: number; maxMs: number; totalMs: number }>; expectedErrors: Record<string, number>;
}

step('8 processes creating, renaming, chmodding, linking and unlinking for 60 s: every op answered in time', ['ls'], async (fc) => {
  const WORKERS = 8;
  const DURATION_MS = Number(process.env.PROGRAMS_LOAD_MS ?? 60_000);
  const STALL_MS = 30_000;
  const MAX_OP_MS = 30_000;
  const root = join(fc.mnt, 'load');
  const shared = join(root, 'shared');
  ok('mkdir', ['-p', shared, ...Array.from({ length: WORKERS }, (_, i) => join(root, `w${i}`))]);
  const procs = Array.from({ length: WORKERS }, (_, i) => {
    const p = spawn(process.execPath, [worker, join(root, `w${i}`), shared, String(1000 + i), String(DURATION_MS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const w = { i, p, progress: -1, changedAt: Date.now(), current: '', sinceMs: 0, done: undefined as WorkerDone | undefined, err: '', buf: '', exit: undefined as number | null | undefined };
    p.stdout.on('data', (d: Buffer) => {
      w.buf += d.toString('utf8');
      let nl;
      while ((nl = w.buf.indexOf('\n')) >= 0) {
        const line = w.buf.slice(0, nl);
        w.buf = w.buf.slice(nl + 1);
        let m: { progress?: number; current?: string; sinceMs?: number } & Partial<WorkerDone>;
        try {
          m = JSON.parse(line) as typeof m;
        } catch {
          w.err += `${line}\n`;
          continue;
        }
        if (m.done) w.done = m as WorkerDone;
        else if (m.progress !== w.progress) {
          w.progress = m.progress!;
          w.changedAt = Date.now();
        }
        w.current = m.current ?? '';
        w.sinceMs = m.sinceMs ?? 0;
      }
    });
    p.stderr.on('data', (d: Buffer) => { w.err += d.toString('utf8'); });
    return w;
  });
  const exited = procs.map((w) => new Promise<void>((r) => w.p.on('close', (code) => { w.exit = code; r(); })));
  let stalled: string | undefined;
  const watchdog = setInterval(() => {
    for (const w of procs) {
      if (w.exit === undefined && Date.now() - w.changedAt > STALL_MS && !stalled) {
        stalled = `worker ${w.i} made no progress for ${STALL_MS / 1000} s (${w.progress} ops done; in flight: ${w.current || '?'} for ${w.sinceMs} ms)`;
        for (const x of procs) x.p.kill('SIGKILL');
      }
    }
  }, 1000);
  const overall = setTimeout(() => {
    stalled ??= `workers still running ${DURATION_MS + 60_000} ms after the start`;
    for (const x of procs) x.p.kill('SIGKILL');
  }, DURATION_MS + 60_000);
  try {
    await Promise.all(exited);
  } finally {
    clearInterval(watchdog);
    clearTimeout(overall);
  }
  assert.ok(stalled === undefined, stalled);
  const kinds = new Map<string, { n: number; maxMs: number; totalMs: number }>();
  const problems: string[] = [];
  let totalOps = 0;
  for (const w of procs) {
    assert.is(w.exit, 0, `worker ${w.i} exited ${w.exit}: ${w.err.slice(-2000)}`);
    assert.ok(w.done, `worker ${w.i} printed no result`);
    totalOps += w.done!.ops;
    problems.push(...w.done!.problems.map((p) => `worker ${w.i}: ${p}`));
    for (const [k, s] of Object.entries(w.done!.stats)) {
      const t = kinds.get(k) ?? { n: 0, maxMs: 0, totalMs: 0 };
      kinds.set(k, { n: t.n + s.n, maxMs: Math.max(t.maxMs, s.maxMs), totalMs: t.totalMs + s.totalMs });
    }
  }
  const expected: Record<string, number> = {};
  for (const w of procs) for (const [k, n] of Object.entries(w.done!.expectedErrors)) expected[k] = (expected[k] ?? 0) + n;
  process.stdout.write(`\n  ${WORKERS} workers, ${DURATION_MS / 1000} s, ${totalOps} ops; shared-dir ENOENT/EEXIST: ${JSON.stringify(expected)}\n${table(['op', 'count', 'mean ms', 'max ms'],
    [...kinds].sort().map(([k, s]) => [k, String(s.n), (s.totalMs / s.n).toFixed(1), s.maxMs.toFixed(0)])).replace(/^/gm, '  ')}\n`);
  assert.ok(problems.length === 0, problems.join('\n'));
  const slowest = Math.max(...[...kinds.values()].map((s) => s.maxMs));
  assert.ok(slowest < MAX_OP_MS, `slowest op ${slowest.toFixed(0)} ms`);
  // the mount still answers ls, and each worker's directory lists what the worker made
  const ls = run('ls', ['-1A', root], { timeoutMs: 30_000 });
  assert.is(ls.code, 0, `ls ${root}: ${ls.err}`);
  assert.equal(ls.out.split('\n').filter(Boolean).sort(), [...Array.from({ length: WORKERS }, (_, i) => `w${i}`), 'shared'].sort());
  for (const w of procs) {
    const n = bashOk(`ls -1A ${q(join(root, `w${w.i}`))} | wc -l`, { timeoutMs: 30_000 }).trim();
    assert.is(Number(n), w.done!.names, `ls of w${w.i}`);
  }
});

test.run();
