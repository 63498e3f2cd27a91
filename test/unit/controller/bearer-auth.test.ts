import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FastifyRequest } from 'fastify';
import { bearerAuth, userOf } from '../../../src/controller/auth.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { Signer, issueSessionToken } from '../../../src/common/tokens.js';

const req = (token: string): FastifyRequest => ({ headers: { authorization: `Bearer ${token}` } } as unknown as FastifyRequest);

test('a token verified once is still checked for expiry and by the accounts on every request; a forged one is refused', async () => {
  const signer = new Signer('a-test-secret-of-some-length');
  let now = 1_000;
  let seen = 0;
  const hook = bearerAuth(signer, () => now, { authenticate: (c) => { seen += 1; return c.u; } });
  const { token } = issueSessionToken(signer, 'alice', 'acct1', 'ctl1', now, 10_000);
  for (let i = 0; i < 3; i++) {
    const r = req(token);
    await hook(r);
    assert.is(userOf(r), 'alice');
  }
  assert.is(seen, 3, 'the accounts see every request (revoked sessions, lost names)');
  const forged = `${token.split('.')[0]}.${Buffer.alloc(32).toString('base64url')}`;
  try {
    await hook(req(forged));
    assert.unreachable('a forged token passed');
  } catch (err) {
    assert.is((err as RedCloudError).code, 'UNAUTHORIZED');
  }
  now = 11_000;
  try {
    await hook(req(token));
    assert.unreachable('an expired token passed');
  } catch (err) {
    assert.match((err as Error).message, /expired/);
  }
});

test.run();
