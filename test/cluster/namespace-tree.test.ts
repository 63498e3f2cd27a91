/**
 * The replicated tree across a real partition, with real processes: 3 controllers (127.0.13.11-13)
 * and 1 chunkserver. On both sides of an iptables partition, `mv /a /b/a` through controller 1 and
 * `mv /b /a/b` through controller 3 (each fine alone, together a cycle), and a file uploaded into
 * /a through controller 3. After healing, every controller shows one tree: /b/a, with the file
 * and its bytes inside; nothing lost, nothing duplicated, `Resolved conflict` logged.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isolate, type Partition } from '../../src/cluster/index.js';
import type { EntryInfo } from '../../src/common/api.js';
import type { Cli } from '../helpers/cli.js';
import { sha256File } from '../helpers/files.js';
import { getJson, postJson } from '../helpers/http.js';
import { clusterStepsFor } from '../helpers/step.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';

const NET = process.env.NAMESPACE_TREE_NET ?? '127.0.13';
const test = suite('namespace tree');
const ctx: { tc?: TestCluster; cli?: Cli; token: string; work: string } = { token: '', work: '' };
const step = clusterStepsFor(test, ctx);
const host = (u: string): string => new URL(u).hostname;
const list = async (c: string, path: string): Promise<string[] | undefined> => {
  const r = await getJson<{ entries: EntryInfo[] }>(`${c}/v1/fs/list?path=${encodeURIComponent(path)}`, ctx.token);
  return r.status === 200 ? r.data.entries.map((e) => e.path) : undefined;
};
/** The whole tree as seen through controller `c`: every path, depth first. */
async function tree(c: string, dir = '/'): Promise<string[]> {
  const out: string[] = [];
  for (const p of (await list(c, dir)) ?? []) {
    out.push(p);
    const below = await list(c, p);
    if (below) out.push(...await tree(c, p));
  }
  return out;
}

useTestCluster(test, 'namespace tree', ctx, { label: 'tree', net: NET, controllers: 3, chunkservers: 1 }, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  ctx.cli = tc.cli;
  ctx.token = await tc.signUp('tina', 'pw-tina-1');
});

step('concurrent moves that would form a cycle converge to one tree on every controller, the file inside with its bytes', async (tc, cli) => {
  const [c1, c2, c3] = tc.controllerUrls as [string, string, string];
  for (const dir of ['/a', '/b']) assert.is((await postJson(`${c1}/v1/fs/mkdir`, ctx.token, { path: dir })).status, 200, `mkdir ${dir}`);
  for (const c of [c2, c3]) await waitFor(`/a and /b on ${c}`, async () => JSON.stringify(await list(c, '/')) === '["/a","/b"]', { timeoutMs: 15_000 });
  const bytes = randomBytes(50_000);
  const local = join(ctx.work, 'inside.bin');
  writeFileSync(local, bytes);
  let parts: Partition[] = [];
  try {
    parts = await isolate([host(c3)], [host(c1), host(c2)]);
    const m1 = await postJson<EntryInfo>(`${c1}/v1/fs/rename`, ctx.token, { from: '/a', to: '/b/a' });
    assert.is(m1.status, 200, 'mv /a /b/a through controller 1');
    const m3 = await postJson<EntryInfo>(`${c3}/v1/fs/rename`, ctx.token, { from: '/b', to: '/a/b' });
    assert.is(m3.status, 200, 'mv /b /a/b through cut-off controller 3');
    const up = await cli.run(['upload', local, '--to', '/a/inside.bin', '--controllers', c3]);
    assert.is(up.exitCode, 0, `upload into /a through controller 3: ${up.stderr}`);
    assert.equal(await tree(c1), ['/b', '/b/a'], 'controller 1 before healing');
    assert.equal(await tree(c3), ['/a', '/a/b', '/a/inside.bin'], 'controller 3 before healing');
  } finally {
    for (const p of parts) await p.heal();
  }
  const want = ['/b', '/b/a', '/b/a/inside.bin'];
  for (const c of [c1, c2, c3]) {
    await waitFor(`one tree on ${c}`, async () => JSON.stringify(await tree(c)) === JSON.stringify(want), { timeoutMs: 30_000 });
  }
  for (const c of [c1, c2, c3]) {
    const dest = join(ctx.work, `dl-${host(c)}`);
    const r = await cli.run(['download', '/b/a/inside.bin', dest, '--controllers', c]);
    assert.is(r.exitCode, 0, `download via ${c}: ${r.stderr}`);
    assert.is(await sha256File(dest), createHash('sha256').update(bytes).digest('hex'), `bytes via ${c}`);
  }
  const logs = ['ctl1', 'ctl2', 'ctl3'].map((id) => readFileSync(join(tc.dir, 'logs', `${id}.log`), 'utf8'));
  assert.ok(logs.some((l) => l.includes('Resolved conflict')), '`Resolved conflict` logged');
});

test.run();
