// Garbage collection: the grace-period tracker, and the store's notion of unreferenced chunks
// (chunks of files that still have a name, shared chunks, hard links, chunks nobody holds).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GcTracker } from '../../../src/controller/repair/gc.js';
import { openStore } from '../../../src/controller/store.js';
import { fsOps } from '../helpers/fs-ops.js';

const id = (n: number): string => n.toString(16).padStart(64, '0');

test('tracker: due only after the grace period, forgets what is referenced again', () => {
  const t = new GcTracker(1000);
  const a = { chunkId: id(1), locations: ['s1'] };
  const b = { chunkId: id(2), locations: ['s1', 's2'] };
  assert.equal(t.observe([a], 0), []);
  assert.equal(t.observe([a, b], 999), []);
  assert.equal(t.observe([a, b], 1000), [a]);
  assert.equal(t.observe([b], 1500), []); // a referenced again: forgotten
  assert.equal(t.observe([a, b], 2000), [b]); // a starts over
  assert.equal(t.observe([a, b], 2999), [b]);
  assert.equal(t.observe([a, b], 3000), [a, b]);
  t.forget(b.chunkId);
  assert.is(t.size(), 1);
});

test('tracker: a held chunk (placement issued) is not collected before the hold ends plus the grace', () => {
  const t = new GcTracker(1000);
  const a = { chunkId: id(1), locations: ['s1'] };
  t.hold([a.chunkId], 5000);
  assert.equal(t.observe([a], 0), []);
  assert.equal(t.observe([a], 4999), []);
  assert.equal(t.observe([a], 5999), []);
  assert.equal(t.observe([a], 6000), [a]);
  // a hold on a chunk not stored yet applies when it shows up; expired holds are dropped
  t.hold([id(2)], 7000);
  t.hold([id(3)], 6500);
  assert.equal(t.observe([], 6600), []);
  assert.is(t.held(), 1);
  const b = { chunkId: id(2), locations: ['s2'] };
  assert.equal(t.observe([b], 6900), []);
  assert.equal(t.observe([b], 7999), []);
  assert.equal(t.observe([b], 8000), [b]);
  // holds only extend
  t.hold([id(4)], 9000);
  t.hold([id(4)], 8000);
  assert.equal(t.observe([{ chunkId: id(4), locations: [] }], 9999), []);
});

test('store: unreferenced = held somewhere, in no file that still has a name', () => {
  let ms = 1000;
  const s = openStore({ path: ':memory:', nodeId: 'a', now: () => ms });
  const fs = fsOps(s, () => ms, 'u');
  fs.writeChunks('/f1', [id(1), id(2)]);
  fs.writeChunks('/f2', [id(2), id(3)]); // chunk 2 shared
  s.addLocations('s1', [id(1), id(2), id(3), id(4)]);
  s.addLocations('s2', [id(4), id(1)]);
  assert.equal(s.unreferencedChunkLocations(), [{ chunkId: id(4), locations: ['s1', 's2'] }]);
  assert.equal(s.referencedChunkLocations(), [
    { chunkId: id(1), locations: ['s1', 's2'] }, { chunkId: id(2), locations: ['s1'] }, { chunkId: id(3), locations: ['s1'] },
  ]);
  // deleting f1: chunk 1 is garbage at once (GC_GRACE and the peer gate still apply), 2 stays (f2)
  ms = 2000;
  fs.remove('/f1');
  assert.equal(s.unreferencedChunkLocations().map((c) => c.chunkId), [id(1), id(4)]);
  assert.is(s.isChunkReferenced(id(2)), true);
  assert.is(s.isChunkReferenced(id(1)), false);
  // a referenced chunk nobody holds yet is listed for repair with no locations, not as garbage
  fs.writeChunks('/f3', [id(9)]);
  assert.equal(s.referencedChunkLocations().find((c) => c.chunkId === id(9)), { chunkId: id(9), locations: [] });
  s.close();
});

test('store: a file with a second name (hard link) keeps its chunks when one name is removed', () => {
  const ms = 1000;
  const s = openStore({ path: ':memory:', nodeId: 'a', now: () => ms });
  const fs = fsOps(s, () => ms, 'u');
  fs.writeChunks('/x', [id(5)]);
  fs.ns.link('u', '/x', '/y');
  s.addLocations('s1', [id(5)]);
  fs.remove('/x');
  assert.equal(s.unreferencedChunkLocations(), []);
  assert.is(s.isChunkReferenced(id(5)), true);
  fs.remove('/y');
  assert.equal(s.unreferencedChunkLocations().map((c) => c.chunkId), [id(5)]);
  s.close();
});

test.run();
