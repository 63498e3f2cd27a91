/**
 * Files as extents on a real mount (1 controller + 3 chunkservers, REPLICATION_FACTOR all = 3):
 * a 4 KiB overwrite + fsync in the middle of a 16 MiB file sends the chunkservers ~4 KiB per
 * replica (their bytes_in counters), not the 4 MiB chunk, and the file reads back byte-identical
 * through the mount after a drop of the page cache and through the CLI. Prints the p50 latency of
 * 20 such overwrites + fsync. The mount runs with INLINE_MAX=0, so the new chunks go to the
 * chunkservers (with inline chunks they would travel in the inode record: test/fuse/inline-chunks.test.ts).
 * Net: EXTENTS_NET (default 127.0.54).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { http } from '../helpers/http.js';
import { metricValue, startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const test = suite('fuse extents on the wire');
const ctx: { fc?: FuseCluster } = {};
const MiB = 1024 * 1024;

async function bytesIn(fc: FuseCluster): Promise<number> {
  let sum = 0;
  for (const cs of fc.tc.chunkservers) sum += metricValue((await http(`${cs.url}/metrics`)).body.toString('utf8'), 'redcloud_chunkserver_bytes_in_total');
  return sum;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({ label: 'fuse-extents', net: process.env.EXTENTS_NET ?? '127.0.54', controllers: 1, chunkservers: 3, mountEnv: { INLINE_MAX: '0' } });
});

test.after(async () => {
  await ctx.fc?.stop();
});

test('a 4 KiB overwrite + fsync of a 16 MiB file sends ~4 KiB per replica, and the file reads back whole', async () => {
  const fc = ctx.fc;
  if (!fc) {
    console.log('skipped: no /dev/fuse');
    return;
  }
  try {
    const local = join(fc.work, 'f16');
    writeRandomFile(local, 16 * MiB);
    const f = join(fc.mnt, 'f16');
    sh('cp', [local, f]);
    const patch = join(fc.work, 'patch4k');
    const before = await bytesIn(fc);
    const latencies: number[] = [];
    for (let k = 0; k < 20; k++) {
      writeRandomFile(patch, 4096);
      const seek = String((k * 3 * MiB + 12_288 + k * 8192) / 4096 | 0);
      const t0 = performance.now();
      sh('dd', [`if=${patch}`, `of=${f}`, 'bs=4096', `seek=${seek}`, 'conv=notrunc,fsync', 'status=none']);
      latencies.push(performance.now() - t0);
      sh('dd', [`if=${patch}`, `of=${local}`, 'bs=4096', `seek=${seek}`, 'conv=notrunc', 'status=none']);
    }
    const sent = (await bytesIn(fc)) - before;
    latencies.sort((a, b) => a - b);
    console.log(`extents: 20 × (4 KiB overwrite + fsync) sent ${sent} bytes to the chunkservers (${Math.round(sent / 20)} per op); p50 ${latencies[10]!.toFixed(1)} ms, max ${latencies[19]!.toFixed(1)} ms`);
    assert.ok(sent >= 20 * 3 * 4096, `at least the bytes × 3 replicas (${sent})`);
    assert.ok(sent <= 20 * 3 * 64 * 1024, `${sent} bytes: far below a 4 MiB chunk × 3 per overwrite`);
    sh('sh', ['-c', 'sync']);
    assert.is(sh('sha256sum', [f]).split(' ')[0], await sha256File(local), 'through the mount');
    const dl = join(fc.work, 'f16.dl');
    const r = await fc.tc.cli.run(['download', '/f16', dl]);
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(await sha256File(dl), await sha256File(local), 'through the CLI');
  } catch (err) {
    fc.dumpLogs();
    throw err;
  }
});

test.run();
