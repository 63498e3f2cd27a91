/**
 * Any controller serves at once (issue 13), on 127.0.32.x with chunkservers heartbeating only every
 * 30 s (so no step can be rescued by a heartbeat arriving during it):
 * (1) upload via controller 1, kill -9 it, download via controller 2 at once: identical by hash
 * (the holders travel with the inode record); (2) restart a controller and upload through it at
 * once: acknowledged (chunkserver liveness comes from its peers, and placement waits for a quorum);
 * (3) chunkservers that came up before the controllers (their first heartbeat failed, the next is
 * 15 s away), then controllers and a mount, and `cp -r` of a tree into it immediately: no error,
 * `diff -r` clean (placement waits PLACEMENT_WAIT, 10 s, then the mount retries UNAVAILABLE).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LocalCluster } from '../../src/cluster/index.js';
import type { EntryInfo } from '../../src/common/api.js';
import { createCli } from '../helpers/cli.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { getJson, loginToken } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startMount, type MountProcess } from '../fuse/helpers/fuse-cluster.js';

const NET = '127.0.32';
const USER = 'avail';
const PASSWORD = 'pw-avail';
const MiB = 1024 * 1024;
/** rare heartbeats; the controllers' failure timeout well above them */
const SLOW_HEARTBEATS = { chunkserverEnv: { HEARTBEAT_INTERVAL: '30s' }, controllerEnv: { HEARTBEAT_TIMEOUT: '90s' } };

const test = suite('availability');
const ctx: { tc?: TestCluster; token: string } = { token: '' };
const step = stepsFor(test, () => ctx.tc);

useTestCluster(test, 'availability', ctx, { label: 'availability', net: NET, controllers: 3, chunkservers: 3, ...SLOW_HEARTBEATS }, async (tc) => {
  ctx.token = await tc.signUp(USER, PASSWORD);
  for (const url of tc.controllerUrls.slice(1)) {
    await waitFor(`${USER} on ${url}`, async () => (await loginToken(url, USER, PASSWORD).catch(() => '')) !== '', { timeoutMs: 15_000 });
  }
});

const via = (tc: TestCluster, i: number) => ['--controllers', tc.controllerUrls[i]!];
const statVia = (url: string, path: string) => getJson<EntryInfo>(`${url}/v1/fs/stat?path=${encodeURIComponent(path)}`, ctx.token);

step('(1) upload via controller 1, kill -9 it, download via controller 2 at once: identical bytes', async (tc) => {
  const src = join(tc.dir, 'five.bin');
  writeRandomFile(src, 5 * MiB);
  const up = await tc.cli.run(['upload', src, ...via(tc, 0)]);
  assert.is(up.exitCode, 0, `upload: ${up.stderr}`);
  // the entry itself must have reached controller 2 (gossip); its chunk locations need not have
  await waitFor('/five.bin listed on controller 2', async () => (await statVia(tc.controllerUrls[1]!, '/five.bin')).status === 200, { timeoutMs: 5000, pollMs: 20 });
  await tc.controllers[0]!.kill('SIGKILL');
  const dest = join(tc.dir, 'five.down');
  const down = await tc.cli.run(['download', '/five.bin', dest, ...via(tc, 1)]);
  assert.is(down.exitCode, 0, `download via controller 2 right after kill -9 of controller 1: ${down.stderr}`);
  assert.is(await sha256File(dest), await sha256File(src));
});

step('(2) restart a controller and upload through it at once: acknowledged and readable', async (tc) => {
  const ctl = tc.controllers[0]!;
  await ctl.kill('SIGKILL');
  ctl.start();
  await ctl.waitHealthy({ timeoutMs: 20_000 });
  const src = join(tc.dir, 'after-restart.bin');
  writeRandomFile(src, 3 * MiB);
  const up = await tc.cli.run(['upload', src, ...via(tc, 0)]);
  assert.is(up.exitCode, 0, `upload through the just-restarted controller: ${up.stderr}`);
  await waitFor('/after-restart.bin listed on controller 3', async () => (await statVia(tc.controllerUrls[2]!, '/after-restart.bin')).status === 200, { timeoutMs: 5000, pollMs: 20 });
  const dest = join(tc.dir, 'after-restart.down');
  const down = await tc.cli.run(['download', '/after-restart.bin', dest, ...via(tc, 2)]);
  assert.is(down.exitCode, 0, `download via controller 3: ${down.stderr}`);
  assert.is(await sha256File(dest), await sha256File(src));
});

/** A tree of small and multi-chunk files in nested directories. */
function makeTree(root: string): void {
  for (let d = 0; d < 4; d++) {
    const dir = join(root, `d${d}`, `sub${d % 2}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 5; f++) writeFileSync(join(dir, `f${f}.txt`), `file ${d}/${f}\n`.repeat(1 + f * 50));
  }
  writeRandomFile(join(root, 'd0', 'big.bin'), 9 * MiB);
  writeFileSync(join(root, 'top.txt'), 'top\n');
}

test('(3) chunkservers up first, then controllers and a mount: cp -r into it at once works, diff -r clean', async () => {
  await ctx.tc?.stop();
  ctx.tc = undefined;
  const dir = makeTempDir('availability-fresh');
  const cluster = new LocalCluster();
  const ctlAddrs = [`${NET}.31`, `${NET}.32`];
  const peers = ctlAddrs.map((a) => `${a}:8000`);
  const urls = ctlAddrs.map((a) => `http://${a}:8000`);
  const cli = createCli({ configDir: join(dir, 'cli'), controllers: urls });
  let mount: MountProcess | undefined;
  try {
    // chunkservers first: their first heartbeats fail, the next come HEARTBEAT_INTERVAL later
    for (let i = 0; i < 3; i++) {
      await cluster.chunkserver({
        id: `fcs${i + 1}`, addr: `${NET}.${41 + i}`, port: 9000, dataDir: join(dir, `cs${i + 1}`), logFile: join(dir, 'logs', `cs${i + 1}.log`),
        peers, env: { HEARTBEAT_INTERVAL: '15s', MIN_FREE_BYTES: '0' },
      });
    }
    for (let i = 0; i < ctlAddrs.length; i++) {
      await cluster.controller({
        id: `fctl${i + 1}`, addr: ctlAddrs[i]!, port: 8000, dataDir: join(dir, `ctl${i + 1}`), logFile: join(dir, 'logs', `ctl${i + 1}.log`),
        peers: peers.filter((_, j) => j !== i), env: { GOSSIP_INTERVAL: '200ms', HEARTBEAT_TIMEOUT: '45s' },
      });
    }
    const reg = await cli.run(['register', USER, '--password', PASSWORD]);
    assert.is(reg.exitCode, 0, `register: ${reg.stderr}`);
    const login = await cli.run(['login', USER, PASSWORD]);
    assert.is(login.exitCode, 0, `login: ${login.stderr}`);
    const tree = join(dir, 'tree');
    makeTree(tree);
    const mnt = join(dir, 'mnt');
    mount = await startMount({ cli } as TestCluster, mnt);
    const cp = spawnSync('cp', ['-r', tree, join(mnt, 'tree')], { encoding: 'utf8', timeout: 120_000 });
    assert.is(cp.status, 0, `cp -r into the fresh mount: ${cp.stderr}`);
    const diff = spawnSync('diff', ['-r', tree, join(mnt, 'tree')], { encoding: 'utf8', timeout: 120_000 });
    assert.is(diff.status, 0, `diff -r: ${diff.stdout}${diff.stderr}`);
  } catch (err) {
    process.stderr.write(`\n===== mount log =====\n${mount?.logs().split('\n').slice(-40).join('\n') ?? ''}\n===== node logs =====\n${cluster.logs(40)}\n`);
    throw err;
  } finally {
    await mount?.stop().catch(() => undefined);
    await cluster.stopAll({ kill: true });
    if (!process.env.REDCLOUD_KEEP_TEST_DIRS) removeDir(dir);
  }
});

test.run();
