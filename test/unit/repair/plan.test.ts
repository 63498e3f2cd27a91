// Repair planning (pure): replicate/trim tasks, the split of chunks between controllers, bounds.
// Rendezvous orders used below (sha256 of chunk \0 server): A = 'a'*64 ranks s1,s5,s4,s3,s2;
// B = 'b'*64 ranks s5,s2,s4,s3,s1; C = 'c'*64 ranks s1,s2,s3,s5,s4; D = 'd'*64 ranks s4,s1,s5,s3,s2.
// Controllers: A → c2 of {c1,c2}, c3 of {c1,c2,c3}; B → c2 / c2; C → c1 / c1; D → c1 / c3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { myShare, ownerOf, planRepair, type RepairPlanInput } from '../../../src/controller/repair/plan.js';
import { rankServers } from '../../../src/controller/placement.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const D = 'd'.repeat(64);
const five = ['s1', 's2', 's3', 's4', 's5'].map((id) => ({ id, healthy: true, full: false }));

function input(over: Partial<RepairPlanInput>): RepairPlanInput {
  return { chunks: [], servers: five, factor: 'all', selfId: 'c1', peerIds: [], maxTasks: 100, ...over };
}

test('rendezvous orders assumed by these tests', () => {
  const s = ['s1', 's2', 's3', 's4', 's5'];
  assert.equal(rankServers(A, s), ['s1', 's5', 's4', 's3', 's2']);
  assert.equal(rankServers(B, s), ['s5', 's2', 's4', 's3', 's1']);
  assert.equal(rankServers(C, s), ['s1', 's2', 's3', 's5', 's4']);
  assert.equal(rankServers(D, s), ['s4', 's1', 's5', 's3', 's2']);
});

test("factor 'all': copies to every healthy server lacking the chunk, sources ranked", () => {
  const plan = planRepair(input({ chunks: [{ chunkId: A, locations: ['s2', 's3'] }] }));
  assert.equal(plan.replicate, [
    { chunkId: A, target: 's1', sources: ['s3', 's2'] },
    { chunkId: A, target: 's5', sources: ['s3', 's2'] },
    { chunkId: A, target: 's4', sources: ['s3', 's2'] },
  ]);
  assert.equal(plan.trim, []);
  assert.equal(plan.stats, { mine: 1, underReplicated: 1, overReplicated: 0, noSource: 0, deferred: 0 });
});

test('failed and full servers are neither sources nor targets; unknown holders are not sources', () => {
  const servers = [
    { id: 's1', healthy: false, full: false }, { id: 's2', healthy: true, full: false }, { id: 's3', healthy: true, full: true },
    { id: 's4', healthy: true, full: false }, { id: 's5', healthy: true, full: false },
  ];
  const plan = planRepair(input({ servers, chunks: [{ chunkId: A, locations: ['s1', 'gone', 's3'] }] }));
  // wanted = 4 healthy; holders s3 (full, still a source); targets among s2,s4,s5 by rank: s5,s4,s2
  assert.equal(plan.replicate, [
    { chunkId: A, target: 's5', sources: ['s3'] },
    { chunkId: A, target: 's4', sources: ['s3'] },
    { chunkId: A, target: 's2', sources: ['s3'] },
  ]);
  assert.equal(plan.trim, []);
});

test('no healthy holder: counted as noSource, no task', () => {
  const servers = five.map((s) => ({ ...s, healthy: s.id !== 's1' }));
  const plan = planRepair(input({ servers, chunks: [{ chunkId: A, locations: ['s1'] }] }));
  assert.equal(plan.replicate, []);
  assert.equal(plan.stats, { mine: 1, underReplicated: 1, overReplicated: 0, noSource: 1, deferred: 0 });
});

test('factor N: fills up to N with the best-ranked servers lacking the chunk', () => {
  const plan = planRepair(input({ factor: 2, chunks: [{ chunkId: B, locations: ['s3'] }, { chunkId: C, locations: ['s2', 's1'] }] }));
  assert.equal(plan.replicate, [{ chunkId: B, target: 's5', sources: ['s3'] }]);
  assert.equal(plan.trim, []);
});

test('factor N on fewer servers wants min(N, healthy)', () => {
  const servers = five.map((s) => ({ ...s, healthy: s.id === 's1' || s.id === 's2' }));
  const plan = planRepair(input({ factor: 3, servers, chunks: [{ chunkId: C, locations: ['s1'] }] }));
  assert.equal(plan.replicate, [{ chunkId: C, target: 's2', sources: ['s1'] }]);
});

test('trim: over-replicated on healthy servers keeps the top-ranked N', () => {
  const plan = planRepair(input({ factor: 2, chunks: [{ chunkId: D, locations: ['s1', 's2', 's3', 's4'] }] }));
  assert.equal(plan.replicate, []);
  assert.equal(plan.trim, [{ chunkId: D, server: 's3' }, { chunkId: D, server: 's2' }]);
  assert.equal(plan.stats, { mine: 1, underReplicated: 0, overReplicated: 1, noSource: 0, deferred: 0 });
});

test('trim: never when any replica is on a failed or unknown server', () => {
  const servers = five.map((s) => ({ ...s, healthy: s.id !== 's5' }));
  const failedHolder = planRepair(input({ factor: 2, servers, chunks: [{ chunkId: D, locations: ['s1', 's2', 's3', 's5'] }] }));
  assert.equal(failedHolder.trim, []);
  const unknownHolder = planRepair(input({ factor: 2, chunks: [{ chunkId: D, locations: ['s1', 's2', 's3', 'old'] }] }));
  assert.equal(unknownHolder.trim, []);
});

test('trim: never while a holder has not yet sent its full inventory (its locations may be stale)', () => {
  const servers = five.map((s) => ({ ...s, inventoryKnown: s.id !== 's4' }));
  const plan = planRepair(input({ factor: 2, servers, chunks: [{ chunkId: D, locations: ['s1', 's2', 's3', 's4'] }] }));
  assert.equal(plan.trim, []);
  const other = planRepair(input({ factor: 2, servers, chunks: [{ chunkId: D, locations: ['s1', 's2', 's3'] }] }));
  assert.equal(other.trim, [{ chunkId: D, server: 's2' }]);
});

test("trim: never with factor 'all', never with exactly N", () => {
  assert.equal(planRepair(input({ chunks: [{ chunkId: D, locations: ['s1', 's2', 's3', 's4', 's5'] }] })).trim, []);
  const exact = planRepair(input({ factor: 2, chunks: [{ chunkId: D, locations: ['s2', 's3'] }] }));
  assert.equal(exact.trim, []);
  assert.equal(exact.replicate, []);
});

test('bounded: at most maxTasks copies and trims, the most endangered first; the rest deferred', () => {
  const plan = planRepair(input({
    maxTasks: 2,
    chunks: [{ chunkId: A, locations: ['s1', 's2', 's3', 's4'] }, { chunkId: C, locations: ['s5'] }],
  }));
  assert.equal(plan.replicate, [
    { chunkId: C, target: 's1', sources: ['s5'] },
    { chunkId: C, target: 's2', sources: ['s5'] },
  ]);
  assert.is(plan.stats.deferred, 3);
});

test('split between controllers: each chunk handled by exactly one live controller', () => {
  assert.is(ownerOf(A, ['c1', 'c2']), 'c2');
  assert.is(ownerOf(C, ['c1', 'c2']), 'c1');
  const chunks = [A, B, C, D].map((chunkId) => ({ chunkId, locations: ['s1'] }));
  assert.equal(myShare(chunks, 'c1', ['c2']).map((c) => c.chunkId), [C, D]);
  assert.equal(myShare(chunks, 'c2', ['c1']).map((c) => c.chunkId), [A, B]);
  assert.equal(myShare(chunks, 'c3', ['c1', 'c2']).map((c) => c.chunkId), [A, D]);
  assert.equal(myShare(chunks, 'c1', []).length, 4);
  const one = planRepair(input({ selfId: 'c1', peerIds: ['c2'], chunks }));
  assert.equal([...new Set(one.replicate.map((t) => t.chunkId))].sort(), [C, D]);
  assert.is(one.stats.mine, 2);
});

test('split covers every chunk exactly once for many chunks and controller sets', () => {
  const ids = Array.from({ length: 300 }, (_, i) => i.toString(16).padStart(64, '0'));
  for (const ctl of [['x'], ['x', 'y'], ['n1', 'n2', 'n3', 'n4']]) {
    const counts = new Map<string, number>();
    for (const self of ctl) {
      for (const c of myShare(ids.map((chunkId) => ({ chunkId })), self, ctl.filter((p) => p !== self))) {
        counts.set(c.chunkId, (counts.get(c.chunkId) ?? 0) + 1);
      }
    }
    assert.is(counts.size, 300);
    assert.ok([...counts.values()].every((n) => n === 1));
  }
});

test('rendezvous stability: a controller joining moves only the chunks it takes', () => {
  const ids = Array.from({ length: 400 }, (_, i) => i.toString(16).padStart(64, '0'));
  const before = new Map(ids.map((id) => [id, ownerOf(id, ['n1', 'n2', 'n3'])]));
  let moved = 0;
  for (const id of ids) {
    const after = ownerOf(id, ['n1', 'n2', 'n3', 'n4']);
    if (after !== before.get(id)) {
      moved += 1;
      assert.is(after, 'n4');
    }
  }
  assert.ok(moved > 50 && moved < 150, `about a quarter move (${moved})`);
});

test('deterministic: same input, same plan, whatever the order of chunks and locations', () => {
  const chunks = [{ chunkId: B, locations: ['s3', 's1'] }, { chunkId: A, locations: ['s2'] }];
  const p1 = planRepair(input({ factor: 3, chunks }));
  const p2 = planRepair(input({ factor: 3, chunks: [{ chunkId: A, locations: ['s2'] }, { chunkId: B, locations: ['s1', 's3'] }] }));
  assert.equal(p1, p2);
});

test.run();
