// The status page's routes (inject): GET / redirects to /ui; /ui is one self-contained page under a
// strict CSP whose script and style hashes match what it inlines and that fetches nothing else;
// /v1/cluster-view answers without login and carries no user or file names (STATUS_PAGE=public),
// needs a session with STATUS_PAGE=login (and only then shows warnings) of an account STATUS_PAGE_USERS
// names (any with the default *; 403 for others), and STATUS_PAGE=off
// removes all three routes; a bad STATUS_PAGE is refused at start with its name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { controllerSchema, loadConfig } from '../../../src/common/config.js';
import { VIEW_CACHE_MS } from '../../../src/controller/status-page.js';
import { chunkId, makeController, type TestController } from './helpers.js';

const get = async (t: TestController, url: string, token?: string) =>
  t.c.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

async function withController(env: Record<string, string>, fn: (t: TestController) => Promise<void>): Promise<void> {
  const t = await makeController(env);
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

test('public: / redirects to /ui; the page is self-contained under a CSP that allows exactly its script and style', () => withController({}, async (t) => {
  const root = await get(t, '/');
  assert.is(root.statusCode, 302);
  assert.is(root.headers.location, '/ui');
  const page = await get(t, '/ui');
  assert.is(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), 'text/html');
  const csp = String(page.headers['content-security-policy']);
  const script = /<script>([\s\S]*)<\/script>/.exec(page.body)![1]!;
  const style = /<style>([\s\S]*?)<\/style>/.exec(page.body)![1]!;
  assert.match(csp, "default-src 'none'");
  assert.match(csp, `script-src ${hashOf(script)}`);
  assert.match(csp, `style-src ${hashOf(style)}`);
  assert.match(csp, "connect-src 'self'");
  assert.match(csp, "frame-ancestors 'none'");
  assert.not.match(csp, 'unsafe');
  assert.is(page.headers['x-content-type-options'], 'nosniff');
  assert.is(page.headers['cache-control'], 'no-store');
  assert.is((page.body.match(/<script/g) ?? []).length, 1, 'one inline script, no src');
  assert.not.match(page.body, /\b(src|href)=["']?(https?:)?\/\//, 'nothing loaded from elsewhere');
  assert.match(page.body, 'data-key="controllers-alive" data-value="1"', 'public mode renders the first view into the page');
}));

test('public: the cluster view needs no login and shows no user name, file name or key', () => withController({}, async (t) => {
  const token = await t.login('alice-the-user');
  const id = chunkId(7);
  await t.internal('/internal/heartbeat', { id: 'cs1', url: 'http://127.0.2.5:9000', capacityBytes: 1000, freeBytes: 400, chunkCount: 1, full: false, inventory: [id] });
  const commit = await t.call('POST', '/v1/fs/commit', { path: '/secret-plans.txt', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] } }, token);
  assert.is(commit.status, 200);
  const res = await get(t, '/v1/cluster-view');
  assert.is(res.statusCode, 200);
  const view = JSON.parse(res.body);
  assert.is(view.controller, 'ctl-a');
  assert.is(view.nowMs, t.clock.ms);
  assert.equal(view.chunkservers.map((c: { id: string; capacityBytes: number; freeBytes: number; healthy: boolean }) => [c.id, c.capacityBytes, c.freeBytes, c.healthy]),
    [['cs1', 1000, 400, true]]);
  assert.equal(view.chunks, { total: 1, underReplicated: 0, replicationFactor: 'all' });
  assert.equal(view.conflicts, { total: 0, recent: [] });
  assert.is(view.repair.cycles, 0);
  assert.is(view.warnings, undefined, 'start-up warnings (they may name a weak secret) are for logged-in viewers only');
  for (const body of [res.body, (await get(t, '/ui')).body]) {
    assert.not.match(body, 'alice');
    assert.not.match(body, 'secret-plans');
    assert.not.match(body, id, 'no chunk ids either');
  }
}));

test('login: the page is served without data and the view needs a session (then shows warnings)', () => withController({ STATUS_PAGE: 'login', CLUSTER_SECRET: 'short-secret' }, async (t) => {
  const page = await get(t, '/ui');
  assert.is(page.statusCode, 200);
  assert.match(page.body, 'data-mode="login"');
  assert.not.match(page.body, 'data-key="controllers-alive"');
  assert.is((await get(t, '/v1/cluster-view')).statusCode, 401);
  const token = await t.login();
  const res = await get(t, '/v1/cluster-view', token);
  assert.is(res.statusCode, 200);
  assert.ok(JSON.parse(res.body).warnings.some((w: string) => /shorter than 16/.test(w)));
}));

test('login with STATUS_PAGE_USERS: only the named accounts see the view, others get 403 and no data', () => withController({ STATUS_PAGE: 'login', STATUS_PAGE_USERS: 'ops,carol' }, async (t) => {
  const ops = await t.login('ops');
  const mallory = await t.login('mallory');
  assert.is((await get(t, '/v1/cluster-view')).statusCode, 401, 'no session: 401 as before');
  const refused = await get(t, '/v1/cluster-view', mallory);
  assert.is(refused.statusCode, 403);
  assert.match(JSON.parse(refused.body).message, /mallory may not see the cluster view \(STATUS_PAGE_USERS/);
  assert.not.match(refused.body, /controllers|chunkservers/, 'no part of the view');
  const allowed = await get(t, '/v1/cluster-view', ops);
  assert.is(allowed.statusCode, 200);
  assert.ok(Array.isArray(JSON.parse(allowed.body).chunkservers));
}));

test('login without STATUS_PAGE_USERS: any logged-in account (the default *) sees the view', () => withController({ STATUS_PAGE: 'login' }, async (t) => {
  assert.is((await get(t, '/v1/cluster-view', await t.login('anyone'))).statusCode, 200);
}));

test('STATUS_PAGE_USERS takes account names or *; a bad or empty one is refused naming it', () => {
  assert.equal(loadConfig(controllerSchema, {}).statusPageUsers, ['*']);
  assert.equal(loadConfig(controllerSchema, { STATUS_PAGE_USERS: 'ops, carol' }).statusPageUsers, ['ops', 'carol']);
  assert.throws(() => loadConfig(controllerSchema, { STATUS_PAGE_USERS: 'ops,bad name!' }), /STATUS_PAGE_USERS: "name!" is neither an account name nor \*/);
  assert.throws(() => loadConfig(controllerSchema, { STATUS_PAGE_USERS: ' , ' }), /STATUS_PAGE_USERS: names no account/);
});

test('off: no page, no redirect, no view', () => withController({ STATUS_PAGE: 'off' }, async (t) => {
  for (const url of ['/', '/ui', '/v1/cluster-view']) assert.is((await get(t, url)).statusCode, 404, url);
}));

test('the view is assembled at most once a second, however many pages poll', () => withController({}, async (t) => {
  const first = JSON.parse((await get(t, '/v1/cluster-view')).body);
  t.clock.ms += 500;
  assert.is(JSON.parse((await get(t, '/v1/cluster-view')).body).nowMs, first.nowMs);
  t.clock.ms += 600;
  assert.is(JSON.parse((await get(t, '/v1/cluster-view')).body).nowMs, first.nowMs + 1100);
}));

test('repair progress: the last cycle appears with its time and counts', () => withController({}, async (t) => {
  assert.is(JSON.parse((await get(t, '/v1/cluster-view')).body).repair.last, undefined, 'no cycle yet');
  await t.c.repair.runCycle();
  t.clock.ms += VIEW_CACHE_MS;
  const repair = JSON.parse((await get(t, '/v1/cluster-view')).body).repair;
  assert.is(repair.cycles, 1);
  assert.is(repair.last.atMs, t.clock.ms - VIEW_CACHE_MS);
  assert.equal([repair.last.underReplicated, repair.last.replicated, repair.last.noSource], [0, 0, 0]);
}));

test('STATUS_PAGE takes public, login or off', () => {
  assert.is(loadConfig(controllerSchema, {}).statusPage, 'public');
  assert.throws(() => loadConfig(controllerSchema, { STATUS_PAGE: 'open' }), /STATUS_PAGE/);
});

test.run();
