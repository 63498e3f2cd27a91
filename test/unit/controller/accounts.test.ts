// Accounts over HTTP (inject): register, duplicate, login, wrong password / unknown user, token use;
// the password policy, NFC names and passwords, logout revoking the session, deleting an account
// (needs its password; the name stays retired), a token whose account lost its name to an earlier
// registration (NAME_TAKEN), the registration gate, and registrations limited per address.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { userKey } from '../../../src/meta/keys.js';
import { putUser } from '../../../src/meta/ops.js';
import type { UserRecord } from '../../../src/meta/types.js';
import { makeController, type TestController } from './helpers.js';

let t: TestController;
test.before.each(async () => { t = await makeController(); });
test.after.each(async () => { await t.close(); });

const PW = 'pw-12345678';

test('register, login, whoami', async () => {
  const reg = await t.call('POST', '/v1/register', { user: 'alice', password: PW });
  assert.is(reg.status, 201);
  assert.equal(reg.json, { user: 'alice' });
  const login = await t.call('POST', '/v1/login', { user: 'alice', password: PW });
  assert.is(login.status, 200);
  assert.is(login.json.user, 'alice');
  assert.is(login.json.expiresAt, t.clock.ms + 24 * 3_600_000);
  assert.equal(login.json.controllers, ['http://127.0.2.1:0']);
  const who = await t.call('GET', '/v1/whoami', undefined, login.json.token);
  assert.equal(who.json, { user: 'alice', controllers: ['http://127.0.2.1:0'] });
});

test('duplicate register is 409 EXISTS', async () => {
  await t.call('POST', '/v1/register', { user: 'alice', password: PW });
  const again = await t.call('POST', '/v1/register', { user: 'alice', password: 'other-password' });
  assert.is(again.status, 409);
  assert.is(again.json.code, 'EXISTS');
});

test('passwords shorter than 8 characters are refused', async () => {
  const short = await t.call('POST', '/v1/register', { user: 'alice', password: 'x' });
  assert.is(short.status, 400);
  assert.match(short.json.message, /at least 8 characters/);
  assert.is((await t.call('POST', '/v1/register', { user: 'alice', password: '1234567' })).status, 400);
  assert.is((await t.call('POST', '/v1/register', { user: 'alice', password: '12345678' })).status, 201);
});

test('names and passwords are compared in NFC: two spellings of one text are one name and one password', async () => {
  // U+212A KELVIN SIGN is NFC "K"; "e\u0301" is NFD of "é"
  assert.is((await t.call('POST', '/v1/register', { user: '\u212Aate', password: 'caf\u00e9-caf\u00e9' })).status, 201);
  const again = await t.call('POST', '/v1/register', { user: 'Kate', password: PW });
  assert.is(again.status, 409, 'Kate and \u212Aate are one name');
  const login = await t.call('POST', '/v1/login', { user: 'Kate', password: 'cafe\u0301-cafe\u0301' });
  assert.is(login.status, 200, 'the NFD spelling of the password logs in');
  assert.is(login.json.user, 'Kate');
});

test('wrong password and unknown user: same 401', async () => {
  await t.call('POST', '/v1/register', { user: 'alice', password: PW });
  const wrong = await t.call('POST', '/v1/login', { user: 'alice', password: 'nope-nope' });
  const unknown = await t.call('POST', '/v1/login', { user: 'bob', password: PW });
  assert.is(wrong.status, 401);
  assert.is(unknown.status, 401);
  assert.equal(wrong.json, unknown.json);
  assert.is(wrong.json.code, 'UNAUTHORIZED');
});

test('bad input and missing or expired token', async () => {
  assert.is((await t.call('POST', '/v1/register', { user: 'al ice', password: PW })).status, 400);
  assert.is((await t.call('POST', '/v1/register', { user: 'alice', password: PW, extra: 1 })).status, 400);
  assert.is((await t.call('GET', '/v1/whoami')).status, 401);
  assert.is((await t.call('GET', '/v1/fs/list?path=/', undefined, 'forged.token')).status, 401);
  const token = await t.login();
  t.clock.ms += 25 * 3_600_000;
  const expired = await t.call('GET', '/v1/whoami', undefined, token);
  assert.is(expired.status, 401);
  assert.match(expired.json.message, /expired/);
});

test('logout revokes the session; a new login works', async () => {
  const token = await t.login();
  assert.is((await t.call('POST', '/v1/logout', undefined, token)).status, 204);
  const after = await t.call('GET', '/v1/whoami', undefined, token);
  assert.is(after.status, 401);
  assert.match(after.json.message, /logout/);
  t.clock.ms += 5;
  const again = await t.call('POST', '/v1/login', { user: 'alice', password: 'secret-pw' });
  assert.is((await t.call('GET', '/v1/whoami', undefined, again.json.token)).status, 200);
});

test('deleting an account needs its password; the name stays retired', async () => {
  const token = await t.login();
  const wrong = await t.call('POST', '/v1/account/delete', { user: 'alice', password: 'not-the-password' });
  assert.is(wrong.status, 401);
  assert.is((await t.call('GET', '/v1/whoami', undefined, token)).status, 200, 'still there');
  assert.is((await t.call('POST', '/v1/account/delete', { user: 'alice', password: 'secret-pw' })).status, 204);
  assert.is((await t.call('GET', '/v1/whoami', undefined, token)).status, 401, 'its tokens are refused');
  assert.is((await t.call('POST', '/v1/login', { user: 'alice', password: 'secret-pw' })).status, 401);
  const reuse = await t.call('POST', '/v1/register', { user: 'alice', password: 'taking-over' });
  assert.is(reuse.status, 409, 'nobody can register the name and inherit the files');
});

test('a token whose account lost its name to an earlier registration is refused with NAME_TAKEN', async () => {
  const token = await t.login();
  const mine = t.c.store.getRecord(userKey('alice')) as UserRecord;
  // the same name registered earlier on another controller arrives by gossip
  const earlier = putUser(undefined, {
    hlc: { wallMs: mine.created!.wallMs - 1000, logical: 0, node: 'ctl-z' }, node: 'ctl-z', seq: 1, name: 'alice',
    passwordHash: mine.passwordHash, createdAtMs: mine.createdAtMs - 1000,
  });
  t.c.store.transaction(() => t.c.store.mergeRecord(earlier));
  const res = await t.call('GET', '/v1/fs/list?path=/', undefined, token);
  assert.is(res.status, 409);
  assert.is(res.json.code, 'NAME_TAKEN');
  assert.match(res.json.message, /taken by an account registered earlier/);
  const later = putUser(undefined, {
    hlc: { wallMs: mine.created!.wallMs + 1000, logical: 0, node: 'ctl-y' }, node: 'ctl-y', seq: 1, name: 'alice', passwordHash: null, createdAtMs: 1,
  });
  t.c.store.transaction(() => t.c.store.mergeRecord(later));
  assert.equal((t.c.store.getRecord(userKey('alice')) as UserRecord).created, earlier.created, 'a later registration never replaces it');
});

test('registrations are limited per address (REGISTER_LIMIT per 10 minutes)', async () => {
  const limited = await makeController({ REGISTER_LIMIT: '3' });
  try {
    for (let i = 0; i < 3; i++) assert.is((await limited.call('POST', '/v1/register', { user: `u${i}`, password: PW })).status, 201);
    const refused = await limited.call('POST', '/v1/register', { user: 'u9', password: PW });
    assert.is(refused.status, 429);
    assert.is(refused.json.code, 'THROTTLED');
    limited.clock.ms += 10 * 60_000;
    assert.is((await limited.call('POST', '/v1/register', { user: 'u9', password: PW })).status, 201);
  } finally {
    await limited.close();
  }
});

test('a controller that knows peers it is not in sync with refuses to register (503); logins still work', async () => {
  const token = await t.login();
  const peered = await makeController({ CONTROLLER_PEERS: '127.0.2.2:8000,127.0.2.3:8000', GOSSIP_INTERVAL: '50ms' });
  try {
    const res = await peered.call('POST', '/v1/register', { user: 'alice', password: PW });
    assert.is(res.status, 503);
    assert.match(res.json.message, /in sync with 1 of the 3 controllers .* needs a majority \(2\)/);
  } finally {
    await peered.close();
  }
  assert.ok(token);
});

test.run();
