// The registration gate (src/controller/register-gate.ts): a majority of the known controllers,
// itself included, must have exchanged a recent digest holding nothing this one lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registrationGate } from '../../../src/controller/register-gate.js';

const NOW = 1_000_000;
const fresh = (id: string, behindUpdates = 0, ageMs = 100) => ({ id, atMs: NOW - ageMs, behindUpdates });
const gate = (knownPeers: string[], exchanges: ReturnType<typeof fresh>[]) => registrationGate({ knownPeers, exchanges, nowMs: NOW, freshMs: 5000 });

test('a lone controller is its own majority', () => {
  assert.equal(gate([], []), { ok: true });
});

test('3 controllers: one fresh, caught-up peer is enough; none is not', () => {
  assert.equal(gate(['c2', 'c3'], [fresh('c2')]), { ok: true });
  const r = gate(['c2', 'c3'], []);
  assert.is(r.ok, false);
  assert.match((r as { reason: string }).reason, /in sync with 1 of the 3 controllers .* majority \(2\)/);
});

test('stale, behind or unknown exchanges do not count', () => {
  assert.is(gate(['c2', 'c3'], [fresh('c2', 0, 5001)]).ok, false, 'older than freshMs');
  assert.is(gate(['c2', 'c3'], [fresh('c2', 3)]).ok, false, 'the peer had updates this one lacked');
  assert.is(gate(['c2', 'c3'], [fresh('c9')]).ok, false, 'not a known peer');
});

test('a new controller seeded with 3 peers needs 2 of them (3 of 4); never-reached peers count as known', () => {
  const known = ['c1', 'http://127.0.0.12:8000', 'c3'];
  assert.is(gate(known, [fresh('c1')]).ok, false);
  assert.is(gate(known, [fresh('c1'), fresh('c3')]).ok, true);
  assert.is(gate(['c2', 'c3', 'c4', 'c5'], [fresh('c2'), fresh('c2')]).ok, false, 'one peer counts once');
});

test.run();
