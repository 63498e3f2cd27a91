/**
 * Inline chunks on real processes (issue 14; 2 controllers + 3 chunkservers, REPLICATION_FACTOR 3,
 * a real mount; net INLINE_CHUNKS_NET, default 127.0.59): a 4 KiB overwrite + fsync in an 8 MiB
 * file sends no chunkserver a byte or a PUT (their metrics), its read plan carries the chunk inline,
 * and the file reads back by sha256 through the mount and `redcloud download`, from the other
 * controller after gossip, and after a remount; overwrites past the record's inline limit
 * (INLINE_MAX, 64 KiB) move the bytes to the chunkservers (a packed chunk) and still read back;
 * and bytes fsynced by a writer that never closed survive kill -9 of the writer and the mount.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlan } from '../../src/common/api.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { getJson, http } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { FAST_CHUNKSERVER_ENV, FAST_CONTROLLER_ENV } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { metricValue, startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';
import { fsyncThenKill } from './helpers/fsynced-writer.js';

const test = suite('fuse inline chunks');
const ctx: { fc?: FuseCluster } = {};
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');
const MiB = 1024 * 1024;
const PAGE = 4096;

/** Bytes and successful PUTs all chunkservers received so far. */
async function received(fc: FuseCluster): Promise<{ bytes: number; puts: number }> {
  let bytes = 0;
  let puts = 0;
  for (const cs of fc.tc.chunkservers) {
    const text = (await http(`${cs.url}/metrics`)).body.toString('utf8');
    bytes += metricValue(text, 'redcloud_chunkserver_bytes_in_total');
    puts += metricValue(text, 'redcloud_chunkserver_puts_total', 'result="created"') + metricValue(text, 'redcloud_chunkserver_puts_total', 'result="present"');
  }
  return { bytes, puts };
}

/** The counters once the copy's replicas have all landed (two reads 500 ms apart agree). */
async function settled(fc: FuseCluster): Promise<{ bytes: number; puts: number }> {
  let last = await received(fc);
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await received(fc);
    if (now.bytes === last.bytes && now.puts === last.puts) return now;
    last = now;
  }
  return last;
}

async function planAt(fc: FuseCluster, i: number, path: string): Promise<ReadPlan | undefined> {
  const { status, data } = await getJson<ReadPlan>(`${fc.tc.controllerUrls[i]}/v1/fs/read?path=${encodeURIComponent(path)}`, fc.token);
  return status === 200 ? data : undefined;
}
const inlineOf = (plan: ReadPlan | undefined): { id: string; size: number }[] =>
  (plan?.chunks ?? []).filter((c) => c.inline !== undefined).map((c) => ({ id: c.id, size: c.size }));

/** Overwrites 4 KiB pages at `offsets` of the mounted file, each followed by fsync (another process), and the same in `local`. */
function overwritePages(mounted: string, local: string, offsets: number[], seed: number): void {
  const py = [
    'import os,sys,random', 'r=random.Random(int(sys.argv[3]))', 'fd=os.open(sys.argv[1],os.O_WRONLY)', 'offs=[int(x) for x in sys.argv[4].split(",")]',
    'pages=[bytes(r.getrandbits(8) for _ in range(4096)) for _ in offs]',
    'for o,p in zip(offs,pages):', '  os.pwrite(fd,p,o)', '  os.fsync(fd)', 'os.close(fd)',
    'lf=os.open(sys.argv[2],os.O_WRONLY)', 'for o,p in zip(offs,pages): os.pwrite(lf,p,o)', 'os.close(lf)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, mounted, local, String(seed), offsets.join(',')], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`overwrite: ${r.stderr}`);
}

const shaThrough = (path: string): string => {
  const r = spawnSync('sha256sum', [path], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`sha256sum ${path}: ${r.stderr}`);
  return r.stdout.split(' ')[0]!;
};

async function downloadSha(fc: FuseCluster, remote: string, controller?: string): Promise<string> {
  const out = join(fc.work, `dl-${Date.now()}`);
  const r = await fc.tc.cli.run(['download', remote, out, ...(controller ? ['--controllers', controller] : [])]);
  assert.is(r.exitCode, 0, r.stderr);
  return sha256File(out);
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-inline-chunks', net: process.env.INLINE_CHUNKS_NET ?? '127.0.59', controllers: 2, chunkservers: 3,
    controllerEnv: { ...FAST_CONTROLLER_ENV, REPLICATION_FACTOR: '3' }, chunkserverEnv: FAST_CHUNKSERVER_ENV,
  });
});
test.after(async () => {
  await ctx.fc?.stop();
});
if (!existsSync('/dev/fuse')) process.stdout.write('  fuse inline chunks: skipped (no /dev/fuse)\n');

const local = (fc: FuseCluster): string => join(fc.work, 'db.bin');

step('a 4 KiB overwrite + fsync of an 8 MiB file: no chunkserver gets a byte, the plan carries it inline, same bytes through the mount and the CLI', async (fc) => {
  writeRandomFile(local(fc), 8 * MiB);
  const r = spawnSync('cp', [local(fc), join(fc.mnt, 'db.bin')], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, r.stderr);
  const before = await settled(fc);
  overwritePages(join(fc.mnt, 'db.bin'), local(fc), [3 * MiB + 5 * PAGE], 1);
  const after = await received(fc);
  assert.equal(after, before, 'no PUT, no byte to any chunkserver');
  const plan = await planAt(fc, 0, '/db.bin');
  assert.equal(inlineOf(plan).map((c) => c.size), [PAGE], 'one inline chunk of 4 KiB');
  const want = await sha256File(local(fc));
  assert.is(shaThrough(join(fc.mnt, 'db.bin')), want, 'through the mount');
  assert.is(await downloadSha(fc, '/db.bin'), want, 'redcloud download');
});

step('the other controller has it after gossip and serves it; a remount reads it back', async (fc) => {
  const want = await sha256File(local(fc));
  await waitFor('the inline chunk on controller 2', async () => inlineOf(await planAt(fc, 1, '/db.bin')).length === 1);
  assert.is(await downloadSha(fc, '/db.bin', fc.tc.controllerUrls[1]), want, 'downloaded from controller 2');
  await fc.mount.stop();
  await fc.remount();
  assert.is(shaThrough(join(fc.mnt, 'db.bin')), want, 'after a remount');
});

step('overwrites past the inline limit move the bytes to the chunkservers (a packed chunk); the file still reads back', async (fc) => {
  const before = await received(fc);
  // 20 pages: the record holds at most 64 KiB of inline chunks (16 pages), so at least one fold
  overwritePages(join(fc.mnt, 'db.bin'), local(fc), Array.from({ length: 20 }, (_, k) => k * 397 * PAGE), 2);
  const after = await received(fc);
  assert.ok(after.puts > before.puts, `a packed chunk went to the chunkservers (${after.puts - before.puts} PUTs)`);
  assert.ok(after.bytes - before.bytes >= 3 * 16 * PAGE, `the folded pages went to the chunkservers (${after.bytes - before.bytes} bytes)`);
  const plan = await planAt(fc, 0, '/db.bin');
  const inline = inlineOf(plan).reduce((n, c) => n + c.size, 0);
  assert.ok(inline <= 64 * 1024, `the record keeps at most 64 KiB inline (${inline})`);
  const want = await sha256File(local(fc));
  assert.is(shaThrough(join(fc.mnt, 'db.bin')), want, 'through the mount');
  assert.is(await downloadSha(fc, '/db.bin'), want, 'redcloud download');
});

step('kill -9 of the writer and the mount after an inline fsync keeps the bytes', async (fc) => {
  const page = Buffer.alloc(PAGE);
  for (let i = 0; i < PAGE; i++) page[i] = (i * 7 + 3) & 0xff;
  const off = 5 * MiB + 3 * PAGE;
  await fsyncThenKill(['import os,sys', 'fd=os.open(sys.argv[1],os.O_WRONLY)', `os.pwrite(fd,bytes(((i*7+3)&255) for i in range(${PAGE})),${off})`, 'os.fsync(fd)'],
    [join(fc.mnt, 'db.bin')]);
  fc.mount.proc.kill('SIGKILL');
  await waitFor('the mount process to exit', () => fc.mount.proc.exitCode !== null || fc.mount.proc.signalCode !== null);
  const fd = openSync(local(fc), 'r+');
  writeSync(fd, page, 0, PAGE, off);
  closeSync(fd);
  assert.ok(inlineOf(await planAt(fc, 0, '/db.bin')).some((c) => c.size === PAGE), 'the last page is inline');
  await fc.remount();
  const want = await sha256File(local(fc));
  assert.is(shaThrough(join(fc.mnt, 'db.bin')), want, 'after kill -9 and a remount');
  assert.is(await downloadSha(fc, '/db.bin'), want);
});

test.run();
