// The SQLite store's bulk write (applyLocalBatch, used by snapshots): the same records written
// one by one with applyLocal and in one batch leave the same store — listings with their conflict
// names, directory placements (a move cycle skipped), usage counters, bucket hashes, digest and
// update log — and a batch that throws leaves nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../../src/controller/store.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';
import { ROOT_INO } from '../../../src/meta/keys.js';
import { moveLink, newInode, newLink, type WriteStamp } from '../../../src/meta/ops.js';
import type { MetaRecord } from '../../../src/meta/types.js';

const ATTR = { mode: 0o644, uid: 0, gid: 0 };
const OWNER = 'alice';
type Build = (s: WriteStamp) => MetaRecord;

/** A tree: 3 directories (one moved under another, one move making a cycle), 40 files, two with one name in one directory. */
function builds(): Build[] {
  const out: Build[] = [(s) => newInode({ ...s, owner: OWNER, ino: ROOT_INO, kind: 'dir', attr: ATTR, time: [1, 0] })];
  const dirLinks: Record<string, ReturnType<typeof newLink>> = {};
  for (const d of ['a', 'b', 'c']) {
    out.push((s) => newInode({ ...s, owner: OWNER, ino: `d${d}`, kind: 'dir', attr: ATTR, time: [1, 0] }));
    out.push((s) => (dirLinks[d] = newLink({ ...s, owner: OWNER, id: `l${d}`, ino: `d${d}`, dir: true, parent: ROOT_INO, name: d })));
  }
  out.push((s) => (dirLinks.b = moveLink(dirLinks.b!, 'da', 'b', s)));
  out.push((s) => moveLink(dirLinks.a!, 'db', 'a', s)); // a under b under a: skipped by the tree replay
  for (let i = 0; i < 40; i++) {
    const dir = ['da', 'db', 'dc'][i % 3]!;
    out.push((s) => newInode({ ...s, owner: OWNER, ino: `f${i}`, kind: 'file', attr: ATTR, time: [1, 0], content: { size: i + 1, chunks: [{ id: (i % 9).toString(16).repeat(64), size: i + 1 }] } }));
    out.push((s) => newLink({ ...s, owner: OWNER, id: `m${i}`, ino: `f${i}`, dir: false, parent: dir, name: i === 0 || i === 3 ? 'same' : `f${i}` }));
  }
  return out;
}

function state(st: MetadataStore) {
  const list = (ino: string) => st.children(OWNER, ino).map((e) => `${e.name}=${e.ino}`);
  return {
    root: list(ROOT_INO), a: list('da'), b: list('db'), c: list('dc'), usage: st.usage(OWNER), buckets: st.bucketHashes(), digest: st.digest(),
    log: st.updatesSince({}, 1000).map((u) => `${u.origin}:${u.seq}:${u.record.key}`),
  };
}

const open = () => openStore({ path: ':memory:', nodeId: 'n1', now: () => 1_000_000 });

test('a batch leaves the store as the same writes one by one', () => {
  const one = open();
  for (const b of builds()) {
    const s = one.nextStamp();
    one.applyLocal(b(s), s.seq);
  }
  const bulk = open();
  bulk.applyLocalBatch(builds().map((b) => {
    const s = bulk.nextStamp();
    return { record: b(s), seq: s.seq };
  }));
  const want = state(one);
  assert.equal(state(bulk), want);
  assert.is(want.a.length + want.b.length + want.c.length, 41, 'every file and the moved directory listed');
  assert.ok(want.a.some((n) => n.startsWith('same~')), `a conflict name: ${want.a.join(' ')}`);
  assert.equal(want.usage, { files: 44, bytes: (40 * 41) / 2 });
  one.close();
  bulk.close();
});

test('a batch that throws leaves nothing', () => {
  const st = open();
  const before = state(st);
  const writes = builds().slice(0, 5).map((b) => {
    const s = st.nextStamp();
    return { record: b(s), seq: s.seq };
  });
  writes.push({ record: { ...writes[1]!.record, key: 'bogus' } as MetaRecord, seq: writes[4]!.seq + 1 });
  assert.throws(() => st.applyLocalBatch(writes));
  assert.equal(state(st), before);
  st.close();
});

test.run();
