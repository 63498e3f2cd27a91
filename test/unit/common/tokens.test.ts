/** Unit tests of src/common/tokens: signing, sessions, capabilities, receipts, cluster auth. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import {
  Signer, issueCapability, issueReceipt, issueSessionToken,
  openReceipt, verifyCapability, verifySessionToken,
} from '../../../src/common/tokens.js';

const NOW = 1_700_000_000_000;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const signer = new Signer('s3cret');
const other = new Signer('another-secret');

function fails(fn: () => unknown, code: string, fragment: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, code);
    assert.ok((err as Error).message.includes(fragment), `"${(err as Error).message}" should mention "${fragment}"`);
    return;
  }
  assert.unreachable('should have thrown');
}

test('Signer: empty secret refused; open checks signature and purpose', () => {
  fails(() => new Signer(''), 'INVALID', 'CLUSTER_SECRET');
  const t = signer.sign('session', { x: 1 });
  assert.equal(signer.open('session', t), { x: 1 });
  assert.is(signer.open('capability', t), null, 'wrong purpose');
  assert.is(other.open('session', t), null, 'other secret');
  assert.is(signer.open('session', `${t}x`), null, 'tampered signature');
  const [body, mac] = t.split('.') as [string, string];
  // the body is the payload in the clear, so a forger can write one: only the MAC refuses it
  assert.equal(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')), { x: 1 });
  const forgedBody = Buffer.from(JSON.stringify({ x: 2 })).toString('base64url');
  assert.is.not(forgedBody, body);
  assert.is(signer.open('session', `${forgedBody}.${mac}`), null, 'tampered payload');
  const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`; // same length: the comparison decides
  assert.is(signer.open('session', `${body}.${flipped}`), null, 'tampered signature of the right length');
  assert.is(signer.open('session', 'nodot'), null);
  assert.is(signer.open('session', 12), null);
  assert.is(signer.open('session', 'x'.repeat(5000)), null);
});

test('session tokens: valid, expired, forged, wrong purpose', () => {
  const { token, expiresAt } = issueSessionToken(signer, 'demo', '10.0.c1', 'c1', NOW, 60_000);
  assert.is(expiresAt, NOW + 60_000);
  assert.equal(verifySessionToken(signer, token, NOW + 59_999), { u: 'demo', a: '10.0.c1', iat: NOW, exp: NOW + 60_000, iss: 'c1' });
  fails(() => verifySessionToken(signer, token, NOW + 60_000), 'UNAUTHORIZED', 'expired');
  fails(() => verifySessionToken(other, token, NOW), 'UNAUTHORIZED', 'Invalid session token');
  fails(() => verifySessionToken(signer, undefined, NOW), 'UNAUTHORIZED', 'Invalid session token');
  const cap = issueCapability(signer, A, 'r', NOW, 60_000);
  fails(() => verifySessionToken(signer, cap, NOW), 'UNAUTHORIZED', 'Invalid session token');
});

test('capabilities are scoped to one chunk and one operation', () => {
  const r = issueCapability(signer, A, 'r', NOW, 1_000);
  const w = issueCapability(signer, A, 'w', NOW, 1_000);
  const d = issueCapability(signer, A, 'd', NOW, 1_000);
  assert.equal(verifyCapability(signer, r, A, 'r', NOW), { c: A, op: 'r', exp: NOW + 1_000 });
  assert.is(verifyCapability(signer, w, A, 'w', NOW).op, 'w');
  assert.is(verifyCapability(signer, d, A, 'd', NOW).op, 'd');
  assert.is(verifyCapability(signer, r, A, 'head', NOW).op, 'r');
  assert.is(verifyCapability(signer, w, A, 'head', NOW).op, 'w');
  fails(() => verifyCapability(signer, d, A, 'head', NOW), 'FORBIDDEN', 'does not allow');
  fails(() => verifyCapability(signer, r, A, 'w', NOW), 'FORBIDDEN', 'does not allow');
  fails(() => verifyCapability(signer, w, A, 'r', NOW), 'FORBIDDEN', 'does not allow');
  fails(() => verifyCapability(signer, r, B, 'r', NOW), 'FORBIDDEN', 'another chunk');
  fails(() => verifyCapability(signer, r, A, 'r', NOW + 1_000), 'FORBIDDEN', 'expired');
  fails(() => verifyCapability(signer, undefined, A, 'r', NOW), 'FORBIDDEN', 'Missing');
  fails(() => verifyCapability(signer, '', A, 'r', NOW), 'FORBIDDEN', 'Missing');
  fails(() => verifyCapability(other, r, A, 'r', NOW), 'FORBIDDEN', 'signature');
  const session = issueSessionToken(signer, 'demo', '10.0.c1', 'c1', NOW, 1_000).token;
  fails(() => verifyCapability(signer, session, A, 'r', NOW), 'FORBIDDEN', 'signature');
});

test('receipts: opened only for the right chunk and secret', () => {
  const receipt = issueReceipt(signer, A, 'cs1', 42);
  assert.equal(openReceipt(signer, receipt, A), { c: A, s: 'cs1', n: 42 });
  assert.is(openReceipt(signer, receipt, B), null);
  assert.is(openReceipt(other, receipt, A), null);
  assert.is(openReceipt(signer, issueCapability(signer, A, 'w', NOW, 1_000), A), null);
  assert.is(openReceipt(signer, undefined, A), null);
});

test.run();
