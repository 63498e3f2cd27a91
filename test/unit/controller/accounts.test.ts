// Accounts over HTTP (inject): register, duplicate, login, wrong password / unknown user, token use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeController, type TestController } from './helpers.js';

let t: TestController;
test.before.each(async () => { t = await makeController(); });
test.after.each(async () => { await t.close(); });

test('register, login, whoami', async () => {
  const reg = await t.call('POST', '/v1/register', { user: 'alice', password: 'pw-1234' });
  assert.is(reg.status, 201);
  assert.equal(reg.json, { user: 'alice' });
  const login = await t.call('POST', '/v1/login', { user: 'alice', password: 'pw-1234' });
  assert.is(login.status, 200);
  assert.is(login.json.user, 'alice');
  assert.is(login.json.expiresAt, t.clock.ms + 24 * 3_600_000);
  assert.equal(login.json.controllers, ['http://127.0.2.1:0']);
  const who = await t.call('GET', '/v1/whoami', undefined, login.json.token);
  assert.equal(who.json, { user: 'alice', controllers: ['http://127.0.2.1:0'] });
});

test('duplicate register is 409 EXISTS', async () => {
  await t.call('POST', '/v1/register', { user: 'alice', password: 'pw' });
  const again = await t.call('POST', '/v1/register', { user: 'alice', password: 'other' });
  assert.is(again.status, 409);
  assert.is(again.json.code, 'EXISTS');
});

test('wrong password and unknown user: same 401', async () => {
  await t.call('POST', '/v1/register', { user: 'alice', password: 'pw' });
  const wrong = await t.call('POST', '/v1/login', { user: 'alice', password: 'nope' });
  const unknown = await t.call('POST', '/v1/login', { user: 'bob', password: 'pw' });
  assert.is(wrong.status, 401);
  assert.is(unknown.status, 401);
  assert.equal(wrong.json, unknown.json);
  assert.is(wrong.json.code, 'UNAUTHORIZED');
});

test('bad input and missing or expired token', async () => {
  assert.is((await t.call('POST', '/v1/register', { user: 'al ice', password: 'pw' })).status, 400);
  assert.is((await t.call('POST', '/v1/register', { user: 'alice', password: 'pw', extra: 1 })).status, 400);
  assert.is((await t.call('GET', '/v1/whoami')).status, 401);
  assert.is((await t.call('GET', '/v1/fs/list?path=/', undefined, 'forged.token')).status, 401);
  const token = await t.login();
  t.clock.ms += 25 * 3_600_000;
  const expired = await t.call('GET', '/v1/whoami', undefined, token);
  assert.is(expired.status, 401);
  assert.match(expired.json.message, /expired/);
});

test.run();
