// The SQLite store keeps its digest (in memory) and anti-entropy bucket hashes (in bucket_terms)
// per write: a scan of the log or of every record per gossip round is seconds at 10^6 records.
// They must equal what a scan of the database gives, also after a rolled-back transaction, a
// reopen, and on a database written before bucket_terms existed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bucketHashes } from '../../../src/controller/gossip/bucket-hashes.js';
import { openStore } from '../../../src/controller/store.js';
import { ROOT_INO } from '../../../src/meta/keys.js';
import { changeInode, moveLink, newInode, newLink } from '../../../src/meta/ops.js';
import type { LinkRecord } from '../../../src/meta/types.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';

function writeFile(store: MetadataStore, i: number): void {
  const time: [number, number] = [1_700_000_000 + i, 0];
  const a = store.nextStamp();
  store.applyLocal(newInode({ ...a, owner: 'u', ino: `a.${i}`, kind: 'file', attr: { mode: 0o644, uid: 0, gid: 0 }, time }), a.seq);
  const b = store.nextStamp();
  store.applyLocal(newLink({ ...b, owner: 'u', id: `a.l${i}`, ino: `a.${i}`, dir: false, parent: ROOT_INO, name: `f${i}` }), b.seq);
}

const scanned = (store: MetadataStore): string[] => bucketHashes(store.fingerprints());

test('digest and bucket hashes follow writes, survive a rollback and a reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-logstate-'));
  try {
    const path = join(dir, 'redcloud.db');
    const store = openStore({ path, nodeId: 'a', now: () => 1_700_000_000_000 });
    const empty = store.bucketHashes();
    for (let i = 0; i < 20; i++) writeFile(store, i);
    assert.equal(store.bucketHashes(), scanned(store), 'kept per write');
    assert.is.not(store.bucketHashes().join(), empty.join());
    const digest = store.digest();
    assert.is(digest.a, 40);
    assert.throws(() => store.transaction(() => {
      writeFile(store, 99);
      throw new Error('boom');
    }), /boom/);
    assert.equal(store.digest(), digest, 'a rolled-back write leaves the digest as it was');
    assert.equal(store.bucketHashes(), scanned(store), 'and the bucket hashes');
    assert.is(store.updatesSince({}, 1000).length, 40);
    writeFile(store, 20);
    const after = { digest: store.digest(), hashes: store.bucketHashes() };
    assert.equal(after.hashes, scanned(store));
    store.close();
    const reopened = openStore({ path, nodeId: 'a', now: () => 1_700_000_000_000 });
    assert.equal(reopened.digest(), after.digest, 'digest after reopen');
    assert.equal(reopened.bucketHashes(), after.hashes, 'bucket hashes after reopen');
    reopened.close();
    // a database of the version before bucket_terms: built once at open from its records
    const old = new Database(path);
    old.exec("DROP TABLE bucket_terms; DELETE FROM node_meta WHERE k = 'bucket_terms'");
    old.close();
    const upgraded = openStore({ path, nodeId: 'a', now: () => 1_700_000_000_000 });
    assert.equal(upgraded.bucketHashes(), after.hashes, 'bucket hashes built for a database without them');
    upgraded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a savepoint rolled back inside a transaction keeps the bucket terms of the writes around it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-logstate-'));
  try {
    const path = join(dir, 'redcloud.db');
    const store = openStore({ path, nodeId: 'a', now: () => 1_700_000_000_000 });
    for (let i = 0; i < 5; i++) writeFile(store, i);
    store.transaction(() => {
      writeFile(store, 10); // written before the savepoint: kept
      assert.throws(() => store.transaction(() => {
        writeFile(store, 11);
        throw new Error('inner boom');
      }), /inner boom/);
      writeFile(store, 12); // after it: kept
    });
    assert.equal(store.bucketHashes(), scanned(store), 'in memory');
    store.close();
    const reopened = openStore({ path, nodeId: 'a', now: () => 1_700_000_000_000 });
    assert.equal(reopened.bucketHashes(), scanned(reopened), 'as stored');
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('new versions of stored records keep the bucket hashes equal to a scan', () => {
  const store = openStore({ path: ':memory:', nodeId: 'a', now: () => 1_700_000_000_000 });
  for (let i = 0; i < 10; i++) writeFile(store, i);
  for (let i = 0; i < 10; i += 2) {
    const s = store.nextStamp();
    store.applyLocal(changeInode(store.getInode('u', `a.${i}`)!, { mtime: [1_800_000_000, i] }, s, [1_800_000_000, i]), s.seq);
  }
  assert.equal(store.bucketHashes(), scanned(store));
  store.close();
});

test("a collected record's log rows go for every origin that wrote it, and raise each one's digest floor", () => {
  const now = (): number => 1_700_000_000_000;
  const a = openStore({ path: ':memory:', nodeId: 'a', now });
  const b = openStore({ path: ':memory:', nodeId: 'b', now });
  writeFile(a, 1);
  writeFile(a, 2);
  for (const u of a.updatesSince({}, 100)) b.applyRemote(u);
  // b unlinks f1: its update reaches a, whose log then holds rows of two origins for that key
  const link = b.getLink('u', 'a.l1') as LinkRecord;
  const s = b.nextStamp();
  b.applyLocal(moveLink(link, null, 'f1', s), s.seq);
  for (const u of b.updatesSince({ a: 1000 }, 100)) a.applyRemote(u);
  const key = link.key;
  const [candidate] = a.tombstones(Number.MAX_SAFE_INTEGER, 10).filter((c) => c.key === key);
  assert.equal(candidate?.writes, { a: 2, b: s.seq }, 'the writes of each origin, found without an index by key');
  const before = a.digest();
  assert.is(a.collectTombstones([key]), 1);
  assert.ok(a.updatesSince({}, 100).every((u) => u.record.key !== key), 'no log row of the collected key is left');
  assert.equal(a.digest(), before, 'the digest does not move back');
  assert.is(a.updatesSince({}, 100).length, 3, "the other file's two rows and the one of a.l1's inode stay");
  a.close();
  b.close();
});

test.run();
