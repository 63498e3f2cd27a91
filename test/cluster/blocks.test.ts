/**
 * Block-verified chunks against real processes (1 controller + 3 chunkservers on 127.0.51.x, 3
 * replicas, 1 MiB chunks): new chunks carry their block lists on every replica; random range
 * reads through the client return exactly the model's bytes and move only their blocks; a byte
 * flipped in any block of a stored chunk is caught on a range read, which fails over to another
 * replica, and the bad replica is reported, dropped and repaired; chunks written in the v1 format
 * (whole SHA-256 ids, no block list: what the previous version stored) keep working after the
 * chunkservers restart: range reads (verified whole), downloads, scrub and repair.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlan, ReadPlanChunk } from '../../src/common/api.js';
import { BLOCK_BYTES, chunkIdOf } from '../../src/common/chunk-format.js';
import { silentLogger } from '../../src/common/logger.js';
import { createClient, type RedCloudClientHandle } from '../../src/client/client.js';
import { loginToken } from '../helpers/http.js';
import { seededRandom } from '../helpers/prng.js';
import { stepsFor } from '../helpers/step.js';
import { FAST_CONTROLLER_ENV, type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const SEED = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);
const ctx: {
  tc?: TestCluster; client?: RedCloudClientHandle; v1?: RedCloudClientHandle; data: Buffer; old: Buffer;
} = { data: Buffer.alloc(0), old: Buffer.alloc(0) };
const test = suite('block-verified chunks');
const step = stepsFor(test, () => ctx.tc);

const clientFor = (tc: TestCluster, token: string, chunkFormat?: 'sha256') => createClient({
  controllers: tc.controllerUrls, token, chunkSizeBytes: MiB, concurrency: 4, requestTimeoutMs: 10_000, logger: silentLogger(),
  ...(chunkFormat ? { chunkFormat } : {}),
});

useTestCluster(test, 'blocks', ctx, {
  label: 'blocks', net: '127.0.51', controllers: 1, chunkservers: 3,
  controllerEnv: { ...FAST_CONTROLLER_ENV, REPLICATION_FACTOR: '3', CHUNK_SIZE: '1MiB' },
  chunkserverEnv: { SCRUB_INTERVAL: '1h' },
}, async (tc) => {
  await tc.signUp('bob', 'pw-bob-123');
  const token = await loginToken(tc.controllerUrls[0]!, 'bob', 'pw-bob-123');
  ctx.client = clientFor(tc, token);
  ctx.v1 = clientFor(tc, token, 'sha256');
});

/** The read plan once every chunk has all 3 replicas (repair fills what the quorum of 1 left). */
async function fullPlan(client: RedCloudClientHandle, path: string): Promise<ReadPlan> {
  return waitFor(`3 replicas of every chunk of ${path}`, async () => {
    const plan = await client.readPlan(path);
    return plan.chunks.every((c) => c.locations.length === 3) ? plan : undefined;
  }, { timeoutMs: 30_000 });
}

const chunkFile = (tc: TestCluster, server: string, id: string) => join(tc.chunkDir(Number(server.slice(2)) - 1), id.slice(0, 2), id);

/** Bytes chunkservers have sent (GET bodies), summed over all three, from their metrics. */
async function bytesServed(tc: TestCluster): Promise<number> {
  let sum = 0;
  for (const cs of tc.chunkservers) {
    const text = await (await fetch(`http://${cs.spec.addr}:${cs.spec.port}/metrics`)).text();
    const m = /^redcloud_chunkserver_bytes_out_total(?:\{[^}]*\})? (\d+)/m.exec(text);
    sum += m ? Number(m[1]) : 0;
  }
  return sum;
}

async function readRange(client: RedCloudClientHandle, plan: ReadPlan, from: number, to: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const c of plan.chunks) {
    const a = Math.max(from, c.offset);
    const b = Math.min(to, c.offset + c.size);
    if (a < b) parts.push(await client.fetchRange(c, a - c.offset, b - c.offset));
  }
  return Buffer.concat(parts);
}

step('v1 chunks written as before blocks (whole SHA-256 ids) stay readable after the chunkservers restart', async (tc) => {
  ctx.old = randomBytes(2 * MiB + 12_345);
  await ctx.v1!.uploadStream(Readable.from([ctx.old]), '/old.bin');
  const plan = await fullPlan(ctx.client!, '/old.bin');
  for (const c of plan.chunks) {
    assert.is(c.id, chunkIdOf('sha256', ctx.old.subarray(c.offset, c.offset + c.size)), 'v1 id');
    const dir = join(tc.chunkDir(0), c.id.slice(0, 2));
    assert.equal(readdirSync(dir).filter((n) => n.startsWith(c.id)), [c.id], 'a v1 chunk has no block list beside it');
  }
  for (const cs of tc.chunkservers) await cs.restart();
  for (const cs of tc.chunkservers) await cs.waitHealthy();
  const again = await fullPlan(ctx.client!, '/old.bin');
  assert.ok((await readRange(ctx.client!, again, 1_000_000, 1_004_096)).equals(ctx.old.subarray(1_000_000, 1_004_096)));
  const dest = join(tc.dir, 'old.down');
  await ctx.client!.downloadFile('/old.bin', dest);
  assert.ok(readFileSync(dest).equals(ctx.old), 'download of v1 chunks is byte-identical');
});

step('new chunks: a block list beside every replica; downloads are byte-identical', async (tc) => {
  ctx.data = randomBytes(3 * MiB + 70_001);
  await ctx.client!.uploadStream(Readable.from([ctx.data]), '/new.bin');
  const plan = await fullPlan(ctx.client!, '/new.bin');
  assert.is(plan.chunks.length, 4);
  for (const c of plan.chunks) {
    assert.is(c.id, chunkIdOf('b3-64k', ctx.data.subarray(c.offset, c.offset + c.size)), 'tree id');
    for (const loc of c.locations) assert.ok(existsSync(`${chunkFile(tc, loc.id, c.id)}.b3-64k`), `block list of ${c.id.slice(0, 8)} on ${loc.id}`);
  }
  const dest = join(tc.dir, 'new.down');
  await ctx.client!.downloadFile('/new.bin', dest);
  assert.ok(readFileSync(dest).equals(ctx.data));
});

step(`random range reads return exactly the model's bytes and move only their blocks (seed ${SEED})`, async (tc) => {
  const plan = await ctx.client!.readPlan('/new.bin');
  const rnd = seededRandom(SEED);
  const size = ctx.data.length;
  for (let i = 0; i < 120; i++) {
    const from = Math.floor(rnd() * size);
    const len = 1 + Math.floor(rnd() * (rnd() < 0.2 ? 2 * MiB : 9000));
    const to = Math.min(size, from + len);
    const got = await readRange(ctx.client!, plan, from, to);
    assert.ok(got.equals(ctx.data.subarray(from, to)), `seed ${SEED} read ${i}: [${from}, ${to})`);
  }
  // 4 KiB reads inside one block each: at most one 64 KiB block on the wire per read
  const before = await bytesServed(tc);
  const reads = 40;
  for (let i = 0; i < reads; i++) {
    const block = Math.floor(rnd() * Math.floor(size / BLOCK_BYTES));
    const from = block * BLOCK_BYTES + 100;
    assert.ok((await readRange(ctx.client!, plan, from, from + 4096)).equals(ctx.data.subarray(from, from + 4096)));
  }
  await waitFor('metrics of the last reads', async () => (await bytesServed(tc)) > before);
  const moved = (await bytesServed(tc)) - before;
  assert.ok(moved <= reads * BLOCK_BYTES, `${reads} random 4 KiB reads moved ${moved} bytes (≤ ${reads} × 64 KiB)`);
});

step('a flipped byte in any block of a replica: the range read fails over, the replica is reported, dropped and repaired', async (tc) => {
  const plan = await fullPlan(ctx.client!, '/new.bin');
  const blocksPerChunk = MiB / BLOCK_BYTES;
  for (const [n, blockInFile] of [[0, 3], [1, blocksPerChunk + blocksPerChunk - 1], [2, 3 * blocksPerChunk]] as const) {
    const offset = blockInFile * BLOCK_BYTES + 17;
    const c = plan.chunks.find((x) => offset >= x.offset && offset < x.offset + x.size)!;
    const bad = c.locations[0]!;
    const file = chunkFile(tc, bad.id, c.id);
    const bytes = readFileSync(file);
    bytes[offset - c.offset] ^= 0x5a;
    writeFileSync(file, bytes);
    // a fresh client: no block list cached, and it tries the plan's first (now bad) replica first
    const reader = clientFor(tc, ctx.client!.token!);
    const got = await reader.fetchRange(c as ReadPlanChunk, offset - c.offset - 17, offset - c.offset + 4000);
    assert.ok(got.equals(ctx.data.subarray(offset - 17, offset + 4000)), `case ${n}: the right bytes from another replica`);
    // dropped: the file goes; repair may put the good copy back before a poll sees the gap
    await waitFor(`case ${n}: the bad replica on ${bad.id} is dropped`, () => !existsSync(file) || !readFileSync(file).equals(bytes));
    await waitFor(`case ${n}: repair puts a good copy back on ${bad.id}`, () => existsSync(file) && readFileSync(file).equals(ctx.data.subarray(c.offset, c.offset + c.size)) && existsSync(`${file}.b3-64k`), { timeoutMs: 30_000 });
  }
});

step('a v1 replica lost on one chunkserver is repaired as v1, and a corrupt v1 replica is still caught whole', async (tc) => {
  const plan = await fullPlan(ctx.client!, '/old.bin');
  const c = plan.chunks[1]!;
  const victim = c.locations[0]!;
  const file = chunkFile(tc, victim.id, c.id);
  const bytes = readFileSync(file);
  bytes[500_000] ^= 0x01;
  writeFileSync(file, bytes);
  const reader = clientFor(tc, ctx.client!.token!);
  const got = await reader.fetchRange(c, 499_000, 503_096);
  assert.ok(got.equals(ctx.old.subarray(c.offset + 499_000, c.offset + 503_096)), 'the right bytes from another replica');
  await waitFor('the corrupt v1 replica is dropped', () => !existsSync(file) || !readFileSync(file).equals(bytes));
  await waitFor('and repaired as a v1 chunk (no block list)', () => existsSync(file) && readFileSync(file).equals(ctx.old.subarray(c.offset, c.offset + c.size)), { timeoutMs: 30_000 });
  assert.not.ok(existsSync(`${file}.b3-64k`));
  // lost outright: removed from disk and the chunkserver restarted
  rmSync(file);
  const cs = tc.chunkservers.find((x) => x.spec.id === victim.id)!;
  await cs.restart();
  await cs.waitHealthy();
  await waitFor('the lost v1 replica is repaired', () => existsSync(file), { timeoutMs: 30_000 });
  assert.ok(readFileSync(file).equals(ctx.old.subarray(c.offset, c.offset + c.size)));
});

test.run();
