/** Cluster auth (src/common/cluster-auth.ts): what a header binds, the replay cache, roles, whoami. Clock passed in. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  CLUSTER_AUTH_SKEW_MS, CLUSTER_ROUTES, ReplayCache, admitClusterCall, answerWhoami, bodyHash, checkBody, checkWhoami, roleMayCall,
  signClusterCall, verifyClusterCall,
} from '../../../src/common/cluster-auth.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { Signer } from '../../../src/common/tokens.js';

const NOW = 1_700_000_000_000;
const signer = new Signer('cluster-secret-for-tests-0123');
const other = new Signer('another-cluster-secret-0123456');
const GOSSIP = { method: 'POST', path: '/internal/gossip', route: '/internal/gossip' };
const BODY = JSON.stringify({ from: { id: 'c1', url: 'http://x:1' }, digest: {} });

function fails(fn: () => unknown, code: string, text: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, code);
    assert.ok((err as Error).message.includes(text), `"${(err as Error).message}" should mention "${text}"`);
    return;
  }
  assert.unreachable(`should have thrown ${code}`);
}

test('a header verifies for its own method, path and time window only', () => {
  const h = signClusterCall(signer, 'controller', 'c1', { ...GOSSIP, body: BODY }, NOW);
  const claims = verifyClusterCall(signer, h, GOSSIP, NOW);
  assert.is(claims.n, 'c1');
  assert.is(claims.r, 'controller');
  assert.is(claims.b, bodyHash(BODY));
  verifyClusterCall(signer, h, GOSSIP, NOW + CLUSTER_AUTH_SKEW_MS);
  verifyClusterCall(signer, h, GOSSIP, NOW - CLUSTER_AUTH_SKEW_MS);
  fails(() => verifyClusterCall(signer, h, GOSSIP, NOW + CLUSTER_AUTH_SKEW_MS + 1), 'UNAUTHORIZED', 'too old');
  fails(() => verifyClusterCall(signer, h, GOSSIP, NOW - CLUSTER_AUTH_SKEW_MS - 1), 'UNAUTHORIZED', 'too old');
  fails(() => verifyClusterCall(signer, h, { method: 'POST', path: '/internal/anti-entropy' }, NOW), 'UNAUTHORIZED', 'another route');
  fails(() => verifyClusterCall(signer, h, { method: 'GET', path: '/internal/gossip' }, NOW), 'UNAUTHORIZED', 'another route');
  fails(() => verifyClusterCall(signer, h, { method: 'POST', path: '/internal/gossip?x=1' }, NOW), 'UNAUTHORIZED', 'another route');
  fails(() => verifyClusterCall(other, h, GOSSIP, NOW), 'UNAUTHORIZED', 'CLUSTER_SECRET');
  fails(() => verifyClusterCall(signer, undefined, GOSSIP, NOW), 'UNAUTHORIZED', 'cluster signature');
  fails(() => verifyClusterCall(signer, 'v2.garbage.x', GOSSIP, NOW), 'UNAUTHORIZED', 'cluster signature');
});

test('the body is bound: another body is refused', () => {
  const h = signClusterCall(signer, 'controller', 'c1', { ...GOSSIP, body: BODY }, NOW);
  const claims = verifyClusterCall(signer, h, GOSSIP, NOW);
  checkBody(claims, bodyHash(BODY));
  fails(() => checkBody(claims, bodyHash(`${BODY} `)), 'UNAUTHORIZED', 'not the one signed');
  fails(() => checkBody(claims, bodyHash(undefined)), 'UNAUTHORIZED', 'not the one signed');
});

test('a tampered payload (another role, node, time or body hash) fails the MAC', () => {
  const h = signClusterCall(signer, 'chunkserver', 'cs1', { method: 'POST', path: '/internal/heartbeat', body: '{}' }, NOW);
  const [v, payload, mac] = h.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  for (const change of [{ r: 'controller' }, { n: 'cs2' }, { t: NOW + 1 }, { b: bodyHash('other') }, { x: 'A'.repeat(22) }]) {
    const forged = `${v}.${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${mac}`;
    fails(() => verifyClusterCall(signer, forged, { method: 'POST', path: '/internal/heartbeat' }, NOW), 'UNAUTHORIZED', 'signature');
  }
});

test('roles: the route table is default-deny and keeps chunkservers off gossip and anti-entropy', () => {
  for (const route of ['/internal/gossip', '/internal/gossip/push', '/internal/anti-entropy', '/internal/anti-entropy/records']) {
    assert.ok(roleMayCall('controller', 'POST', route));
    assert.not.ok(roleMayCall('chunkserver', 'POST', route));
  }
  assert.ok(roleMayCall('chunkserver', 'POST', '/internal/heartbeat'));
  assert.not.ok(roleMayCall('controller', 'POST', '/internal/heartbeat'));
  assert.not.ok(roleMayCall('chunkserver', 'DELETE', '/chunks/:id'));
  assert.not.ok(roleMayCall('controller', 'POST', '/v1/fs/commit'));
  assert.not.ok(roleMayCall('controller', 'GET', '/internal/gossip'));
  const cache = new ReplayCache(100);
  const h = signClusterCall(signer, 'chunkserver', 'cs1', { ...GOSSIP, body: BODY }, NOW);
  fails(() => admitClusterCall(signer, h, GOSSIP, NOW, cache), 'UNAUTHORIZED', 'a chunkserver may not call POST /internal/gossip');
  for (const [key, roles] of Object.entries(CLUSTER_ROUTES)) assert.ok(roles.length > 0 && /^(GET|HEAD|POST|PUT|DELETE) \//.test(key), key);
});

test('replay: the same header twice is refused; a fresh one for the same call works', () => {
  const cache = new ReplayCache(100);
  const h = signClusterCall(signer, 'controller', 'c1', { ...GOSSIP, body: BODY }, NOW);
  admitClusterCall(signer, h, GOSSIP, NOW, cache);
  fails(() => admitClusterCall(signer, h, GOSSIP, NOW + 1000, cache), 'UNAUTHORIZED', 'replay');
  admitClusterCall(signer, signClusterCall(signer, 'controller', 'c1', { ...GOSSIP, body: BODY }, NOW + 1000), GOSSIP, NOW + 1000, cache);
  // past the window the header is refused for its age; its nonce is no longer needed
  fails(() => admitClusterCall(signer, h, GOSSIP, NOW + CLUSTER_AUTH_SKEW_MS + 1, cache), 'UNAUTHORIZED', 'too old');
});

test('replay cache: bounded; forgets nonces whose header expired; never forgets a live one', () => {
  const cache = new ReplayCache(3, 1000);
  assert.ok(cache.admit('n1', NOW, NOW));
  assert.ok(cache.admit('n2', NOW, NOW));
  assert.ok(cache.admit('n3', NOW, NOW));
  assert.not.ok(cache.admit('n1', NOW, NOW + 500));
  fails(() => cache.admit('n4', NOW, NOW + 500), 'UNAVAILABLE', 'replay window');
  assert.ok(cache.admit('n4', NOW + 1001, NOW + 1001), 'expired entries make room');
  assert.ok(cache.size <= 3);
});

test('property: any sequence of admissions never admits a nonce twice while its header is live, and stays bounded', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ nonce: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), dt: fc.integer({ min: 0, max: 400 }), skew: fc.integer({ min: -1000, max: 1000 }) }), { maxLength: 200 }),
    (steps) => {
      const cache = new ReplayCache(4, 1000);
      let now = NOW;
      const admittedUntil = new Map<string, number>();
      for (const s of steps) {
        now += s.dt;
        const t = now + s.skew;
        let ok: boolean;
        try {
          ok = cache.admit(s.nonce, t, now);
        } catch {
          continue; // full: refused, which is safe
        }
        const live = admittedUntil.get(s.nonce);
        if (ok) {
          assert.ok(live === undefined || live < now, `nonce ${s.nonce} admitted again while live`);
          admittedUntil.set(s.nonce, t + 1000);
        }
        assert.ok(cache.size <= 4);
      }
    },
  ));
});

test('whoami: the answer proves the key holder at its own URL only', () => {
  const a = answerWhoami(signer, 'nonce-1', 'http://127.0.0.1:8000', 'c1');
  assert.equal(checkWhoami(signer, a, 'nonce-1'), { id: 'c1', url: 'http://127.0.0.1:8000' });
  assert.is(checkWhoami(signer, a, 'nonce-2'), null, 'another challenge');
  assert.is(checkWhoami(signer, { ...a, url: 'http://127.0.0.9:8000' }, 'nonce-1'), null, 'another URL');
  assert.is(checkWhoami(signer, { ...a, id: 'c2' }, 'nonce-1'), null, 'another id');
  assert.is(checkWhoami(other, a, 'nonce-1'), null, 'another secret');
  assert.is(checkWhoami(signer, 'garbage', 'nonce-1'), null);
  // a whoami MAC is no request header, and a request header no whoami MAC
  const h = signClusterCall(signer, 'controller', 'c1', { method: 'GET', path: '/internal/whoami?nonce=nonce-1' }, NOW);
  assert.is(checkWhoami(signer, { ...a, mac: h.split('.')[2] }, 'nonce-1'), null);
});

test.run();
