/**
 * A collected delete stays collected, with real processes: 3 controllers (127.0.14.11-13) with a
 * short TOMBSTONE_TTL and GC_GRACE and 2 chunkservers. A file is deleted; its records are
 * collected on every controller and its chunk is removed from every chunkserver. Then controller
 * 3 is restarted from a copy of its database taken (online, with SQLite's backup API) before the
 * delete: the file stays deleted on every controller, controller 3 included, and the chunks of
 * the file that was kept are never collected. And while one controller is down, no other
 * collects the chunks of a file deleted meanwhile (it could hold a file that uses them); once it
 * is back and caught up, they are collected.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterStatus, EntryInfo } from '../../src/common/api.js';
import type { Cli } from '../helpers/cli.js';
import { sha256File } from '../helpers/files.js';
import { getJson } from '../helpers/http.js';
import { clusterStepsFor } from '../helpers/step.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { newChunkId } from '../helpers/chunk-ids.js';

const NET = process.env.TOMBSTONES_NET ?? '127.0.14';
const test = suite('tombstones');
/** the repair cycle's note that GC waits for controller 3 (NET.13) */
const unreachable3 = new RegExp(`gcPostponed":"controller [^"]*${NET.replace(/\./g, '\\.')}\\.13[^"]* is not reachable`);
const ctx: { tc?: TestCluster; cli?: Cli; token: string; work: string } = { token: '', work: '' };
const step = clusterStepsFor(test, ctx);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const names = async (c: string): Promise<string[] | undefined> => {
  const r = await getJson<{ entries: EntryInfo[] }>(`${c}/v1/fs/list?path=/`, ctx.token);
  return r.status === 200 ? r.data.entries.map((e) => e.path) : undefined;
};
const dbOf = (tc: TestCluster, i: number): string => join(tc.dir, `ctl${i + 1}`, `controller-ctl${i + 1}`, 'redcloud.db');
const logOf = (tc: TestCluster, i: number): string => readFileSync(join(tc.dir, 'logs', `ctl${i + 1}.log`), 'utf8');
const onChunkservers = (tc: TestCluster, id: string): number => [0, 1].filter((i) => existsSync(join(tc.chunkDir(i), id.slice(0, 2), id))).length;

useTestCluster(test, 'tombstones', ctx, {
  label: 'tombstones', net: NET, controllers: 3, chunkservers: 2,
  // CAPABILITY_TTL: a chunk handed out for writing is kept from GC that long (the controller issuing it may own its GC share)
  controllerEnv: { TRASH_TTL: '0', TOMBSTONE_TTL: '2s', GC_GRACE: '2s', CAPABILITY_TTL: '3s', REPLICATION_FACTOR: 'all', WRITE_QUORUM: '2' },
}, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  ctx.cli = tc.cli;
  ctx.token = await tc.signUp('tom', 'pw-tom-12');
});

step('a controller restored from a backup taken before a delete does not bring the file back, and GC keeps live chunks', async (tc, cli) => {
  const [c1, c2, c3] = tc.controllerUrls as [string, string, string];
  const kept = randomBytes(70_000);
  const gone = randomBytes(90_000); // both above INLINE_MAX (64 KiB): each has a chunk
  writeFileSync(join(ctx.work, 'kept.bin'), kept);
  writeFileSync(join(ctx.work, 'gone.bin'), gone);
  for (const f of ['kept.bin', 'gone.bin']) {
    const up = await cli.run(['upload', join(ctx.work, f), '--controllers', c1]);
    assert.is(up.exitCode, 0, `upload ${f}: ${up.stderr}`);
  }
  for (const c of [c2, c3]) await waitFor(`both files on ${c}`, async () => (await names(c))?.length === 2, { timeoutMs: 15_000 });
  const backup = join(ctx.work, 'ctl3-backup.db');
  await new Database(dbOf(tc, 2), { readonly: true }).backup(backup);
  const held = new Database(backup, { readonly: true });
  const named = held.prepare("SELECT shown FROM links WHERE parent IS NOT NULL AND shown IN ('gone.bin', 'kept.bin') ORDER BY shown").all();
  held.close();
  assert.equal(named, [{ shown: 'gone.bin' }, { shown: 'kept.bin' }], 'the backup holds both files');

  const rm = await cli.run(['rm', '/gone.bin', '--controllers', c1]);
  assert.is(rm.exitCode, 0, `rm: ${rm.stderr}`);
  for (const i of [0, 1, 2]) {
    await waitFor(`controller ${i + 1} to collect the tombstones`, () => /Collected \d+ tombstones/.test(logOf(tc, i)), { timeoutMs: 30_000 });
  }
  await waitFor('the deleted file\'s chunk to leave the chunkservers', () => onChunkservers(tc, newChunkId(gone)) === 0, { timeoutMs: 30_000 });
  assert.is(onChunkservers(tc, newChunkId(kept)), 2, 'the kept file\'s chunk is on both chunkservers');

  const victim = tc.controllers[2]!;
  await victim.kill('SIGTERM');
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbOf(tc, 2)}${suffix}`, { force: true });
  copyFileSync(backup, dbOf(tc, 2));
  victim.start();
  await victim.waitHealthy();
  // (listing it now would race: its first anti-entropy round may already have brought the certificates)
  await waitFor('the restored controller to learn the delete', async () => JSON.stringify(await names(c3)) === '["/kept.bin"]', { timeoutMs: 30_000 });
  // a few anti-entropy rounds later (ANTI_ENTROPY_INTERVAL 2s) it is still gone everywhere
  const until = Date.now() + 6000;
  while (Date.now() < until) {
    for (const c of [c1, c2, c3]) assert.equal(await names(c), ['/kept.bin'], `only /kept.bin on ${c}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.is(onChunkservers(tc, newChunkId(kept)), 2, 'GC never removed the kept file\'s chunk');
  for (const c of [c1, c2, c3]) {
    const dest = join(ctx.work, `kept-${new URL(c).hostname}`);
    const r = await cli.run(['download', '/kept.bin', dest, '--controllers', c]);
    assert.is(r.exitCode, 0, `download via ${c}: ${r.stderr}`);
    assert.is(await sha256File(dest), sha(kept));
  }
});

step('garbage collection waits while a controller is down, and resumes once it is back', async (tc, cli) => {
  const [c1, , c3] = tc.controllerUrls as [string, string, string];
  const later = randomBytes(100_000); // above INLINE_MAX (64 KiB): one chunk
  writeFileSync(join(ctx.work, 'later.bin'), later);
  const up = await cli.run(['upload', join(ctx.work, 'later.bin'), '--controllers', c1]);
  assert.is(up.exitCode, 0, `upload: ${up.stderr}`);
  await waitFor('/later.bin on controller 3', async () => (await names(c3))?.includes('/later.bin'), { timeoutMs: 15_000 });
  const victim = tc.controllers[2]!;
  await victim.kill('SIGKILL');
  // a killed controller looks alive until its silence is noticed; only then does the gate know it is down
  for (const c of [tc.controllerUrls[0]!, tc.controllerUrls[1]!]) {
    await waitFor(`${c} to see controller 3 down`, async () => {
      const { data } = await getJson<ClusterStatus>(`${c}/v1/status`, ctx.token);
      return data.controllers.some((p) => p.url === c3 && !p.alive);
    }, { timeoutMs: 30_000 });
  }
  const offsets = [0, 1].map((i) => logOf(tc, i).length);
  const rmAt = Date.now();
  const rm = await cli.run(['rm', '/later.bin', '--controllers', c1]);
  assert.is(rm.exitCode, 0, `rm: ${rm.stderr}`);
  const postponed = (i: number): number => logOf(tc, i).slice(offsets[i]).split('\n')
    .filter((l) => l.includes('Repair cycle complete') && unreachable3.test(l)).length;
  await waitFor('controllers 1 and 2 to postpone GC for the unreachable controller 3, past GC_GRACE', () =>
    Date.now() - rmAt > 4000 && postponed(0) >= 2 && postponed(1) >= 2, { timeoutMs: 30_000 });
  assert.is(onChunkservers(tc, newChunkId(later)), 2, 'the deleted file\'s chunk is kept while a controller is down');
  victim.start();
  await victim.waitHealthy();
  await waitFor('the chunk to be collected once controller 3 is back', () => onChunkservers(tc, newChunkId(later)) === 0, { timeoutMs: 30_000 });
});

test.run();
