// The SQLite store: local writes with log rows, remote merges, digests for gossip, persistence.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/controller/store.js';
import { applyUpdates } from '../../../src/controller/apply-updates.js';
import { silentLogger } from '../../../src/common/logger.js';
import { putEntry, deleteEntry } from '../../../src/meta/ops.js';
import type { EntryValue } from '../../../src/meta/types.js';

const file = (size: number): EntryValue => ({ kind: 'file', size, mode: 0o644, mtimeMs: 1, ctimeMs: 1, chunks: [] });

test('local writes, remote updates, digest and updatesSince', () => {
  let ms = 1000;
  const a = openStore({ path: ':memory:', nodeId: 'a', now: () => ms });
  const b = openStore({ path: ':memory:', nodeId: 'b', now: () => ms });
  const s1 = a.nextStamp();
  const r1 = putEntry(undefined, { owner: 'u', path: '/x', value: file(1), addTags: ['t'], ...s1 });
  a.applyLocal(r1, s1.seq);
  const s2 = a.nextStamp();
  a.applyLocal(putEntry(undefined, { owner: 'u', path: '/y', value: file(2), ...s2 }), s2.seq);
  assert.equal(a.digest(), { a: 2 });
  const ups = a.updatesSince({}, 10);
  assert.equal(ups.map((u) => [u.origin, u.seq]), [['a', 1], ['a', 2]]);
  assert.equal(a.updatesSince({ a: 1 }, 10).map((u) => u.seq), [2]);
  assert.equal(a.updatesSince({}, 1).length, 1);
  for (const u of ups) assert.is(b.applyRemote(u).changed, true);
  assert.is(b.applyRemote(ups[0]!).changed, false);
  assert.equal(b.digest(), { a: 2 });
  assert.equal(b.findByTags('u', ['t'], '/').map((r) => r.path), ['/x']);
  // b deletes /x; the old update arriving again does not bring it back
  ms = 2000;
  const s3 = b.nextStamp();
  assert.ok(s3.hlc.wallMs >= 2000);
  b.applyLocal(deleteEntry(b.getEntry('u', '/x')!, s3), s3.seq);
  b.applyRemote(ups[0]!);
  assert.is(b.getEntry('u', '/x')!.value, null);
  a.applyRemote(b.updatesSince({ a: 2 }, 10)[0]!);
  assert.is(a.getEntry('u', '/x')!.value, null);
  assert.equal(a.listChildren('u', '/').map((r) => r.path), ['/y']);
  assert.equal(a.tagCounts('u'), []);
  a.close();
  b.close();
});

test('concurrent remote update reports a conflict', () => {
  const a = openStore({ path: ':memory:', nodeId: 'a', now: () => 100 });
  const b = openStore({ path: ':memory:', nodeId: 'b', now: () => 200 });
  const sa = a.nextStamp();
  a.applyLocal(putEntry(undefined, { owner: 'u', path: '/x', value: file(1), ...sa }), sa.seq);
  const sb = b.nextStamp();
  b.applyLocal(putEntry(undefined, { owner: 'u', path: '/x', value: file(2), ...sb }), sb.seq);
  const res = applyUpdates(a, silentLogger(), b.updatesSince({}, 10));
  assert.equal(res, { applied: 1, changed: 1, conflicts: 1 });
  assert.equal((a.getEntry('u', '/x')!.value as EntryValue).size, 2);
  assert.equal(a.getEntry('u', '/x')!.vv, { a: 1, b: 1 });
  a.close();
  b.close();
});

test('state, sequence and HLC survive a reopen; the node id is checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-store-test-'));
  try {
    const path = join(dir, 'redcloud.db');
    const s = openStore({ path, nodeId: 'a', now: () => 5000 });
    const st = s.nextStamp();
    s.applyLocal(putEntry(undefined, { owner: 'u', path: '/x', value: file(1), ...st }), st.seq);
    s.addLocations('cs1', ['c1']);
    s.close();
    const again = openStore({ path, nodeId: 'a', now: () => 10 });
    assert.is(again.getEntry('u', '/x')!.path, '/x');
    assert.equal(again.locationsOf('c1'), ['cs1']);
    const next = again.nextStamp();
    assert.is(next.seq, 2);
    assert.equal(next.hlc, { wallMs: 5000, logical: 1, node: 'a' });
    again.close();
    assert.throws(() => openStore({ path, nodeId: 'b', now: () => 10 }), /belongs to node a/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chunk references: live records, other origins\' log rows, owners; collected tombstones release them', () => {
  const ms = 1000;
  const a = openStore({ path: ':memory:', nodeId: 'a', now: () => ms });
  const chunk = 'c'.repeat(64);
  const withChunk: EntryValue = { ...file(5), chunks: [{ id: chunk, size: 5 }] };
  const remote = putEntry(undefined, { owner: 'u', path: '/f', value: withChunk, hlc: { wallMs: 500, logical: 0, node: 'x' }, node: 'x', seq: 1 });
  a.applyRemote({ origin: 'x', seq: 1, record: remote });
  assert.ok(a.isChunkReferenced(chunk));
  assert.ok(a.isChunkOwnedBy(chunk, 'u'));
  assert.not.ok(a.isChunkOwnedBy(chunk, 'someone-else'));
  const s1 = a.nextStamp();
  a.applyLocal(deleteEntry(a.getEntry('u', '/f')!, s1), s1.seq);
  assert.not.ok(a.isChunkOwnedBy(chunk, 'u'), 'a tombstone owns nothing');
  assert.ok(a.isChunkReferenced(chunk), "x's version in the update log still references it");
  assert.equal(a.unreferencedChunkLocations(), []);
  assert.is(a.collectTombstones([a.getEntry('u', '/f')!.key]), 1);
  assert.not.ok(a.isChunkReferenced(chunk));
});

test.run();
