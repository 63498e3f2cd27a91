/**
 * Block-verified chunks through a real mount (1 controller + 3 chunkservers on 127.0.51.x with
 * hostOffset 40, 3 replicas, a mount with --disk-cache-size 0): a file written through the mount
 * is stored as block-tree chunks; random 4 KiB preads from another process return the written
 * bytes and make the chunkservers send about one 64 KiB block each, not a 4 MiB chunk; after a
 * byte is flipped in a block of every replica but one, reads of that block still return the right
 * bytes (failover) and the bad replicas are reported and dropped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlan } from '../../src/common/api.js';
import { BLOCK_BYTES } from '../../src/common/chunk-format.js';
import { newChunkId } from '../helpers/chunk-ids.js';
import { getJson } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { waitFor } from '../helpers/wait.js';
import { metricValue, startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const MiB = 1024 * 1024;
const test = suite('fuse block-verified reads');
const ctx: { fc?: FuseCluster; data: Buffer } = { data: Buffer.alloc(0) };
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');

/** preads of 4 KiB at `offsets` in another process (a process must not touch its own mount); hex of each. */
function preads(path: string, offsets: number[]): Buffer[] {
  const py = 'import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY)\nfor o in sys.argv[2:]: print(os.pread(fd,4096,int(o)).hex())';
  const r = spawnSync('python3', ['-c', py, path, ...offsets.map(String)], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`pread: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((h) => Buffer.from(h, 'hex'));
}

async function bytesServed(fc: FuseCluster): Promise<number> {
  let sum = 0;
  for (const cs of fc.tc.chunkservers) sum += metricValue(await (await fetch(`${cs.url}/metrics`)).text(), 'redcloud_chunkserver_bytes_out_total');
  return sum;
}

const dropCaches = (): void => void spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);

test.before(async () => {
  try {
    ctx.fc = await startFuseCluster({
      label: 'fuse-blocks', net: '127.0.51', hostOffset: 40, controllers: 1, chunkservers: 3,
      controllerEnv: { REPLICATION_FACTOR: '3', HEARTBEAT_TIMEOUT: '3s', GOSSIP_INTERVAL: '200ms', REPAIR_INTERVAL: '2s', ANTI_ENTROPY_INTERVAL: '2s' },
      mountArgs: ['--disk-cache-size', '0', '--cache-size', '8MiB', '--read-ahead', '0'],
    });
  } catch (err) {
    process.stderr.write(`fuse blocks: setup failed: ${(err as Error).stack}\n`);
    throw err;
  }
});
test.after(async () => {
  await ctx.fc?.stop();
});

step('a file written through the mount is stored as block-tree chunks', async (fc) => {
  ctx.data = Buffer.alloc(24 * MiB + 12_344);
  for (let i = 0; i < ctx.data.length; i += 4) ctx.data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const src = join(fc.work, 'src.bin');
  writeFileSync(src, ctx.data);
  const cp = spawnSync('cp', [src, join(fc.mnt, 'f.bin')], { timeout: 60_000 });
  assert.is(cp.status, 0, `cp into the mount: ${cp.stderr}`);
  const { data: plan } = await getJson<ReadPlan>(`${fc.tc.controllerUrls[0]}/v1/fs/read?path=%2Ff.bin`, fc.token);
  assert.is(plan.chunks.length, 7);
  for (const c of plan.chunks) assert.is(c.id, newChunkId(ctx.data.subarray(c.offset, c.offset + c.size)), 'a BLAKE3-tree id');
});

step('random 4 KiB reads return the bytes written and move about one block each', async (fc) => {
  await fc.remount(); // nothing of the write left in the mount's RAM cache
  dropCaches();
  // consecutive reads ≥ 3 chunks apart (chunks 4–5, then 0–1, …): the mount takes nearer reads for a sequential reader
  const offsets = Array.from({ length: 30 }, (_, i) => {
    const chunk = i % 2 === 0 ? 4 + ((i >> 1) % 2) : (i >> 1) % 2;
    return chunk * 4 * MiB + ((i * 37) % 64) * BLOCK_BYTES + 4096;
  });
  const before = await bytesServed(fc);
  const got = preads(join(fc.mnt, 'f.bin'), offsets);
  offsets.forEach((o, i) => assert.ok(got[i]!.equals(ctx.data.subarray(o, o + 4096)), `pread at ${o}`));
  await waitFor('the chunkservers count what they sent', async () => (await bytesServed(fc)) > before);
  const moved = (await bytesServed(fc)) - before;
  // the kernel may read ahead a little around each 4 KiB read: allow 3 blocks per read, far below a 4 MiB chunk
  assert.ok(moved <= offsets.length * 3 * BLOCK_BYTES, `${offsets.length} random reads moved ${moved} bytes`);
});

step('a flipped byte in a block of two replicas: reads still return the right bytes and the bad replicas are dropped', async (fc) => {
  const { data: plan } = await getJson<ReadPlan>(`${fc.tc.controllerUrls[0]}/v1/fs/read?path=%2Ff.bin`, fc.token);
  const c = plan.chunks[1]!;
  await waitFor('3 replicas of chunk 1', async () => {
    const p = await getJson<ReadPlan>(`${fc.tc.controllerUrls[0]}/v1/fs/read?path=%2Ff.bin`, fc.token);
    return p.data.chunks[1]!.locations.length === 3;
  }, { timeoutMs: 30_000 });
  const inChunk = 5 * BLOCK_BYTES + 100;
  // the two replicas a reader tries first (the plan's order) go bad; the last one stays good
  const { data: fresh } = await getJson<ReadPlan>(`${fc.tc.controllerUrls[0]}/v1/fs/read?path=%2Ff.bin`, fc.token);
  const files = fresh.chunks[1]!.locations.slice(0, 2).map((loc) => join(fc.tc.chunkDir(Number(loc.id.replace(/^cs/, '')) - 1), c.id.slice(0, 2), c.id));
  for (const f of files) {
    const b = readFileSync(f);
    b[inChunk] ^= 0x80;
    writeFileSync(f, b);
  }
  await fc.remount();
  dropCaches();
  const at = c.offset + inChunk - 100;
  const [got] = preads(join(fc.mnt, 'f.bin'), [at]);
  assert.ok(got!.equals(ctx.data.subarray(at, at + 4096)), 'the read fails over to the good replica');
  await waitFor('both bad replicas reported and dropped', () => files.every((f) => !existsSync(f) || !readFileSync(f).subarray(inChunk, inChunk + 1).equals(Buffer.from([ctx.data[c.offset + inChunk]! ^ 0x80]))), { timeoutMs: 30_000 });
});

test.run();
