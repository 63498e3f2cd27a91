// When garbage collection may run: every known peer controller alive, with a recent digest that
// holds nothing this controller lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gcBlocker } from '../../../src/controller/repair/gc-gate.js';

const now = 100_000;
const base = { ownDigest: { a: 5, b: 3 }, nowMs: now, maxDigestAgeMs: 60_000 };

test('no peers: allowed', () => {
  assert.is(gcBlocker({ ...base, peers: [], digests: [] }), undefined);
});

test('peers caught up (or behind us): allowed', () => {
  assert.is(gcBlocker({
    ...base,
    peers: [{ url: 'http://b:8000', id: 'b', alive: true }, { url: 'http://c:8000', id: 'c', alive: true }],
    digests: [{ url: 'http://b:8000', id: 'b', digest: { a: 5, b: 3 }, atMs: now - 1000 }, { url: 'http://c:8000', id: 'c', digest: { a: 2 }, atMs: now }],
  }), undefined);
});

test('blocked: a peer unreachable, without a digest, with an old one, or ahead of us', () => {
  const peer = { url: 'http://b:8000', id: 'b', alive: true };
  assert.is(gcBlocker({ ...base, peers: [{ ...peer, alive: false }], digests: [] }), 'controller http://b:8000 is not reachable');
  assert.is(gcBlocker({ ...base, peers: [peer], digests: [] }), 'no recent digest from controller b');
  assert.is(gcBlocker({ ...base, peers: [peer], digests: [{ url: peer.url, id: 'b', digest: {}, atMs: now - 60_001 }] }), 'no recent digest from controller b');
  assert.is(gcBlocker({ ...base, peers: [peer], digests: [{ url: peer.url, id: 'b', digest: { a: 5, b: 4 }, atMs: now }] }),
    'controller b holds updates of b not received here yet');
  assert.is(gcBlocker({ ...base, peers: [{ url: 'http://d:8000', alive: true }], digests: [{ url: 'http://d:8000', id: 'd', digest: { d: 1 }, atMs: now }] }),
    'controller http://d:8000 holds updates of d not received here yet');
});

test.run();
