/**
 * The mounted directory on a real cluster (1 controller + 3 chunkservers on 127.0.8.x, a real
 * mount process): a 500-file tree copied in with cp -r and diffed, the same bytes through the CLI,
 * CLI tags as the user.redcloud.tags xattr, POSIX corner cases (ENOTEMPTY, rename over a file,
 * unlink while open, truncate, append, chmod, utimens), a 4 KiB overwrite in a 64 MiB file that
 * uploads no chunk (an inline chunk in the inode record), and a tar round trip. The mount is only touched by child processes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../../src/cluster/paths.js';
import { createCli } from '../helpers/cli.js';
import { listFiles, sha256File, writeRandomFile } from '../helpers/files.js';
import { http } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { metricValue, startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';
import { stepsFor } from '../helpers/step.js';
import { seededRandom as prng } from '../helpers/prng.js';

const MiB = 1024 * 1024;
const test = suite('fuse posix');
const ctx: { fc?: FuseCluster } = {};

const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

/** Names in a directory of the mount, listed by a child process. */
function readdirNames(dir: string): string[] {
  return shOk('ls', ['-1A', dir]).split('\n').filter(Boolean);
}

/** Runs a command (never in this process's event loop on the mount); returns code and output. */
function sh(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, encoding: 'utf8', maxBuffer: 64 * MiB });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function shOk(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): string {
  const r = sh(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.err.slice(0, 2000)}${r.out.slice(0, 2000)}`);
  return r.out;
}


/** 500 files, 0 B … 20 MiB (~150 MiB in all), names with spaces and unicode, up to 5 levels deep. */
function makeTree(root: string): { files: string[]; totalBytes: number } {
  const rnd = prng(5);
  const dirs = ['', 'a', 'a/b c', 'a/b c/dé', 'a/b c/dé/日本', 'a/b c/dé/日本/e 5', 'x', 'x/y', 'spaces in name', 'ünï'];
  for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
  const files: string[] = [];
  let totalBytes = 0;
  for (let i = 0; i < 500; i++) {
    let size: number;
    if (i < 3) size = 20 * MiB - i * 1000;
    else if (i < 13) size = 4 * MiB + (i - 8) * 4096; // around the chunk size
    else if (i < 30) size = Math.floor(rnd() * 3 * MiB);
    else if (i < 40) size = 0;
    else size = Math.floor(rnd() * rnd() * 200_000);
    const dir = dirs[Math.floor(rnd() * dirs.length)]!;
    const name = `${i % 3 === 0 ? 'file ' : i % 3 === 1 ? 'fïlé-' : 'f_'}${i}${i % 7 === 0 ? ' ☃.bin' : '.dat'}`;
    const rel = join(dir, name);
    writeRandomFile(join(root, rel), size);
    files.push(rel);
    totalBytes += size;
  }
  return { files, totalBytes };
}

async function chunkserverPuts(fc: FuseCluster): Promise<number> {
  let sum = 0;
  for (const cs of fc.tc.chunkservers) {
    const r = await http(`${cs.url}/metrics`);
    sum += metricValue(r.body.toString('utf8'), 'redcloud_chunkserver_puts_total', 'result="created"');
  }
  return sum;
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  try {
    ctx.fc = await startFuseCluster({ label: 'fuse-posix', net: process.env.POSIX_NET ?? '127.0.8', controllers: 1, chunkservers: 3 });
  } catch (err) {
    process.stderr.write(`fuse posix: setup failed: ${(err as Error).stack ?? String(err)}\n`);
    throw err;
  }
});

test.after(async () => {
  await ctx.fc?.stop();
});

step('cp -r of a 500-file tree into the mount; diff -r is clean', async (fc) => {
  const src = join(fc.work, 'tree');
  const { files } = makeTree(src);
  assert.is(files.length, 500);
  shOk('cp', ['-r', src, join(fc.mnt, 'tree')], { timeoutMs: 300_000 });
  const d = sh('diff', ['-r', src, join(fc.mnt, 'tree')], { timeoutMs: 300_000 });
  assert.is(d.code, 0, `diff -r: ${d.out.slice(0, 2000)}${d.err.slice(0, 2000)}`);
  assert.equal(listFiles(join(fc.mnt, 'tree')), listFiles(src));
});

step('the files copied in download through the CLI with the same sha256', async (fc) => {
  const src = join(fc.work, 'tree');
  const picks = ['a/file 0 ☃.bin', 'a/b c/dé/日本/e 5', 'x'].length ? listFiles(src).filter((_, i) => i % 97 === 0) : [];
  const big = listFiles(src).filter((f) => statSync(join(src, f)).size >= 20 * MiB - 5000);
  for (const rel of [...picks, ...big]) {
    const dest = join(fc.work, `dl-${rel.replace(/\//g, '_')}`);
    const r = await fc.tc.cli.run(['download', `/tree/${rel}`, dest]);
    assert.is(r.exitCode, 0, `download ${rel}: ${r.stderr}`);
    assert.is(await sha256File(dest), await sha256File(join(src, rel)), rel);
  }
});

step('a file uploaded with the CLI with tags shows them as user.redcloud.tags', async (fc) => {
  const local = join(fc.work, 'tagged.txt');
  writeFileSync(local, 'tagged through the CLI\n');
  const r = await fc.tc.cli.run(['upload', local, 'red', 'blue']);
  assert.is(r.exitCode, 0, `upload: ${r.stderr}`);
  const inMount = join(fc.mnt, 'tagged.txt');
  const got = await waitFor('tagged.txt in the mount', () => {
    const x = sh('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], "user.redcloud.tags").decode())', inMount]);
    return x.code === 0 ? x.out : undefined;
  }, { timeoutMs: 10_000, pollMs: 200 });
  assert.equal(got.split(',').sort(), ['blue', 'red']);
  assert.is(readFileSync(local, 'utf8'), shOk('cat', [inMount]));
});

step('mkdir; rmdir of a non-empty dir is ENOTEMPTY; of an empty one works', async (fc) => {
  shOk('mkdir', ['-p', join(fc.mnt, 'd1/d2')]);
  shOk('sh', ['-c', `echo hi > '${join(fc.mnt, 'd1/d2/f')}'`]);
  const r = sh('rmdir', [join(fc.mnt, 'd1/d2')]);
  assert.is.not(r.code, 0);
  assert.match(r.err, /Directory not empty/);
  shOk('rm', [join(fc.mnt, 'd1/d2/f')]);
  shOk('rmdir', [join(fc.mnt, 'd1/d2')]);
  assert.equal(shOk('ls', ['-A', join(fc.mnt, 'd1')]), '');
});

step('rename over an existing file replaces it', async (fc) => {
  shOk('sh', ['-c', `printf one > '${fc.mnt}/r1' && printf two > '${fc.mnt}/r2' && mv '${fc.mnt}/r1' '${fc.mnt}/r2'`]);
  assert.is(shOk('cat', [join(fc.mnt, 'r2')]), 'one');
  assert.is(sh('stat', [join(fc.mnt, 'r1')]).code, 1);
});

step('unlink of an open file: the holder keeps reading, the name is gone', async (fc) => {
  shOk('sh', ['-c', `printf 'still here' > '${fc.mnt}/open-unlink'`]);
  const py = [
    'import os,sys', 'p=sys.argv[1]', 'f=open(p,"rb")', 'os.unlink(p)', 'print(os.path.exists(p))',
    'print(f.read().decode())', 'f.close()',
  ].join('\n');
  const out = shOk('python3', ['-c', py, join(fc.mnt, 'open-unlink')]);
  assert.is(out, 'False\nstill here\n');
  assert.not.ok(shOk('ls', [fc.mnt]).split('\n').includes('open-unlink'));
});

step('a file open while its directory is renamed lands under the new name', async (fc) => {
  const py = [
    'import os,sys', 'm=sys.argv[1]', 'os.mkdir(m+"/ren-a")', 'f=open(m+"/ren-a/f","wb")', 'f.write(b"moved with its dir")',
    'os.rename(m+"/ren-a", m+"/ren-b")', 'f.close()', 'print(open(m+"/ren-b/f","rb").read().decode())', 'print(os.path.exists(m+"/ren-a"))',
  ].join('\n');
  assert.is(shOk('python3', ['-c', py, fc.mnt]), 'moved with its dir\nFalse\n');
  const dl = join(fc.work, 'ren-b-f');
  const r = await fc.tc.cli.run(['download', '/ren-b/f', dl]);
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(readFileSync(dl, 'utf8'), 'moved with its dir');
});

step('truncate up and down, append', async (fc) => {
  const f = join(fc.mnt, 'trunc');
  shOk('sh', ['-c', `printf 0123456789 > '${f}'`]);
  shOk('truncate', ['-s', '4', f]);
  assert.is(shOk('cat', [f]), '0123');
  shOk('truncate', ['-s', String(5 * MiB + 3), f]);
  assert.is(shOk('stat', ['-c', '%s', f]).trim(), String(5 * MiB + 3));
  const data = execFileSync('cat', [f], { maxBuffer: 64 * MiB });
  assert.is(data.length, 5 * MiB + 3);
  assert.is(data.subarray(0, 4).toString(), '0123');
  assert.ok(data.subarray(4).every((b) => b === 0), 'zeros after the old end');
  shOk('truncate', ['-s', '2', f]);
  shOk('sh', ['-c', `printf abc >> '${f}' && printf de >> '${f}'`]);
  assert.is(shOk('cat', [f]), '01abcde');
});

step('chmod and utimens are visible in stat', async (fc) => {
  const f = join(fc.mnt, 'modes');
  shOk('sh', ['-c', `printf x > '${f}'`]);
  shOk('chmod', ['640', f]);
  shOk('touch', ['-d', '2001-02-03 04:05:06 UTC', f]);
  await waitFor('mode and mtime in stat', () => {
    const s = shOk('stat', ['-c', '%a %Y', f]).trim();
    return s === '640 981173106' ? s : undefined;
  }, { timeoutMs: 5000, pollMs: 200 });
  // one time only (UTIME_OMIT for the other; fuse-native as scripts/fix-fuse-native.mjs builds it):
  // touch -m sets the mtime, touch -a leaves it alone
  shOk('touch', ['-m', '-d', '2002-03-04 05:06:07 UTC', f]);
  shOk('touch', ['-a', '-d', '2011-01-01 00:00:00 UTC', f]);
  await waitFor('mtime of touch -m, unchanged by touch -a', () => {
    const s = shOk('stat', ['-c', '%Y', f]).trim();
    return s === '1015218367' ? s : undefined;
  }, { timeoutMs: 5000, pollMs: 200 });
  // a different atime and mtime (utimensat with both): the mtime is the one kept
  shOk('node', ['-e', `require('fs').utimesSync(${JSON.stringify(f)}, 1000000000, 1500000000)`]);
  await waitFor('mtime of utimes', () => shOk('stat', ['-c', '%Y', f]).trim() === '1500000000' || undefined, { timeoutMs: 5000, pollMs: 200 });
  // plain touch (UTIME_NOW) moves the mtime to now
  const t0 = Math.floor(Date.now() / 1000) - 2;
  shOk('touch', [f]);
  await waitFor('mtime of touch', () => Number(shOk('stat', ['-c', '%Y', f]).trim()) >= t0, { timeoutMs: 5000, pollMs: 200 });
  shOk('mkdir', [join(fc.mnt, 'mdir')]);
  shOk('chmod', ['700', join(fc.mnt, 'mdir')]);
  await waitFor('dir mode', () => shOk('stat', ['-c', '%a', join(fc.mnt, 'mdir')]).trim() === '700', { timeoutMs: 5000, pollMs: 200 });
});

step('overwriting 4 KiB in the middle of a 64 MiB file uploads nothing (an inline chunk in the inode record)', async (fc) => {
  const local = join(fc.work, 'big64');
  writeRandomFile(local, 64 * MiB);
  const f = join(fc.mnt, 'big64');
  shOk('cp', [local, f]);
  const before = await chunkserverPuts(fc);
  const patch = join(fc.work, 'patch4k');
  writeRandomFile(patch, 4096);
  const seekBlocks = (30 * MiB + 12_288) / 4096;
  shOk('dd', [`if=${patch}`, `of=${f}`, 'bs=4096', `seek=${seekBlocks}`, 'conv=notrunc', 'status=none']);
  shOk('dd', [`if=${patch}`, `of=${local}`, 'bs=4096', `seek=${seekBlocks}`, 'conv=notrunc', 'status=none']);
  const after = await chunkserverPuts(fc);
  assert.is(after - before, 0, 'no chunk PUT: the 4 KiB travel in the commit (src/meta/inline.ts inline chunks)');
  assert.is(shOk('sha256sum', [f]).split(' ')[0], await sha256File(local));
  const dl = join(fc.work, 'big64.dl');
  const r = await fc.tc.cli.run(['download', '/big64', dl]);
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(await sha256File(dl), await sha256File(local));
});

step('a 768 MiB new file commits with bounded memory in the mount process', async (fc) => {
  const hwm = (): number => {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${fc.mount.proc.pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) * 1024;
  };
  const before = hwm();
  const f = join(fc.mnt, 'zeros768');
  // zeros: every chunk has the same id, so the cluster stores one chunk and the test stays fast;
  // the driver still reads and hashes all 192 chunks at commit
  shOk('dd', ['if=/dev/zero', `of=${f}`, 'bs=1M', 'count=768', 'status=none'], { timeoutMs: 180_000 });
  const grownBytes = hwm() - before;
  assert.ok(grownBytes < 200 * MiB, `peak RSS of the mount grew by ${Math.round(grownBytes / MiB)} MiB`);
  assert.is(shOk('stat', ['-c', '%s', f]).trim(), String(768 * MiB));
  const ls = await fc.tc.cli.run(['ls', '/', '--json']);
  assert.is(ls.exitCode, 0, ls.stderr);
  assert.ok(ls.stdout.includes(String(768 * MiB)), 'the committed size is visible through the CLI');
});

step('tar -x of a real tree into the mount and tar -c back out give the same bytes', async (fc) => {
  const tarball = join(fc.work, 'fastify.tar');
  shOk('tar', ['-cf', tarball, '-C', join(repoRoot(), 'node_modules'), 'fastify']);
  const ref = join(fc.work, 'ref');
  mkdirSync(ref);
  shOk('tar', ['-xf', tarball, '-C', ref]);
  mkdirSync(join(fc.mnt, 'untar'));
  shOk('tar', ['-xf', tarball, '-C', join(fc.mnt, 'untar')], { timeoutMs: 300_000 });
  const back = join(fc.work, 'back.tar');
  shOk('tar', ['-cf', back, '-C', join(fc.mnt, 'untar'), 'fastify'], { timeoutMs: 300_000 });
  const out = join(fc.work, 'out');
  mkdirSync(out);
  shOk('tar', ['-xf', back, '-C', out]);
  const files = listFiles(join(ref, 'fastify'));
  assert.ok(files.length > 100, `fastify has ${files.length} files`);
  assert.equal(listFiles(join(out, 'fastify')), files);
  const d = sh('diff', ['-r', join(ref, 'fastify'), join(out, 'fastify')]);
  assert.is(d.code, 0, d.out.slice(0, 2000));
  // listings match too: kind and mode, size, mtime, name (tar -x set every mtime through utimens)
  const list = (tar: string) => shOk('tar', ['-tvf', tar, '--utc']).split('\n').filter(Boolean).map((l) => {
    const f = l.split(/\s+/);
    return `${f[0]} ${f.slice(2).join(' ')}`;
  }).sort();
  assert.equal(list(back), list(tarball));
});

step("another user's files are invisible and untouchable through the mount", async (fc) => {
  const other = createCli({ configDir: join(fc.work, 'other-cli'), controllers: fc.tc.controllerUrls });
  for (const args of [['register', 'other', 'pw-other-1'], ['login', 'other', 'pw-other-1']]) {
    const r = await other.run(args);
    assert.is(r.exitCode, 0, r.stderr);
  }
  const secret = join(fc.work, 'secret.bin');
  writeRandomFile(secret, 100_000);
  assert.is((await other.run(['upload', secret, '--to', '/others-secret.bin'])).exitCode, 0);
  assert.not.ok(readdirNames(fc.mnt).includes('others-secret.bin'), 'not listed in the mount');
  assert.is(sh('stat', [join(fc.mnt, 'others-secret.bin')]).code, 1, 'stat: no such file');
  assert.is(sh('cat', [join(fc.mnt, 'others-secret.bin')]).code, 1, 'read: no such file');
  assert.is(sh('rm', [join(fc.mnt, 'others-secret.bin')]).code, 1, 'unlink: no such file');
  assert.is(sh('mv', [join(fc.mnt, 'others-secret.bin'), join(fc.mnt, 'mine.bin')]).code, 1, 'rename: no such file');
  assert.is(sh('python3', ['-c', `import os; os.setxattr(${JSON.stringify(join(fc.mnt, 'others-secret.bin'))}, 'user.redcloud.tags', b'x')`]).code, 1, 'tag: no such file');
  const back = join(fc.work, 'secret.back');
  assert.is((await other.run(['download', '/others-secret.bin', back])).exitCode, 0, 'the owner still has it');
  assert.is(await sha256File(back), await sha256File(secret));
});

test.run();
