/**
 * The README quick start's "Test Distributed Features", walked on a local cluster of the same
 * shape (3 controllers + 5 chunkservers on 127.0.10.x, short intervals) through the real CLI:
 * full replication (chunk files on all five disks), controller failover (one stopped, `ls` still
 * works, restarted it lists what was written meanwhile), chunkserver failover (three of five
 * stopped, download identical, restarted, repair fills them), partition healing (controller 3 cut
 * off with iptables, catches up after the heal and logs `Anti-entropy`), the README's backup and
 * restore of a controller database, then `status` and `/metrics` as an operator sees them.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isolate, type Partition } from '../../src/cluster/index.js';
import type { ClusterStatus, EntryInfo } from '../../src/common/api.js';
import { databasePath } from '../../src/controller/node-id.js';
import { findEntryIn } from '../helpers/cli.js';
import { listFiles, sha256File, writeRandomFile } from '../helpers/files.js';
import { getJson, http, loginToken } from '../helpers/http.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';
import { newChunkId } from '../helpers/chunk-ids.js';

const MiB = 1024 * 1024;
const CHUNK_BYTES = 4 * MiB;
const ANTI_ENTROPY_MS = 2_000;
const REQUEST_TIMEOUT_MS = 2_000;
const test = suite('quick start');
const ctx: { tc?: TestCluster; work: string; token: string } = { work: '', token: '' };

const step = stepsFor(test, () => ctx.tc);

/** The chunk ids (of each CHUNK_SIZE piece, as an upload names them) of a local file. */
function chunkIdsOf(path: string): string[] {
  const bytes = readFileSync(path);
  const ids: string[] = [];
  for (let off = 0; off < bytes.length; off += CHUNK_BYTES) {
    ids.push(newChunkId(bytes.subarray(off, off + CHUNK_BYTES)));
  }
  return ids;
}

/** Indexes of the chunkservers whose chunk directory holds every one of `ids`. */
function serversHolding(tc: TestCluster, ids: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < tc.chunkservers.length; i++) {
    const names = new Set(listFiles(tc.chunkDir(i)).map((f) => basename(f)));
    if (ids.every((id) => names.has(id))) out.push(i);
  }
  return out;
}

function makeFile(name: string, sizeBytes: number): string {
  const path = join(ctx.work, name);
  writeRandomFile(path, sizeBytes);
  return path;
}

async function upload(tc: TestCluster, file: string, extra: string[] = []): Promise<void> {
  const r = await tc.cli.run(['upload', file, 'quickstart', ...extra]);
  assert.is(r.exitCode, 0, `upload ${basename(file)}: ${r.stderr.trim()}`);
}

async function downloadSha(tc: TestCluster, name: string, extra: string[] = []): Promise<string> {
  const dest = join(ctx.work, `${name}.down-${Date.now()}`);
  const r = await tc.cli.run(['download', name, dest, ...extra]);
  assert.is(r.exitCode, 0, `download ${name}: ${r.stderr.trim()}`);
  return sha256File(dest);
}

const stat = (url: string, path: string) => getJson<EntryInfo>(`${url}/v1/fs/stat?path=${encodeURIComponent(path)}`, ctx.token);

async function healthyCount(tc: TestCluster): Promise<number> {
  const s = await getJson<ClusterStatus>(`${tc.controllerUrls[0]}/v1/status`, ctx.token);
  return s.status === 200 ? s.data.chunkservers.filter((c) => c.healthy).length : -1;
}

useTestCluster(test, 'quick start', ctx, {
  label: 'quickstart', net: '127.0.10', controllers: 3, chunkservers: 5,
  controllerEnv: { ANTI_ENTROPY_INTERVAL: `${ANTI_ENTROPY_MS}ms`, REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms` },
}, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  const reg = await tc.cli.run(['register', 'demo', '--password', 'demo-pass']);
  if (reg.exitCode !== 0) throw new Error(`register: ${reg.stderr.trim()}`);
  const login = await tc.cli.run(['login', 'demo', 'demo-pass']);
  if (login.exitCode !== 0) throw new Error(`login: ${login.stderr.trim()}`);
  ctx.token = await loginToken(tc.controllerUrls[0]!, 'demo', 'demo-pass');
  await tc.waitHealthyChunkservers(ctx.token, 5);
});

step('full replication: an upload lands as chunk files on all 5 chunkservers', async (tc) => {
  const file = makeFile('replicated.bin', 10 * MiB + 1234);
  const ids = chunkIdsOf(file);
  assert.is(ids.length, 3);
  await upload(tc, file);
  await waitFor('the chunks on all 5 chunkservers', () => serversHolding(tc, ids).length === 5, { timeoutMs: 20_000 });
  assert.equal(serversHolding(tc, ids), [0, 1, 2, 3, 4]);
  assert.is(await downloadSha(tc, 'replicated.bin'), await sha256File(file));
});

step('controller failover: controller 1 stopped, ls works; restarted, it lists a file written meanwhile', async (tc) => {
  const c1 = tc.controllers[0]!;
  await c1.stop();
  const ls = await tc.cli.json(['ls', '/']);
  assert.ok(findEntryIn(ls, '/replicated.bin'), `ls through the other controllers: ${JSON.stringify(ls).slice(0, 300)}`);
  const file = makeFile('while-c1-down.bin', 1 * MiB + 7);
  await upload(tc, file);
  await c1.restart();
  const only1 = ['--controllers', c1.url];
  await waitFor('controller 1 to list the file written while it was down', async () =>
    (await stat(c1.url, '/while-c1-down.bin')).status === 200, { timeoutMs: 30_000 });
  const lsThrough1 = await tc.cli.json([...['ls', '/'], ...only1]);
  assert.ok(findEntryIn(lsThrough1, '/while-c1-down.bin'), `ls --controllers ${c1.url}: ${JSON.stringify(lsThrough1).slice(0, 300)}`);
  assert.is(await downloadSha(tc, 'while-c1-down.bin', only1), await sha256File(file));
});

step('chunkserver failover: 3 of 5 stopped, downloads identical; restarted, repair fills them', async (tc) => {
  const original = join(ctx.work, 'replicated.bin');
  const victims = tc.chunkservers.slice(2);
  for (const cs of victims) await cs.stop();
  await waitFor('the controller to mark 3 chunkservers failed', async () => (await healthyCount(tc)) === 2, { timeoutMs: 20_000 });
  assert.is(await downloadSha(tc, 'replicated.bin'), await sha256File(original), 'download with 2 of 5 chunkservers');

  const file = makeFile('while-cs-down.bin', 6 * MiB + 99);
  const ids = chunkIdsOf(file);
  await upload(tc, file);
  assert.equal(serversHolding(tc, ids), [0, 1], 'written to the two live chunkservers only');

  for (const cs of victims) {
    cs.start();
    await cs.waitHealthy();
  }
  await waitFor('5 healthy chunkservers', async () => (await healthyCount(tc)) === 5, { timeoutMs: 20_000 });
  await waitFor('repair to copy the new chunks to the restarted chunkservers', () => serversHolding(tc, ids).length === 5, { timeoutMs: 60_000 });
  assert.equal(serversHolding(tc, ids), [0, 1, 2, 3, 4]);
  assert.is(await downloadSha(tc, 'while-cs-down.bin'), await sha256File(file));
});

step('partition healing: controller 3 cut off misses a write, gets it after the heal and logs Anti-entropy', async (tc) => {
  const [u1, u2, u3] = tc.controllerUrls as [string, string, string];
  const host = (u: string) => new URL(u).hostname;
  const file = makeFile('during-partition.bin', 2 * MiB + 5);
  const logFile = tc.controllers[2]!.spec.logFile;
  let parts: Partition[] = [];
  let healedAtMs = 0;
  let logOffset = 0;
  try {
    parts = await isolate([host(u3)], [host(u1), host(u2)]);
    await upload(tc, file, ['--controllers', u1]);
    await waitFor('the write to reach controller 2', async () => (await stat(u2, '/during-partition.bin')).status === 200, { timeoutMs: 15_000 });
    assert.is((await stat(u3, '/during-partition.bin')).status, 404, 'the cut-off controller has not seen it');
  } finally {
    logOffset = statSync(logFile).size;
    for (const p of parts) await p.heal();
    healedAtMs = Date.now();
  }
  await waitFor('controller 3 to have the file after the heal', async () => (await stat(u3, '/during-partition.bin')).status === 200, { timeoutMs: 30_000 });
  const arrivedAtMs = Date.now();
  // Once controller 3 talks to its peers again, an anti-entropy round runs within one interval;
  // a round started during the cut may still be waiting out REQUEST_TIMEOUT, plus 1 s of slack.
  const newLog = () => readFileSync(logFile).subarray(logOffset).toString('utf8');
  await waitFor(`"Anti-entropy" in controller 3's log within ANTI_ENTROPY_INTERVAL (${ANTI_ENTROPY_MS} ms) of reconnecting`,
    () => newLog().includes('Anti-entropy'), { timeoutMs: ANTI_ENTROPY_MS + REQUEST_TIMEOUT_MS + 1_000 - (Date.now() - arrivedAtMs) });
  process.stdout.write(`  (file on controller 3 ${arrivedAtMs - healedAtMs} ms after the heal; Anti-entropy logged ${Date.now() - healedAtMs} ms after it)\n`);
  const lsThrough3 = await tc.cli.json(['ls', '/', '--controllers', u3]);
  assert.ok(findEntryIn(lsThrough3, '/during-partition.bin'), `ls --controllers ${u3}`);
  assert.is(await downloadSha(tc, 'during-partition.bin', ['--controllers', u3]), await sha256File(file));
});

step('backup and restore of a controller database: online backup, restore on a stopped controller, it catches up', async (tc) => {
  const c2 = tc.controllers[1]!;
  const dbFile = databasePath(c2.spec.dataDir, c2.spec.id);
  const backupFile = join(ctx.work, 'ctl2-backup.db');
  // Online backup while the controller runs (what `sqlite3 redcloud.db ".backup FILE"` does).
  const live = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    await live.backup(backupFile);
  } finally {
    live.close();
  }
  const later = makeFile('after-backup.bin', 1 * MiB + 3);
  await upload(tc, later);
  await c2.stop();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });
  copyFileSync(backupFile, dbFile);
  c2.start();
  await c2.waitHealthy();
  assert.is((await stat(c2.url, '/replicated.bin')).status, 200, 'the restored database has what the backup had');
  await waitFor('the restored controller to catch up with the write after the backup', async () =>
    (await stat(c2.url, '/after-backup.bin')).status === 200, { timeoutMs: 30_000 });
  assert.is(await downloadSha(tc, 'after-backup.bin', ['--controllers', c2.url]), await sha256File(later));
});

step('status: 3 controllers alive with their gossip lag, 5 chunkservers healthy, nothing under-replicated (table and --json)', async (tc) => {
  const s = await waitFor('a status with every node up and nothing under-replicated', async () => {
    const st = await tc.cli.json<ClusterStatus>(['status']);
    const ok = st.controllers.length === 3 && st.controllers.every((c) => c.alive)
      && st.controllers.every((c) => typeof c.lag === 'number')
      && st.chunkservers.length === 5 && st.chunkservers.every((c) => c.healthy) && st.chunks.underReplicated === 0;
    return ok ? st : undefined;
  }, { timeoutMs: 30_000 });
  assert.equal(s.controllers.map((c) => c.id).sort(), ['ctl1', 'ctl2', 'ctl3']);
  assert.equal(s.chunkservers.map((c) => c.id).sort(), ['cs1', 'cs2', 'cs3', 'cs4', 'cs5']);
  assert.is(s.chunks.total, 3 + 1 + 2 + 1 + 1);
  const table = await tc.cli.run(['status']);
  assert.is(table.exitCode, 0, table.stderr);
  for (const word of ['ctl1', 'ctl2', 'ctl3', 'cs1', 'cs5', 'healthy', 'under-replicated']) {
    assert.ok(table.stdout.includes(word), `status table mentions ${word}:\n${table.stdout}`);
  }
});

step('/metrics on every daemon: request latencies, bytes, chunks, replication deficit, gossip lag, repair progress', async (tc) => {
  const wantController = ['redcloud_http_request_duration_seconds', 'redcloud_chunks_total', 'redcloud_chunks_under_replicated',
    'redcloud_chunkservers', 'redcloud_chunkserver_chunks', 'redcloud_gossip_bytes_sent_total', 'redcloud_gossip_bytes_received_total',
    'redcloud_gossip_peer_lag_updates', 'redcloud_gossip_peer_last_exchange_seconds', 'redcloud_repair_cycles_total', 'redcloud_repair_replications_total'];
  const wantChunkserver = ['redcloud_http_request_duration_seconds', 'redcloud_chunkserver_bytes_in_total', 'redcloud_chunkserver_bytes_out_total',
    'redcloud_chunkserver_chunks_stored', 'redcloud_chunkserver_replications_total'];
  for (const [nodes, want] of [[tc.controllers, wantController], [tc.chunkservers, wantChunkserver]] as const) {
    for (const node of nodes) {
      const r = await http(`${node.url}/metrics`);
      assert.is(r.status, 200, `${node.spec.id} /metrics`);
      const text = r.body.toString('utf8');
      for (const name of want) assert.ok(text.includes(`\n# TYPE ${name} `), `${node.spec.id} /metrics declares ${name}`);
    }
  }
});

test.run();
