// The SQLite metadata store: the shared contract, plus what only a database has — persistence
// across close/reopen (records, view, clock, floors, locations) and the conversion of a database
// written by the path-keyed version.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/controller/store.js';
import { storeSuite, fsOf } from './store-suite.js';
import { ROOT_INO } from '../../../src/meta/keys.js';

storeSuite('sqlite', (o) => openStore({ path: ':memory:', ...o }));

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-store-test-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records, view, clock, floors and locations survive a reopen; the node id is checked', () => withDir((dir) => {
  const path = join(dir, 'redcloud.db');
  const s = openStore({ path, nodeId: 'a', now: () => 5000 });
  const fs = fsOf(s);
  const d = fs.mkdir(ROOT_INO, 'd');
  const f = fs.create(d.ino, 'f');
  const g = fs.create(ROOT_INO, 'g');
  fs.move(g.link, null);
  assert.is(s.collectTombstones([`l\0u\0${g.link}`]), 1);
  s.addLocations('cs1', ['c1']);
  const digest = s.digest();
  s.close();
  const again = openStore({ path, nodeId: 'a', now: () => 10 });
  assert.is(again.migration, undefined);
  assert.equal(again.children('u', ROOT_INO).map((e) => e.name), ['d']);
  assert.is(again.pathOf('u', again.lookup('u', d.ino, 'f')!), '/d/f');
  assert.equal(again.linksOf('u', f.ino).map((e) => e.linkId), [f.link]);
  assert.equal(again.digest(), digest);
  assert.equal(again.locationsOf('c1'), ['cs1']);
  const next = again.nextStamp();
  assert.is(next.seq, 8);
  assert.equal(next.hlc, { wallMs: 5000, logical: 7, node: 'a' });
  // the in-memory directory state is rebuilt from the tables: a rename after the reopen works
  fsOf(again).move(d.link, ROOT_INO, 'e');
  assert.is(again.pathOf('u', again.lookup('u', d.ino, 'f')!), '/e/f');
  again.close();
  assert.throws(() => openStore({ path, nodeId: 'b', now: () => 10 }), /belongs to node a/);
}));

test.run();
