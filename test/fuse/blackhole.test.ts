/**
 * A mount read with its first replica blackholed (one controller, three chunkservers on
 * 127.0.33.71/.81-.83, a mount with a 6 s operation timeout): every packet to the chunkserver the
 * read plan names first is dropped (iptables, tagged with this run's tag, removed by the test).
 * The read returns the file's bytes (by sha256) before the deadline the mount was given: the dead
 * replica costs only its share of the deadline (before shares, its attempt had the whole
 * REQUEST_TIMEOUT of 10 s and the read failed with ETIMEDOUT). HEARTBEAT_TIMEOUT is long so the
 * controller keeps the blackholed server in the plan, first, as it would in the seconds before it
 * notices.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ReadPlan } from '../../src/common/api.js';
import { blackhole, type Partition } from '../../src/cluster/index.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { getJson } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { startFuseCluster } from './helpers/fuse-cluster.js';

const MiB = 1024 * 1024;
const OP_TIMEOUT_MS = 6000;
const test = suite('fuse blackholed replica');

test('a mount read with the first replica blackholed returns the right bytes within the operation deadline', async () => {
  if (!existsSync('/dev/fuse')) {
    console.log('  skipped: no /dev/fuse');
    return;
  }
  const fc = await startFuseCluster({
    label: 'fuse-blackhole', net: '127.0.33', hostOffset: 60, controllers: 1, chunkservers: 3,
    controllerEnv: { HEARTBEAT_TIMEOUT: '120s' },
    mountArgs: ['--op-timeout', `${OP_TIMEOUT_MS / 1000}s`, '--read-ahead', '0', '--cache-size', '16MiB'],
  });
  let hole: Partition | undefined;
  try {
    const local = join(fc.work, 'f.bin');
    writeRandomFile(local, 2 * MiB);
    const sha = await sha256File(local);
    const up = await fc.tc.cli.run(['upload', local, '--to', '/f.bin']);
    assert.is(up.exitCode, 0, up.stderr);
    const ctl = fc.tc.controllerUrls[0]!;
    const plan = await waitFor('three replicas of the chunk', async () => {
      const r = await getJson<ReadPlan>(`${ctl}/v1/fs/read?path=/f.bin`, fc.token);
      return r.status === 200 && r.data.chunks.length === 1 && r.data.chunks[0]!.locations.length === 3 && r.data;
    }, { timeoutMs: 30_000 });
    const first = new URL(plan.chunks[0]!.locations[0]!.url).hostname;
    hole = await blackhole(first);
    const again = await getJson<ReadPlan>(`${ctl}/v1/fs/read?path=/f.bin`, fc.token);
    assert.is(again.data.chunks[0]!.locations[0]!.url, plan.chunks[0]!.locations[0]!.url, 'the blackholed server is still first in the plan');

    const t0 = Date.now();
    const read = spawnSync('sha256sum', [join(fc.mnt, 'f.bin')], { encoding: 'utf8', timeout: 60_000 });
    const tookMs = Date.now() - t0;
    process.stdout.write(`  read with ${first} blackholed: ${tookMs} ms (operation deadline ${OP_TIMEOUT_MS} ms)\n`);
    assert.is(read.status, 0, `read failed: ${read.stderr}`);
    assert.is(read.stdout.split(/\s+/)[0], sha, 'the bytes of the file');
    assert.ok(tookMs < OP_TIMEOUT_MS, `completed within the operation deadline (${tookMs} ms of ${OP_TIMEOUT_MS} ms)`);
    await fc.mount.stop(); // its log is flushed at exit
    const tried = fc.mount.logs().split('\n').filter((l) => l.includes('trying the next replica'));
    assert.ok(tried.some((l) => l.includes(`${first}:`) && l.includes('TIMEOUT')), 'the mount tried the blackholed replica first and gave up on it');
  } catch (err) {
    fc.dumpLogs();
    throw err;
  } finally {
    await hole?.heal().catch(() => undefined);
    await fc.stop();
  }
});

test.run();
