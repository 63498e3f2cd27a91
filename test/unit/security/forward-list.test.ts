/** The replica pipeline's signed forward list (src/common/forward-list.ts): who a hop may forward to. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import { hopsAfter, issueForwardList, parseChain, FORWARD_HOPS_MAX } from '../../../src/common/forward-list.js';
import { Signer } from '../../../src/common/tokens.js';

const test = suite('forward list');
const signer = new Signer('unit-secret');
const id = 'a'.repeat(64);
const hops = [{ id: 'cs1', url: 'http://127.0.0.21:9000' }, { id: 'cs2', url: 'http://127.0.0.22:9000' }, { id: 'cs3', url: 'http://127.0.0.23:9000' }];
const now = 1_000_000;

function refused(fn: () => unknown, why: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'FORBIDDEN');
    assert.match((err as Error).message, why);
    return;
  }
  assert.unreachable(`expected FORBIDDEN matching ${why}`);
}

test('each hop gets the hops after it; the last none', () => {
  const token = issueForwardList(signer, id, hops, now, 60_000);
  assert.equal(hopsAfter(signer, token, id, 'cs1', now).map((h) => h.i), ['cs2', 'cs3']);
  assert.equal(hopsAfter(signer, token, id, 'cs2', now), [{ i: 'cs3', u: 'http://127.0.0.23:9000' }]);
  assert.equal(hopsAfter(signer, token, id, 'cs3', now), []);
});

test('forged, tampered, expired, for another chunk or not naming this chunkserver: refused', () => {
  const token = issueForwardList(signer, id, hops, now, 60_000);
  refused(() => hopsAfter(new Signer('other'), token, id, 'cs1', now), /signature/);
  const [body, mac] = token.split('.');
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as { h: { i: string; u: string }[] };
  claims.h[1]!.u = 'http://evil:1';
  refused(() => hopsAfter(signer, `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`, id, 'cs1', now), /signature/);
  refused(() => hopsAfter(signer, token, id, 'cs1', now + 60_000), /expired/);
  refused(() => hopsAfter(signer, token, 'b'.repeat(64), 'cs1', now), /another chunk/);
  refused(() => hopsAfter(signer, token, id, 'cs9', now), /does not name/);
  refused(() => hopsAfter(signer, undefined, id, 'cs1', now), /signature/);
});

test('a signed list that is malformed (too long, bad URL) is refused', () => {
  const many = Array.from({ length: FORWARD_HOPS_MAX + 1 }, (_, i) => ({ id: `cs${i}`, url: `http://127.0.0.${i}:9000` }));
  refused(() => hopsAfter(signer, issueForwardList(signer, id, many, now, 1000), id, 'cs0', now), /Malformed/);
  refused(() => hopsAfter(signer, issueForwardList(signer, id, [{ id: 'cs1', url: 'file:///etc' }], now, 1000), id, 'cs1', now), /Malformed/);
});

test('parseChain keeps at most max well-formed links and bounds messages', () => {
  assert.equal(parseChain('nope', 2), []);
  const links = parseChain([{ id: 'cs2', receipt: 'r' }, 7, { id: 3 }, { id: 'cs3', code: 'INTEGRITY', message: 'x'.repeat(900) }, { id: 'cs4', receipt: 'q' }], 4);
  assert.equal(links.map((l) => l.id), ['cs2', 'cs3']);
  assert.is(links[1]!.message!.length, 500);
  assert.is(parseChain([{ id: 'a' }, { id: 'b' }, { id: 'c' }], 2).length, 2);
});

test.run();
