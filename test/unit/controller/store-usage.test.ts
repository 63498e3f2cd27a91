// The SQLite store's per-owner usage counters (usage-counters.ts): kept per write, equal to a full
// scan of its tables, persisted across a reopen, and built at open for a database written before
// the table existed (or whose counters were lost), like bucket_terms. The random histories are in
// store-property.test.ts (counters against the memory store's scan after every step).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/controller/store.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';
import { scanUsage } from '../../../src/controller/usage-counters.js';
import { ROOT_INO } from '../../../src/meta/keys.js';
import { changeInode, moveLink, newInode, newLink } from '../../../src/meta/ops.js';
import type { InodeRecord, LinkRecord, MetaRecord } from '../../../src/meta/types.js';

const ATTR = { mode: 0o644, uid: 0, gid: 0 };
const chunk = (n: number) => ({ id: (n % 7).toString(16).repeat(64), size: n });

function put<R extends MetaRecord>(st: MetadataStore, build: (s: ReturnType<MetadataStore['nextStamp']>) => R): R {
  const s = st.nextStamp();
  const r = build(s);
  st.applyLocal(r, s.seq);
  return r;
}

/** A root, a directory and `n` files of i+1 bytes under it, one removed, one grown, one hard-linked. */
function fill(st: MetadataStore, owner: string, n: number): { files: number; bytes: number } {
  put(st, (s) => newInode({ ...s, owner, ino: ROOT_INO, kind: 'dir', attr: ATTR, time: [1, 0] }));
  const dir = put(st, (s) => newInode({ ...s, owner, ino: `d${s.seq}`, kind: 'dir', attr: ATTR, time: [1, 0] }));
  put(st, (s) => newLink({ ...s, owner, id: `l${s.seq}`, ino: dir.ino, dir: true, parent: ROOT_INO, name: 'd' }));
  const made: { inode: InodeRecord; link: LinkRecord }[] = [];
  for (let i = 0; i < n; i++) {
    const inode = put(st, (s) => newInode({ ...s, owner, ino: `f${s.seq}`, kind: 'file', attr: ATTR, time: [1, 0], content: { size: i + 1, chunks: [chunk(i + 1)] } }));
    const link = put(st, (s) => newLink({ ...s, owner, id: `l${s.seq}`, ino: inode.ino, dir: false, parent: dir.ino, name: `f${i}` }));
    made.push({ inode, link });
  }
  const gone = made[0]!;
  put(st, (s) => moveLink(gone.link, null, 'f0', s));
  const grown = made[1]!;
  put(st, (s) => changeInode(grown.inode, { content: { size: 1000, chunks: [chunk(1000)] } }, s, [2, 0]));
  put(st, (s) => newLink({ ...s, owner, id: `l${s.seq}`, ino: made[2]!.inode.ino, dir: false, parent: ROOT_INO, name: 'second-name' }));
  // 1 + 2 + … + n, less the removed file's 1 byte, the grown one's 2 bytes, plus its 1000
  return { files: 2 + n - 1, bytes: (n * (n + 1)) / 2 - 1 - 2 + 1000 };
}

function withDb(fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-usage-test-'));
  try {
    fn(join(dir, 'redcloud.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const now = (): number => 1_700_000_000_000;

test('counters follow writes, equal a full scan, and survive a reopen', () => {
  withDb((path) => {
    let st = openStore({ path, nodeId: 'a', now });
    const want = { u: fill(st, 'u', 20), v: fill(st, 'v', 5) };
    assert.equal(st.usage('u'), want.u);
    assert.equal(st.usage('v'), want.v);
    assert.equal(st.usage('nobody'), { files: 0, bytes: 0 });
    assert.is(st.usage('u').files, st.inodeCount('u'));
    st.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(Object.fromEntries(scanUsage(raw)), want, 'the kept counters equal a scan of the tables');
    raw.close();
    st = openStore({ path, nodeId: 'a', now });
    assert.equal(st.usage('u'), want.u, 'persisted');
    st.close();
  });
});

test('a database from before the counters gets them at open', () => {
  withDb((path) => {
    let st = openStore({ path, nodeId: 'a', now });
    const want = fill(st, 'u', 30);
    st.close();
    const raw = new Database(path);
    raw.exec("DROP TABLE owner_usage; DELETE FROM node_meta WHERE k = 'owner_usage'");
    raw.close();
    st = openStore({ path, nodeId: 'a', now });
    assert.equal(st.usage('u'), want, 'built from the records at open');
    const s = st.nextStamp();
    const f = st.getInode('u', [...st.children('u', ROOT_INO)].find((e) => e.name === 'second-name')!.ino)!;
    st.applyLocal(changeInode(f, { content: { size: 0, chunks: [] } }, s, [3, 0]), s.seq);
    assert.equal(st.usage('u'), { files: want.files, bytes: want.bytes - f.content.v.size }, 'and kept from then on');
    st.close();
  });
});

test('a rolled-back transaction leaves the counters as they were', () => {
  const st = openStore({ path: ':memory:', nodeId: 'a', now });
  const want = fill(st, 'u', 3);
  assert.throws(() => st.transaction(() => {
    put(st, (s) => newInode({ ...s, owner: 'u', ino: 'extra', kind: 'file', attr: ATTR, time: [1, 0], content: { size: 5, chunks: [chunk(5)] } }));
    put(st, (s) => newLink({ ...s, owner: 'u', id: 'lx', ino: 'extra', dir: false, parent: ROOT_INO, name: 'x' }));
    assert.equal(st.usage('u'), { files: want.files + 1, bytes: want.bytes + 5 }, 'seen inside the transaction');
    throw new Error('abort');
  }), /abort/);
  assert.equal(st.usage('u'), want);
  put(st, (s) => newInode({ ...s, owner: 'u', ino: 'extra2', kind: 'file', attr: ATTR, time: [1, 0], content: { size: 7, chunks: [chunk(7)] } }));
  put(st, (s) => newLink({ ...s, owner: 'u', id: 'ly', ino: 'extra2', dir: false, parent: ROOT_INO, name: 'y' }));
  assert.equal(st.usage('u'), { files: want.files + 1, bytes: want.bytes + 7 });
  st.close();
});

test('counted once per transaction: a read inside it sees its writes; a savepoint rolled back keeps the outer writes counted', () => {
  withDb((path) => {
    const st = openStore({ path, nodeId: 'a', now });
    const want = fill(st, 'u', 3);
    st.transaction(() => {
      put(st, (s) => newInode({ ...s, owner: 'u', ino: 'kept', kind: 'file', attr: ATTR, time: [1, 0], content: { size: 5, chunks: [chunk(5)] } }));
      put(st, (s) => newLink({ ...s, owner: 'u', id: 'lk', ino: 'kept', dir: false, parent: ROOT_INO, name: 'kept' }));
      assert.throws(() => st.transaction(() => {
        const kept = st.getInode('u', 'kept')!;
        put(st, (s) => changeInode(kept, { content: { size: 50, chunks: [chunk(50)] } }, s, [2, 0]));
        put(st, (s) => newInode({ ...s, owner: 'u', ino: 'lost', kind: 'file', attr: ATTR, time: [1, 0], content: { size: 9, chunks: [chunk(9)] } }));
        put(st, (s) => newLink({ ...s, owner: 'u', id: 'll', ino: 'lost', dir: false, parent: ROOT_INO, name: 'lost' }));
        throw new Error('inner');
      }), /inner/);
      // the outer writes were not settled yet: the savepoint's rollback must not forget them
      assert.equal(st.usage('u'), { files: want.files + 1, bytes: want.bytes + 5 }, 'a quota check inside the transaction sees its writes');
      // the outer transaction goes on after its savepoint's rollback
      put(st, (s) => newInode({ ...s, owner: 'u', ino: 'late', kind: 'file', attr: ATTR, time: [1, 0], content: { size: 7, chunks: [chunk(7)] } }));
      put(st, (s) => newLink({ ...s, owner: 'u', id: 'lt', ino: 'late', dir: false, parent: ROOT_INO, name: 'late' }));
    });
    const after = { files: want.files + 2, bytes: want.bytes + 5 + 7 };
    assert.equal(st.usage('u'), after);
    st.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(Object.fromEntries(scanUsage(raw)), { u: after }, 'the kept counters equal a scan of the tables');
    raw.close();
  });
});

test('usage is O(1): one row read, not a scan of the tree', () => {
  const st = openStore({ path: ':memory:', nodeId: 'a', now });
  fill(st, 'u', 5000);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) st.usage('u');
  const usageMs = Number(process.hrtime.bigint() - t0) / 1e6 / 100;
  const t1 = process.hrtime.bigint();
  st.inodeCount('u');
  const scanMs = Number(process.hrtime.bigint() - t1) / 1e6;
  if (process.env.USAGE_STATS) console.log({ usageMs, scanMs });
  assert.ok(usageMs < 1, `usage took ${usageMs} ms`);
  assert.ok(usageMs * 20 < scanMs, `usage ${usageMs} ms vs scan ${scanMs} ms`);
  st.close();
});

test.run();
