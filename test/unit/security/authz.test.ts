// Authorization over the controller's HTTP API (inject): user B sees none of user A's entries on
// any route (404 / empty answers), A's entries stay unchanged, unauthenticated calls are 401
// before any body is parsed, login throttling answers 429 with Retry-After, and closed query strings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkId, makeController, type TestController } from '../controller/helpers.js';

let t: TestController;
let alice: string;
let bob: string;
test.before.each(async () => {
  t = await makeController();
  alice = await t.login('alice');
  bob = await t.login('bob');
  const id = chunkId(7);
  const res = await t.call('POST', '/v1/fs/commit', { path: '/secret/plan.txt', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] }, tags: ['private'] }, alice);
  assert.is(res.status, 200);
});
test.after.each(async () => { await t.close(); });

const enc = encodeURIComponent;

test('bob cannot stat, list, read, find or count tags of alice\'s entries', async () => {
  assert.is((await t.call('GET', `/v1/fs/stat?path=${enc('/secret/plan.txt')}`, undefined, bob)).status, 404);
  assert.is((await t.call('GET', `/v1/fs/stat?path=${enc('/secret')}`, undefined, bob)).status, 404);
  assert.is((await t.call('GET', `/v1/fs/list?path=${enc('/secret')}`, undefined, bob)).status, 404);
  assert.equal((await t.call('GET', '/v1/fs/list?path=/', undefined, bob)).json, { entries: [] });
  const read = await t.call('GET', `/v1/fs/read?path=${enc('/secret/plan.txt')}`, undefined, bob);
  assert.is(read.status, 404);
  assert.is(read.json.code, 'NOT_FOUND');
  assert.not.ok(JSON.stringify(read.json).includes(chunkId(7)), 'no chunk id leaks');
  assert.equal((await t.call('GET', '/v1/fs/find?tag=private', undefined, bob)).json, { entries: [] });
  assert.equal((await t.call('GET', '/v1/fs/tags', undefined, bob)).json, { tags: [] });
});

test('bob cannot tag, rename, remove, setattr or overwrite alice\'s entries', async () => {
  const before = (await t.call('GET', `/v1/fs/stat?path=${enc('/secret/plan.txt')}`, undefined, alice)).json;
  const tries = [
    ['/v1/fs/tags', { path: '/secret/plan.txt', add: ['mine'] }],
    ['/v1/fs/rename', { from: '/secret/plan.txt', to: '/stolen.txt' }],
    ['/v1/fs/remove', { path: '/secret/plan.txt' }],
    ['/v1/fs/remove', { path: '/secret', recursive: true }],
    ['/v1/fs/setattr', { path: '/secret/plan.txt', mode: 0o777 }],
  ] as const;
  for (const [url, body] of tries) {
    const res = await t.call('POST', url, body, bob);
    assert.is(res.status, 404, `${url} ${JSON.stringify(body)}`);
  }
  // Bob writing the same path creates bob's own file; alice's is untouched.
  const id = chunkId(8);
  const own = await t.call('POST', '/v1/fs/commit', { path: '/secret/plan.txt', size: 10, chunks: [{ id, size: 10 }], receipts: { [id]: [t.receipt(id, 'cs1', 10)] } }, bob);
  assert.is(own.status, 200);
  const after = (await t.call('GET', `/v1/fs/stat?path=${enc('/secret/plan.txt')}`, undefined, alice)).json;
  assert.equal(after, before);
  const plan = await t.call('GET', `/v1/fs/read?path=${enc('/secret/plan.txt')}`, undefined, alice);
  assert.equal(plan.json.chunks.map((c: { id: string }) => c.id), [chunkId(7)]);
});

test('no token, a garbage token or a forged token: 401 on every user route, before the body is read', async () => {
  const routes: [('GET' | 'POST'), string][] = [
    ['GET', '/v1/whoami'], ['GET', '/v1/status'], ['GET', '/v1/fs/stat?path=/'], ['GET', '/v1/fs/list?path=/'], ['GET', '/v1/fs/find?tag=x'],
    ['GET', '/v1/fs/tags'], ['GET', '/v1/fs/read?path=/a'], ['POST', '/v1/fs/commit'], ['POST', '/v1/fs/mkdir'], ['POST', '/v1/fs/symlink'],
    ['POST', '/v1/fs/remove'], ['POST', '/v1/fs/rename'], ['POST', '/v1/fs/setattr'], ['POST', '/v1/fs/tags'], ['POST', '/v1/fs/placement'],
  ];
  const forged = `${Buffer.from(JSON.stringify({ u: 'alice', iat: 0, exp: 9e15, iss: 'x' })).toString('base64url')}.AAAA`;
  for (const [method, url] of routes) {
    for (const token of [undefined, 'garbage', forged]) {
      const res = await t.call(method, url, method === 'POST' ? { not: 'valid' } : undefined, token);
      assert.is(res.status, 401, `${method} ${url} token=${token?.slice(0, 8)}`);
      assert.is(res.json.code, 'UNAUTHORIZED');
    }
  }
});

test('an expired token is refused', async () => {
  t.clock.ms += 25 * 3_600_000;
  const res = await t.call('GET', '/v1/whoami', undefined, alice);
  assert.is(res.status, 401);
  assert.match(res.json.message, /expired/);
});

test('five wrong passwords: 429 THROTTLED with Retry-After, even for the right password, until the window passes', async () => {
  for (let i = 0; i < 4; i++) {
    const wrong = await t.call('POST', '/v1/login', { user: 'alice', password: `wrong-${i}` });
    assert.is(wrong.status, 401);
    assert.is(wrong.json.message, 'Wrong user name or password', 'no lock yet: no retry hint');
  }
  // the attempt that locks says so, with when to retry (message, details and Retry-After)
  const locking = await t.c.app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'alice', password: 'wrong-4' } });
  assert.is(locking.statusCode, 401);
  assert.is(locking.headers['retry-after'], '5');
  assert.equal(JSON.parse(locking.body), {
    code: 'UNAUTHORIZED', message: 'Wrong user name or password; too many failed logins: try again in 5 s', details: { retryAfterMs: 5_000 },
  });
  const res = await t.c.app.inject({ method: 'POST', url: '/v1/login', payload: { user: 'alice', password: 'secret-pw' } });
  assert.is(res.statusCode, 429);
  assert.is(res.headers['retry-after'], '5');
  assert.is(JSON.parse(res.body).code, 'THROTTLED');
  assert.is((await t.call('POST', '/v1/login', { user: 'bob', password: 'secret-pw' })).status, 200, 'other users are not locked');
  t.clock.ms += 4999;
  assert.is((await t.call('POST', '/v1/login', { user: 'alice', password: 'secret-pw' })).status, 429);
  t.clock.ms += 1;
  assert.is((await t.call('POST', '/v1/login', { user: 'alice', password: 'secret-pw' })).status, 200);
});

test('unknown query parameters and bodies outside the schema are 400 INVALID', async () => {
  for (const url of ['/v1/whoami?x=1', '/v1/status?debug=true', '/v1/fs/tags?all=1', '/v1/fs/stat?path=/&extra=1', '/v1/fs/stat']) {
    const res = await t.call('GET', url, undefined, alice);
    assert.is(res.status, 400, url);
    assert.is(res.json.code, 'INVALID');
  }
  const bad = [
    { path: '/x', mode: -1 }, { path: '/x', mode: 0o1000000 }, { path: 'x'.repeat(5000) }, { path: '/x', parents: 'yes' }, { path: '/x', extra: 1 }, {},
  ];
  for (const body of bad) {
    const res = await t.call('POST', '/v1/fs/mkdir', body, alice);
    assert.is(res.status, 400, JSON.stringify(body).slice(0, 60));
    assert.is(res.json.code, 'INVALID');
  }
});

test('path rules: 255-byte names ok, 256 refused with NAME_TOO_LONG; "..", NUL and empty segments refused', async () => {
  const ok = await t.call('POST', '/v1/fs/mkdir', { path: `/${'n'.repeat(255)}` }, alice);
  assert.is(ok.status, 200);
  for (const path of [`/${'n'.repeat(256)}`, `/${'é'.repeat(128)}`, `/${'a/'.repeat(8200)}x`]) {
    const res = await t.call('POST', '/v1/fs/mkdir', { path, parents: true }, alice);
    assert.equal([res.status, res.json.code], [414, 'NAME_TOO_LONG'], path.slice(0, 40));
  }
  for (const path of ['/a/../b', '/a/\u0000b', '/a//b']) {
    const res = await t.call('POST', '/v1/fs/mkdir', { path, parents: true }, alice);
    assert.is(res.status, 400, path.slice(0, 40));
    assert.is(res.json.code, 'INVALID');
  }
  const odd = await t.call('POST', '/v1/fs/mkdir', { path: '/line\nbreak %41 %00 ünï' }, alice);
  assert.is(odd.status, 200);
  const list = await t.call('GET', '/v1/fs/list?path=/', undefined, alice);
  assert.ok(list.json.entries.some((e: { path: string }) => e.path === '/line\nbreak %41 %00 ünï'));
});

test.run();
