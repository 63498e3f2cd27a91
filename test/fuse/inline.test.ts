/**
 * Small files inline, on real processes (2 controllers + 2 chunkservers on 127.0.52.x, a real
 * mount): a 4 KiB file uploaded with the CLI or written through the mount round-trips byte for byte
 * (by hash) and leaves no chunk on any chunkserver; growing a file past INLINE_MAX (64 KiB) moves
 * it to chunks, truncating it back inlines it again, its bytes right each time; and a small file
 * reaches the other controller by gossip and reads there (CLI download and its read plan) with
 * every chunkserver stopped.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlan } from '../../src/common/api.js';
import { listFiles, sha256File, writeRandomFile } from '../helpers/files.js';
import { getJson } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { FAST_CHUNKSERVER_ENV, FAST_CONTROLLER_ENV } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const test = suite('fuse inline');
const ctx: { fc?: FuseCluster } = {};
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');
const KiB = 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Chunk files stored on all chunkservers. */
const storedChunks = (fc: FuseCluster): number =>
  fc.tc.chunkservers.reduce((n, _c, i) => n + (existsSync(fc.tc.chunkDir(i)) ? listFiles(fc.tc.chunkDir(i)).filter((f) => /[0-9a-f]{64}$/.test(f)).length : 0), 0);

/** The read plan of `path` from controller `i`. */
async function planAt(fc: FuseCluster, i: number, path: string): Promise<ReadPlan | undefined> {
  const { status, data } = await getJson<ReadPlan>(`${fc.tc.controllerUrls[i]}/v1/fs/read?path=${encodeURIComponent(path)}`, fc.token);
  return status === 200 ? data : undefined;
}

/** Runs a shell command as a separate process (never touch the mount from this one). */
const sh = (cmd: string): string => execFileSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 60_000 });

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-inline', net: '127.0.52', controllers: 2, chunkservers: 2,
    controllerEnv: { ...FAST_CONTROLLER_ENV, REPLICATION_FACTOR: '2' }, chunkserverEnv: FAST_CHUNKSERVER_ENV,
  });
});
test.after(async () => {
  await ctx.fc?.stop();
});
if (!existsSync('/dev/fuse')) process.stdout.write('  fuse inline: skipped (no /dev/fuse)\n');

step('a 4 KiB file through the CLI and through the mount: same bytes both ways, no chunk stored', async (fc) => {
  const src = join(fc.work, 'small.bin');
  writeRandomFile(src, 4 * KiB);
  const want = await sha256File(src);
  const up = await fc.tc.cli.run(['upload', src, '--to', '/cli-small.bin']);
  assert.is(up.exitCode, 0, up.stderr);
  assert.is(sh(`sha256sum < ${join(fc.mnt, 'cli-small.bin')}`).split(' ')[0], want, 'read through the mount');
  sh(`cp ${src} ${join(fc.mnt, 'mount-small.bin')}`);
  const out = join(fc.work, 'mount-small.out');
  const down = await fc.tc.cli.run(['download', '/mount-small.bin', out]);
  assert.is(down.exitCode, 0, down.stderr);
  assert.is(await sha256File(out), want, 'written through the mount, downloaded with the CLI');
  const plan = await planAt(fc, 0, '/mount-small.bin');
  assert.ok(plan?.inline !== undefined, 'the read plan carries the bytes');
  assert.equal(plan!.chunks, []);
  assert.is(storedChunks(fc), 0, 'no chunkserver holds a chunk');
});

step('growing past INLINE_MAX moves the file to chunks; truncating it back inlines it again', async (fc) => {
  const name = join(fc.mnt, 'grow.bin');
  const part = Buffer.alloc(40 * KiB, 7);
  writeFileSync(join(fc.work, 'part'), part);
  sh(`cat ${join(fc.work, 'part')} > ${name}`);
  assert.ok((await planAt(fc, 0, '/grow.bin'))?.inline !== undefined, '40 KiB: inline');
  sh(`cat ${join(fc.work, 'part')} >> ${name}`);
  let plan = await planAt(fc, 0, '/grow.bin');
  assert.is(plan?.inline, undefined, '80 KiB: in chunks');
  assert.is(plan!.chunks.length, 1);
  await waitFor('the chunk on the chunkservers', () => storedChunks(fc) >= 1);
  const grown = Buffer.concat([part, part]);
  assert.is(sh(`sha256sum < ${name}`).split(' ')[0], sha(grown));
  sh(`truncate -s 1000 ${name}`);
  plan = await planAt(fc, 0, '/grow.bin');
  assert.ok(plan?.inline !== undefined, 'truncated to 1000 bytes: inline again');
  assert.is(plan!.entry.size, 1000);
  assert.is(sh(`sha256sum < ${name}`).split(' ')[0], sha(grown.subarray(0, 1000)));
  const out = join(fc.work, 'grow.out');
  const down = await fc.tc.cli.run(['download', '/grow.bin', out]);
  assert.is(down.exitCode, 0, down.stderr);
  assert.equal(readFileSync(out), grown.subarray(0, 1000));
});

step('a small file gossiped to the other controller reads there with every chunkserver stopped', async (fc) => {
  const src = join(fc.work, 'gossiped.bin');
  writeRandomFile(src, 3000);
  const up = await fc.tc.cli.run(['upload', src, '--to', '/gossiped.bin']);
  assert.is(up.exitCode, 0, up.stderr);
  await waitFor('the file on controller 2', () => planAt(fc, 1, '/gossiped.bin'));
  await Promise.all(fc.tc.chunkservers.map((n) => n.kill('SIGKILL')));
  const plan = await planAt(fc, 1, '/gossiped.bin');
  assert.is(sha(Buffer.from(plan!.inline!, 'base64')), await sha256File(src));
  const out = join(fc.work, 'gossiped.out');
  const down = await fc.tc.cli.run(['download', '/gossiped.bin', out, '--controllers', fc.tc.controllerUrls[1]!]);
  assert.is(down.exitCode, 0, down.stderr);
  assert.is(await sha256File(out), await sha256File(src));
});

test.run();
