/**
 * Three controllers on 127.0.9.11-13 (plus one chunkserver) over HTTP: a user and a session made
 * on one controller work on the others (gossip, stateless tokens); a controller cut off by an
 * iptables partition misses writes and catches up after healing; one killed with SIGKILL and
 * restarted on the same data keeps its state and catches up.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isolate, type Partition } from '../../src/cluster/index.js';
import type { EntryInfo } from '../../src/common/api.js';
import { getJson, http, loginToken, postJson } from '../helpers/http.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';

const test = suite('controllers');
const ctx: { tc?: TestCluster; token: string } = { token: '' };

const step = stepsFor(test, () => ctx.tc);

const stat = (url: string, path: string) => getJson<EntryInfo>(`${url}/v1/fs/stat?path=${encodeURIComponent(path)}`, ctx.token);

useTestCluster(test, 'controllers', ctx, { label: 'controllers', net: process.env.CONTROLLERS_NET ?? '127.0.9', controllers: 3, chunkservers: 1 });

step('a user registered on one controller can log in on every other; its token works everywhere', async (tc) => {
  const [a, b, c] = tc.controllerUrls as [string, string, string];
  const reg = await http(`${a}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'carol', password: 'pw-carol-1' }) });
  assert.ok(reg.status === 201 || reg.status === 200, `register: ${reg.status} ${reg.body.toString('utf8')}`);
  await waitFor('carol to reach every controller', async () => (await Promise.all([b, c].map((u) => loginToken(u, 'carol', 'pw-carol-1')))).length === 2, { timeoutMs: 15_000 });
  ctx.token = await loginToken(a, 'carol', 'pw-carol-1');
  for (const url of [a, b, c]) {
    const who = await getJson<{ user: string }>(`${url}/v1/whoami`, ctx.token);
    assert.is(who.status, 200, `whoami on ${url}`);
    assert.is(who.data.user, 'carol');
  }
});

step('a write on one controller reaches the others', async (tc) => {
  const [a, , c] = tc.controllerUrls as [string, string, string];
  const made = await postJson<EntryInfo>(`${a}/v1/fs/mkdir`, ctx.token, { path: '/shared' });
  assert.is(made.status, 200, `mkdir: ${JSON.stringify(made.data)}`);
  await waitFor('/shared on the third controller', async () => (await stat(c, '/shared')).status === 200, { timeoutMs: 15_000 });
  assert.is((await stat(c, '/shared')).data.kind, 'dir');
});

step('a partitioned controller misses writes and catches up after healing', async (tc) => {
  const [a, b, c] = tc.controllerUrls as [string, string, string];
  const host = (u: string) => new URL(u).hostname;
  let parts: Partition[] = [];
  try {
    parts = await isolate([host(c)], [host(a), host(b)]);
    const made = await postJson<EntryInfo>(`${a}/v1/fs/mkdir`, ctx.token, { path: '/during-partition' });
    assert.is(made.status, 200, `mkdir during the partition: ${JSON.stringify(made.data)}`);
    await waitFor('the write to reach the other side', async () => (await stat(b, '/during-partition')).status === 200, { timeoutMs: 15_000 });
    assert.is((await stat(c, '/during-partition')).status, 404, 'the cut-off controller has not seen it');
  } finally {
    for (const p of parts) await p.heal();
  }
  await waitFor('the cut-off controller to catch up after healing', async () => (await stat(c, '/during-partition')).status === 200, { timeoutMs: 30_000 });
});

step('a controller killed with SIGKILL restarts on its data and catches up', async (tc) => {
  const [a] = tc.controllerUrls as [string];
  const victim = tc.controllers[2]!;
  await victim.kill('SIGKILL');
  const made = await postJson<EntryInfo>(`${a}/v1/fs/mkdir`, ctx.token, { path: '/while-down' });
  assert.is(made.status, 200);
  await victim.restart();
  assert.is((await stat(victim.url, '/shared')).status, 200, 'kept what it had before the crash');
  await waitFor('the restarted controller to catch up', async () => (await stat(victim.url, '/while-down')).status === 200, { timeoutMs: 30_000 });
});

test.run();
