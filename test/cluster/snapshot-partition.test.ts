/**
 * Snapshots across a real iptables partition (3 controllers on 127.0.48.61-63, 1 chunkserver):
 * with controller 3 cut off, /p changes on both sides and each side takes a snapshot named `cut`
 * of /p (controller 3 first). Before healing each side sees its own; after, every controller lists
 * both, identically — the earlier-taken under `cut`, the other as `cut~<8 hex>` — and each holds
 * exactly what its controller had seen when it was taken (controller 1's has none of controller 3's
 * changes, and nothing written after it), with the same chunks everywhere and the bytes by hash.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isolate, type Partition } from '../../src/cluster/index.js';
import type { EntryInfo, ReadPlan } from '../../src/common/api.js';
import type { SnapshotInfo } from '../../src/common/snapshot-api.js';
import type { Cli } from '../helpers/cli.js';
import { sha256File } from '../helpers/files.js';
import { http } from '../helpers/http.js';
import { clusterStepsFor } from '../helpers/step.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';

const test = suite('snapshot partition');
const ctx: { tc?: TestCluster; cli?: Cli; token: string; work: string } = { token: '', work: '' };
const step = clusterStepsFor(test, ctx);
const host = (u: string): string => new URL(u).hostname;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function call<T>(c: string, route: string, snapshot?: string): Promise<T | undefined> {
  const r = await http(`${c}${route}`, { headers: { authorization: `Bearer ${ctx.token}`, ...(snapshot ? { 'x-redcloud-snapshot': snapshot } : {}) } });
  return r.status === 200 ? r.json<T>() : undefined;
}
const snapshots = async (c: string) => (await call<{ snapshots: SnapshotInfo[] }>(c, '/v1/snapshots'))?.snapshots ?? [];
/** A snapshot's whole tree through controller `c`: path → chunk ids (directories: 'dir'). */
async function snapTree(c: string, name: string, dir = '/'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = (await call<{ entries: EntryInfo[] }>(c, `/v1/fs/list?path=${encodeURIComponent(dir)}`, name))?.entries ?? [];
  for (const e of entries) {
    if (e.kind === 'dir') {
      out[e.path] = 'dir';
      Object.assign(out, await snapTree(c, name, e.path));
    } else {
      // small files live in their inode (INLINE_MAX): their bytes by hash; others by chunk ids
      const plan = await call<ReadPlan>(c, `/v1/fs/read?path=${encodeURIComponent(e.path)}`, name);
      out[e.path] = plan?.inline !== undefined ? sha(Buffer.from(plan.inline, 'base64')) : plan?.chunks.map((ch) => ch.id).join(',') ?? '?';
    }
  }
  return out;
}

useTestCluster(test, 'snapshot partition', ctx, { label: 'snap-part', net: '127.0.48', hostOffset: 50, controllers: 3, chunkservers: 1 }, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  ctx.cli = tc.cli;
  ctx.token = await tc.signUp('sam', 'pw-sam-1');
});

step('snapshots taken on both sides of a partition are identical on every controller after healing', async (tc, cli) => {
  const [c1, c2, c3] = tc.controllerUrls as [string, string, string];
  let n = 0;
  /** uploads random bytes; returns their hash (what snapTree shows of a file kept inline: they are below INLINE_MAX) */
  const upload = async (remote: string, via: string, size = 20_000): Promise<string> => {
    const local = join(ctx.work, `up-${n++}`);
    const data = randomBytes(size);
    writeFileSync(local, data);
    const r = await cli.run(['upload', local, '--to', remote, '--controllers', via]);
    assert.is(r.exitCode, 0, `upload ${remote} via ${via}: ${r.stderr}`);
    return sha(data);
  };
  const oldX = await upload('/p/x.bin', c1);
  const y = await upload('/p/y.txt', c1, 700);
  let z = '';
  let newX = '';
  for (const c of [c2, c3]) await waitFor(`/p on ${c}`, async () => (await call<{ entries: EntryInfo[] }>(c, '/v1/fs/list?path=/p'))?.entries.length === 2, { timeoutMs: 15_000 });
  let parts: Partition[] = [];
  try {
    parts = await isolate([host(c3)], [host(c1), host(c2)]);
    z = await upload('/p/z.txt', c3, 900); // only controller 3 knows
    const s3 = await cli.json<SnapshotInfo>(['snapshot', 'create', '/p', 'cut', '--controllers', c3]);
    assert.is(s3.entries, 3);
    newX = await upload('/p/x.bin', c1); // x changes, y goes, on controller 1's side
    assert.is((await cli.run(['rm', '/p/y.txt', '--controllers', c1])).exitCode, 0);
    const s1 = await cli.json<SnapshotInfo>(['snapshot', 'create', '/p', 'cut', '--controllers', c1]);
    assert.is(s1.entries, 1, 'controller 1 sees only x.bin');
    await upload('/p/after.bin', c1); // after the snapshot: not in it
    assert.equal((await snapshots(c1)).map((s) => s.name), ['cut'], 'one side: its own snapshot');
    assert.equal((await snapshots(c3)).map((s) => [s.name, s.node]), [['cut', 'ctl3']], 'the other side: its own');
  } finally {
    for (const p of parts) await p.heal();
  }
  for (const c of [c1, c2, c3]) await waitFor(`both snapshots on ${c}`, async () => (await snapshots(c)).length === 2, { timeoutMs: 30_000 });
  const lists = await Promise.all([c1, c2, c3].map(snapshots));
  assert.equal(lists[1], lists[0], 'controller 2 lists what controller 1 does');
  assert.equal(lists[2], lists[0], 'controller 3 lists what controller 1 does');
  const [first, second] = lists[0]!;
  assert.is(first!.name, 'cut');
  assert.is(first!.node, 'ctl3', 'the earlier-taken keeps the name');
  assert.match(second!.name, /^cut~[0-9a-f]{8}$/);
  assert.is(second!.node, 'ctl1');
  for (const c of [c1, c2, c3]) {
    await waitFor(`snapshot trees complete on ${c}`, async () =>
      Object.keys(await snapTree(c, first!.name)).length === 3 && Object.keys(await snapTree(c, second!.name)).length === 1, { timeoutMs: 30_000 });
  }
  const trees = await Promise.all([c1, c2, c3].map(async (c) => [await snapTree(c, first!.name), await snapTree(c, second!.name)]));
  assert.equal(trees[1], trees[0], 'controller 2 holds the same snapshots');
  assert.equal(trees[2], trees[0], 'controller 3 holds the same snapshots');
  assert.equal(trees[0]![0], { '/x.bin': oldX, '/y.txt': y, '/z.txt': z }, 'controller 3\'s snapshot: what it had seen');
  assert.equal(trees[0]![1], { '/x.bin': newX }, 'controller 1\'s: its changes, none of controller 3\'s, nothing written after');
  for (const [name, c] of [[first!.name, c1], [second!.name, c3]] as const) {
    const dest = join(ctx.work, `x-${name}-${host(c)}`);
    const r = await cli.run(['download', '--snapshot', name, '/x.bin', dest, '--controllers', c]);
    assert.is(r.exitCode, 0, `download --snapshot ${name} via ${c}: ${r.stderr}`);
    assert.is(await sha256File(dest), name === first!.name ? oldX : newX, `x.bin of ${name} by hash via ${c}`);
  }
});

test.run();
