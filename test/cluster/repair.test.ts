/**
 * Self-healing storage against real processes on 127.0.6.x (1 controller + 5 chunkservers, short
 * REPAIR_INTERVAL / HEARTBEAT_TIMEOUT / GC_GRACE / SCRUB_INTERVAL), through the real CLI:
 * re-replication after chunkservers die and return, a corrupted replica replaced, garbage of
 * deleted files collected while shared chunks stay, a full chunkserver left undamaged, a write
 * below WRITE_QUORUM refused with a clear message and nothing committed; then a
 * second cluster with REPLICATION_FACTOR=2: exactly 2 replicas, restored after a loss, trimmed
 * back after the server returns. Everything is checked on disk (chunk files hash to their names).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterStatus } from '../../src/common/api.js';
import { listFiles, sha256File, writeRandomFile } from '../helpers/files.js';
import { getJson, loginToken } from '../helpers/http.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { chunkIntact, newChunkId } from '../helpers/chunk-ids.js';

const CHUNK_BYTES = 256 * 1024;
const NET = '127.0.6';
// CAPABILITY_TTL also holds freshly placed chunks from GC: short, so deleted files' chunks go soon.
const CONTROLLER_ENV = { TRASH_TTL: '0', REPAIR_INTERVAL: '2s', HEARTBEAT_TIMEOUT: '3s', GC_GRACE: '3s', CAPABILITY_TTL: '5s', CHUNK_SIZE: '256KiB' };
const CHUNKSERVER_ENV = { SCRUB_INTERVAL: '1s', HEARTBEAT_INTERVAL: '300ms' };

interface Ctx { tc?: TestCluster; work: string; token: string }

/** Chunk ids (of each CHUNK_BYTES piece, as an upload names them) of a local file. */
function chunkIdsOf(path: string): string[] {
  const data = readFileSync(path);
  const ids: string[] = [];
  for (let off = 0; off < data.length; off += CHUNK_BYTES) ids.push(newChunkId(data.subarray(off, off + CHUNK_BYTES)));
  return [...new Set(ids)];
}

/** Chunk ids stored in chunkserver i's directory. */
function onDisk(tc: TestCluster, i: number): Set<string> {
  return new Set(listFiles(tc.chunkDir(i)).map((f) => basename(f)).filter((n) => /^[0-9a-f]{64}$/.test(n)));
}

/** Chunk files of chunkserver i whose content no longer hashes to their name. */
function damaged(tc: TestCluster, i: number): string[] {
  return [...onDisk(tc, i)].filter((id) => !chunkIntact(id, readFileSync(join(tc.chunkDir(i), id.slice(0, 2), id))));
}

async function healthyCount(tc: TestCluster, token: string): Promise<number> {
  const { data } = await getJson<ClusterStatus>(`${tc.controllerUrls[0]}/v1/status`, token);
  return data.chunkservers.filter((c) => c.healthy).length;
}

function makeSuite(name: string, label: string, extraControllerEnv: Record<string, string>) {
  const test = suite(name);
  const ctx: Ctx = { work: '', token: '' };
  useTestCluster(test, name, ctx, {
    label, net: NET, controllers: 1, chunkservers: 5,
    controllerEnv: { ...CONTROLLER_ENV, ...extraControllerEnv }, chunkserverEnv: CHUNKSERVER_ENV,
  }, async (tc) => {
    tc.cli.env.CHUNK_SIZE = '256KiB';
    ctx.work = join(tc.dir, 'work');
    mkdirSync(ctx.work, { recursive: true });
    const reg = await tc.cli.run(['register', 'alice', '--password', 'pw-alice-1']);
    if (reg.exitCode !== 0) throw new Error(`register: ${reg.stderr}`);
    const login = await tc.cli.run(['login', 'alice', 'pw-alice-1']);
    if (login.exitCode !== 0) throw new Error(`login: ${login.stderr}`);
    ctx.token = await loginToken(tc.controllerUrls[0]!, 'alice', 'pw-alice-1');
    await tc.waitHealthyChunkservers(ctx.token, 5);
  });
  const step = (title: string, fn: (tc: TestCluster) => Promise<void>): void => {
    test(title, async () => {
      const tc = ctx.tc;
      if (!tc) throw new Error('cluster did not start (see the logs above)');
      try {
        await fn(tc);
      } catch (err) {
        tc.dumpLogs();
        throw err;
      }
    });
  };
  /** Writes a random local file, uploads it, returns its path and chunk ids. */
  const upload = async (tc: TestCluster, file: string, sizeBytes: number, remote?: string): Promise<{ path: string; ids: string[]; sha: string }> => {
    const path = join(ctx.work, file);
    if (sizeBytes >= 0) writeRandomFile(path, sizeBytes);
    const up = await tc.cli.run(['upload', path, ...(remote ? ['--to', remote] : [])]);
    assert.is(up.exitCode, 0, `upload ${file}: ${up.stderr}`);
    return { path, ids: chunkIdsOf(path), sha: await sha256File(path) };
  };
  const downloadSha = async (tc: TestCluster, remote: string): Promise<string> => {
    const dest = join(ctx.work, `down-${Math.random().toString(36).slice(2)}`);
    const down = await tc.cli.run(['download', remote, dest]);
    assert.is(down.exitCode, 0, `download ${remote}: ${down.stderr}`);
    return sha256File(dest);
  };
  return { test, ctx, step, upload, downloadSha };
}

// ---------------------------------------------------------------- REPLICATION_FACTOR=all
const all = makeSuite('repair (factor all)', 'repair-all', {});
const shared = { files: [] as { ids: string[]; sha: string; remote: string }[] };

all.step('3 of 5 chunkservers killed: reads work, writes go on, and on return every chunk reaches all 5 disks', async (tc) => {
  const f1 = await all.upload(tc, 'one.bin', 2 * 1024 * 1024);
  assert.is(f1.ids.length, 8);
  await waitFor('one.bin on all 5 disks', () => [0, 1, 2, 3, 4].every((i) => f1.ids.every((id) => onDisk(tc, i).has(id))), { timeoutMs: 15_000 });
  for (const i of [2, 3, 4]) await tc.chunkservers[i]!.kill('SIGKILL');
  assert.is(await all.downloadSha(tc, '/one.bin'), f1.sha);
  await waitFor('3 chunkservers marked failed', async () => (await healthyCount(tc, all.ctx.token)) === 2, { timeoutMs: 15_000 });
  const f2 = await all.upload(tc, 'two.bin', 1024 * 1024 + 1000);
  assert.is(await all.downloadSha(tc, '/two.bin'), f2.sha);
  for (const i of [2, 3, 4]) {
    tc.chunkservers[i]!.start();
    await tc.chunkservers[i]!.waitHealthy();
  }
  // two repair intervals (2 s) after the heartbeat timeout's worth of re-registration, with slack
  await waitFor('every chunk of both files on all 5 disks', () => [0, 1, 2, 3, 4].every((i) => [...f1.ids, ...f2.ids].every((id) => onDisk(tc, i).has(id))), { timeoutMs: 15_000, pollMs: 200 });
  for (let i = 0; i < 5; i++) assert.equal(damaged(tc, i), [], `cs${i + 1} chunks hash to their names`);
  shared.files.push({ ids: f1.ids, sha: f1.sha, remote: '/one.bin' }, { ids: f2.ids, sha: f2.sha, remote: '/two.bin' });
});

all.step('a corrupted replica is detected and replaced; downloads stay identical', async (tc) => {
  const { ids, sha, remote } = shared.files[0]!;
  const victim = ids[3]!;
  const file = join(tc.chunkDir(0), victim.slice(0, 2), victim);
  const bytes = readFileSync(file);
  for (let k = 0; k < 16; k++) bytes[k * 7] = bytes[k * 7]! ^ 0xff;
  writeFileSync(file, bytes);
  assert.equal(damaged(tc, 0), [victim]);
  assert.is(await all.downloadSha(tc, remote), sha);
  await waitFor('the corrupt replica replaced by a good one', () => {
    try {
      return chunkIntact(victim, readFileSync(file));
    } catch {
      return false; // deleted, not yet re-replicated
    }
  }, { timeoutMs: 20_000, pollMs: 200 });
  assert.is(await all.downloadSha(tc, remote), sha);
  for (let i = 0; i < 5; i++) assert.equal(damaged(tc, i), [], `cs${i + 1} chunks hash to their names`);
});

all.step('rm: chunks leave every chunkserver after GC_GRACE; a chunk shared with another file stays', async (tc) => {
  const lone = await all.upload(tc, 'lone.bin', 700 * 1024);
  const a = await all.upload(tc, 'a.bin', 600 * 1024);
  const b = await all.upload(tc, 'a.bin', -1, '/b.bin'); // same bytes under a second name
  assert.equal(b.ids, a.ids);
  await waitFor('new files on all 5 disks', () => [0, 1, 2, 3, 4].every((i) => [...lone.ids, ...a.ids].every((id) => onDisk(tc, i).has(id))), { timeoutMs: 15_000 });
  for (const remote of ['/lone.bin', '/a.bin']) {
    const rm = await tc.cli.run(['rm', remote]);
    assert.is(rm.exitCode, 0, `rm ${remote}: ${rm.stderr}`);
  }
  await waitFor('the deleted file\'s chunks gone from every disk', () => [0, 1, 2, 3, 4].every((i) => lone.ids.every((id) => !onDisk(tc, i).has(id))), { timeoutMs: 20_000, pollMs: 200 });
  for (let i = 0; i < 5; i++) {
    for (const id of a.ids) assert.ok(onDisk(tc, i).has(id), `shared chunk ${id.slice(0, 8)} still on cs${i + 1}`);
    for (const f of shared.files) for (const id of f.ids) assert.ok(onDisk(tc, i).has(id), `live chunk ${id.slice(0, 8)} still on cs${i + 1}`);
  }
  assert.is(await all.downloadSha(tc, '/b.bin'), a.sha);
});

all.step('a chunkserver with a tiny quota fills up: uploads still succeed, its chunks stay intact', async (tc) => {
  const quotaBytes = 1024 * 1024; // four 256 KiB chunks
  const small = await tc.cluster.chunkserver({
    id: 'cs6', addr: `${NET}.26`, port: 9000, dataDir: join(tc.dir, 'cs6'), logFile: join(tc.dir, 'logs', 'cs6.log'),
    peers: [`${NET}.11:8000`], env: { ...CHUNKSERVER_ENV, MIN_FREE_BYTES: '0', CAPACITY_BYTES: String(quotaBytes) },
  });
  assert.ok(small.running);
  const dir6 = join(tc.dir, 'cs6', 'chunks');
  const used6 = () => listFiles(dir6).filter((f) => /[0-9a-f]{64}$/.test(f)).reduce((n, f) => n + readFileSync(join(dir6, f)).length, 0);
  await waitFor('cs6 filled by repair up to its quota', async () => {
    const { data } = await getJson<ClusterStatus>(`${tc.controllerUrls[0]}/v1/status`, all.ctx.token);
    return data.chunkservers.find((c) => c.id === 'cs6')?.full === true;
  }, { timeoutMs: 20_000, pollMs: 200 });
  for (let n = 0; n < 3; n++) {
    const f = await all.upload(tc, `after-full-${n}.bin`, 900 * 1024);
    assert.is(await all.downloadSha(tc, `/after-full-${n}.bin`), f.sha);
    await waitFor(`after-full-${n}.bin on the 5 chunkservers with room`, () => [0, 1, 2, 3, 4].every((i) => f.ids.every((id) => onDisk(tc, i).has(id))), { timeoutMs: 15_000 });
  }
  assert.ok(used6() <= quotaBytes, `cs6 holds ${used6()} bytes, quota ${quotaBytes}`);
  const files6 = listFiles(dir6).map((f) => basename(f)).filter((n) => /^[0-9a-f]{64}$/.test(n));
  assert.ok(files6.length >= 1, 'cs6 holds some chunks');
  for (const id of files6) assert.ok(chunkIntact(id, readFileSync(join(dir6, id.slice(0, 2), id))), `cs6 chunk ${id.slice(0, 8)} intact`);
  for (const f of shared.files) assert.is(await all.downloadSha(tc, f.remote), f.sha);
});

all.step('only the full chunkserver left: an upload fails with a clear WRITE_QUORUM message and commits nothing', async (tc) => {
  for (const i of [0, 1, 2, 3, 4]) await tc.chunkservers[i]!.kill('SIGKILL');
  await waitFor('only cs6 healthy', async () => (await healthyCount(tc, all.ctx.token)) === 1, { timeoutMs: 15_000 });
  const path = join(all.ctx.work, 'no-room.bin');
  writeRandomFile(path, 300 * 1024);
  const up = await tc.cli.run(['upload', path]);
  assert.ok(up.exitCode !== 0 && up.exitCode !== null, `upload must fail (exit ${up.exitCode})`);
  assert.match(up.stderr, /Only 0 chunkserver\(s\) can take chunk [0-9a-f]{64}; WRITE_QUORUM is 1/);
  assert.not.ok(/\n\s+at .+:\d+:\d+/.test(up.stderr), 'no stack trace');
  const ls = await tc.cli.run(['ls', '/']);
  assert.is(ls.exitCode, 0, ls.stderr);
  assert.not.ok(ls.stdout.includes('no-room.bin'), 'nothing committed');
  assert.ok(ls.stdout.includes('one.bin'), 'earlier files still listed');
});

all.test.run();

// ---------------------------------------------------------------- REPLICATION_FACTOR=2
const two = makeSuite('repair (factor 2)', 'repair-two', { REPLICATION_FACTOR: '2' });

function replicaCounts(tc: TestCluster, ids: string[], servers: number[]): number[] {
  const disks = servers.map((i) => onDisk(tc, i));
  return ids.map((id) => disks.filter((d) => d.has(id)).length);
}

two.step('REPLICATION_FACTOR=2: exactly 2 replicas; restored after a loss; trimmed back after the return', async (tc) => {
  const f = await two.upload(tc, 'r2.bin', 3 * 1024 * 1024);
  const all5 = [0, 1, 2, 3, 4];
  await waitFor('exactly 2 replicas of every chunk', () => replicaCounts(tc, f.ids, all5).every((n) => n === 2), { timeoutMs: 15_000, pollMs: 200 });
  // kill the server holding the most replicas
  const held = all5.map((i) => f.ids.filter((id) => onDisk(tc, i).has(id)).length);
  const victim = held.indexOf(Math.max(...held));
  assert.ok(held[victim]! > 0);
  await tc.chunkservers[victim]!.kill('SIGKILL');
  const rest = all5.filter((i) => i !== victim);
  await waitFor('2 replicas again on the 4 remaining servers', () => replicaCounts(tc, f.ids, rest).every((n) => n === 2), { timeoutMs: 20_000, pollMs: 200 });
  assert.is(await two.downloadSha(tc, '/r2.bin'), f.sha);
  tc.chunkservers[victim]!.start();
  await tc.chunkservers[victim]!.waitHealthy();
  await waitFor('trimmed back to exactly 2 replicas over all 5', () => replicaCounts(tc, f.ids, all5).every((n) => n === 2), { timeoutMs: 20_000, pollMs: 200 });
  for (let i = 0; i < 5; i++) assert.equal(damaged(tc, i), [], `cs${i + 1} chunks hash to their names`);
  assert.is(await two.downloadSha(tc, '/r2.bin'), f.sha);
});

two.test.run();
