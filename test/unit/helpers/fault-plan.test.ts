/** The fault-schedule suite's plans: deterministic per seed, within the run, no node in two faults at once. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultSchedule, parseSeeds, type Fault } from '../../cluster/fault-plan.js';

const test = suite('fault plan');
const nodes = { controllers: ['ctl1', 'ctl2', 'ctl3'], chunkservers: ['cs1', 'cs2', 'cs3', 'cs4'], fillable: 'cs4' };
const involved = (f: Fault): string[] => (f.kind === 'partition' ? [f.a, f.b] : [f.node]);

test('the same seed gives the same schedule, another seed another one', () => {
  const a = faultSchedule(nodes, { seed: 7, durationMs: 60_000 });
  assert.equal(faultSchedule(nodes, { seed: 7, durationMs: 60_000 }), a);
  assert.not.equal(faultSchedule(nodes, { seed: 8, durationMs: 60_000 }), a);
});

test('faults start and end within the run, and no node is in two faults at once', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const faults = faultSchedule(nodes, { seed, durationMs: 30_000 });
    assert.ok(faults.length > 3, `seed ${seed}: only ${faults.length} faults`);
    for (const f of faults) {
      assert.ok(f.atMs >= 0 && f.atMs + f.forMs <= 30_000, `seed ${seed}: ${JSON.stringify(f)}`);
      if (f.kind === 'partition') assert.is.not(f.a, f.b);
      if (f.kind === 'full-disk') assert.is(f.node, 'cs4');
      for (const g of faults) {
        if (g === f || !involved(g).some((n) => involved(f).includes(n))) continue;
        assert.ok(g.atMs >= f.atMs + f.forMs || f.atMs >= g.atMs + g.forMs, `seed ${seed}: ${JSON.stringify(f)} overlaps ${JSON.stringify(g)}`);
      }
    }
  }
});

test('every kind of fault occurs across seeds', () => {
  const kinds = new Set<string>();
  for (let seed = 1; seed <= 20; seed++) for (const f of faultSchedule(nodes, { seed, durationMs: 20_000 })) kinds.add(f.kind === 'kill' ? `kill ${f.node.slice(0, 2)}` : f.kind);
  assert.equal([...kinds].sort(), ['full-disk', 'kill cs', 'kill ct', 'partition']);
});

test('seeds are numbers and ranges', () => {
  assert.equal(parseSeeds('1..3,7'), [1, 2, 3, 7]);
  assert.throws(() => parseSeeds('x'), /FAULT_SEEDS/);
});

test.run();
