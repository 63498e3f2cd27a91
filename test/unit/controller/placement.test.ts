// Pure placement: 'all', rendezvous top-N, exclusion of failed/full servers, and stability.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseTargets, rankServers } from '../../../src/controller/placement.js';
import { chunkId } from './helpers.js';

const servers = (ids: string[]) => ids.map((id) => ({ id, healthy: true, full: false }));

test("'all' takes every healthy non-full server, best first", () => {
  const cands = [...servers(['a', 'b', 'c']), { id: 'd', healthy: false, full: false }, { id: 'e', healthy: true, full: true }];
  const got = chooseTargets(chunkId(1), cands, 'all');
  assert.equal([...got].sort(), ['a', 'b', 'c']);
  assert.equal(got, rankServers(chunkId(1), ['a', 'b', 'c']));
});

test('N takes the N best and is deterministic', () => {
  const ids = ['s1', 's2', 's3', 's4', 's5'];
  const two = chooseTargets(chunkId(5), servers(ids), 2);
  assert.is(two.length, 2);
  assert.equal(two, rankServers(chunkId(5), ids).slice(0, 2));
  assert.equal(chooseTargets(chunkId(5), servers([...ids].reverse()), 2), two);
  assert.equal(chooseTargets(chunkId(5), servers(['s1']), 3), ['s1']);
  assert.equal(chooseTargets(chunkId(5), [], 3), []);
});

test('adding a server moves about 1/N of the chunks', () => {
  const before = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'];
  const after = [...before, 's10'];
  const total = 2000;
  let moved = 0;
  for (let i = 0; i < total; i++) {
    const a = chooseTargets(chunkId(i), servers(before), 1)[0];
    const b = chooseTargets(chunkId(i), servers(after), 1)[0];
    if (a !== b) {
      moved += 1;
      assert.is(b, 's10'); // a chunk only ever moves to the new server
    }
  }
  assert.ok(moved > total * 0.06 && moved < total * 0.14, `moved ${moved} of ${total}`);
});

test.run();
