/**
 * mergeRecords (src/meta/merge.ts): unit cases of each record type's rule — file links last
 * writer wins, directory links keep every move, inode attribute groups are separate registers (a
 * concurrent chmod and write both survive), tags add-wins, xattrs per name, users by version
 * vector then HLC, death certificates absorb every version of their key even a concurrent one with
 * a later clock — and the algebra (commutative, associative, idempotent) over versions of inode,
 * link, user and dead records taken from random simulated histories (./sim.ts).
 * Replay a failure with MERGE_SEED=<seed> MERGE_PATH=<path> (printed); more runs with MERGE_RUNS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { linkKey } from '../../../src/meta/keys.js';
import { mergeRecords } from '../../../src/meta/merge.js';
import { changeInode, deathOf, moveLink, newInode, newLink, putUser } from '../../../src/meta/ops.js';
import { canonicalJson } from '../../../src/meta/register.js';
import { tagNames } from '../../../src/meta/tags.js';
import type { Hlc, InodeRecord, LinkRecord, MetaRecord, UserRecord } from '../../../src/meta/types.js';
import { Net, OP_KINDS, localOp, newModel, newReplica, rootInode, seededRandom, setRecord, type Replica } from './sim.js';

const SEED = process.env.MERGE_SEED ? Number(process.env.MERGE_SEED) : 20261126;
const RUNS = process.env.MERGE_RUNS ? Number(process.env.MERGE_RUNS) : 60;
const PATH = process.env.MERGE_PATH;

const h = (wallMs: number, node: string): Hlc => ({ wallMs, logical: 0, node });
const st = (wallMs: number, node: string, seq: number) => ({ hlc: h(wallMs, node), node, seq });
const attr = { mode: 0o644, uid: 1, gid: 1 };
const inode = (): InodeRecord => newInode({ ...st(10, 'a', 1), owner: 'u', ino: 'a.1', kind: 'file', attr, time: [10, 0] });
const link = (dir: boolean): LinkRecord => newLink({ ...st(10, 'a', 2), owner: 'u', id: 'a.2', ino: 'a.1', dir, parent: 'root', name: 'f' });
const json = (r: unknown): string => canonicalJson(r);

test('a file link keeps only its latest move; a directory link keeps every move', () => {
  for (const dir of [false, true]) {
    const base = link(dir);
    const x = moveLink(base, 'root', 'x', st(20, 'a', 3));
    const y = moveLink(base, null, 'f', st(30, 'b', 1));
    const m = mergeRecords(x, y);
    assert.is(m.conflict, true);
    assert.equal(m.record.moves.map((mv) => mv.parent), dir ? ['root', 'root', null] : [null]);
    assert.equal(m.record.moves.length, dir ? 3 : 1);
    assert.equal(m.record.moves[m.record.moves.length - 1], y.moves[y.moves.length - 1]);
    assert.equal(m.record.vv, { a: 3, b: 1 });
  }
});

test('a concurrent chmod and write both survive, whichever has the later clock', () => {
  const base = inode();
  const chmod = changeInode(base, { attr: { ...attr, mode: 0o600 } }, st(50, 'a', 5), [50, 0]);
  const write = changeInode(base, { content: { size: 3, chunks: [{ id: 'c'.repeat(64), size: 3 }] }, mtime: [20, 0] }, st(20, 'b', 1), [20, 0]);
  for (const m of [mergeRecords(chmod, write), mergeRecords(write, chmod)]) {
    assert.is(m.conflict, true);
    assert.is(m.record.attr.v.mode, 0o600);
    assert.is(m.record.content.v.size, 3);
    assert.equal(m.record.mtime.v, [20, 0]);
    assert.equal(m.record.ctime, [50, 0], 'ctime is the latest change');
  }
});

test('xattrs merge per name; tags: concurrent adds both survive, a concurrent add beats a remove', () => {
  const base = changeInode(inode(), { addTags: ['old'] }, st(11, 'a', 2), [11, 0]);
  const a = changeInode(base, { xattrs: { 'user.x': 'eA==' }, addTags: ['red'], removeTags: ['old'] }, st(20, 'a', 3), [20, 0]);
  const b = changeInode(base, { xattrs: { 'user.y': 'eQ==' }, addTags: ['blue', 'old'] }, st(21, 'b', 1), [21, 0]);
  const m = mergeRecords(a, b).record;
  assert.equal(Object.keys(m.xattrs).sort(), ['user.x', 'user.y']);
  assert.equal(tagNames(m.tags), ['blue', 'old', 'red']);
  const removedOnly = changeInode(base, { removeTags: ['old'] }, st(30, 'a', 3), [30, 0]);
  assert.equal(tagNames(mergeRecords(removedOnly, base).record.tags), [], 'a remove that saw the add wins over it');
});

test('users: the dominating version wins even with an older clock; concurrent ones by HLC', () => {
  const v1 = putUser(undefined, { ...st(10, 'a', 1), name: 'al', passwordHash: 'scrypt$1', createdAtMs: 10 });
  const v2 = putUser(v1, { ...st(5, 'a', 2), name: 'al', passwordHash: 'scrypt$2', createdAtMs: 10 });
  assert.is(v2.hlc.wallMs, 10, 'stamped after v1 even with an older wall clock');
  assert.equal(mergeRecords(v1, v2), { record: v2, conflict: false });
  const vb = putUser(v1, { ...st(20, 'b', 1), name: 'al', passwordHash: 'scrypt$3', createdAtMs: 10 });
  const m = mergeRecords(v2, vb);
  assert.is(m.conflict, true);
  assert.is(m.record.passwordHash, 'scrypt$3');
  assert.equal(m.record.vv, { a: 2, b: 1 });
});

test('a death certificate absorbs a concurrent version of its key with a later clock', () => {
  // The version below is not dominated by the certificate (its vector is concurrent) and is
  // stamped after it, so only the absorb rule, not version vectors nor last-writer-wins, keeps it dead.
  const base = link(false);
  const del = moveLink(base, null, 'f', st(20, 'a', 3));
  const dead = deathOf(del);
  const late = moveLink(base, 'root', 'g', st(99, 'b', 7));
  for (const m of [mergeRecords<MetaRecord>(dead, late), mergeRecords<MetaRecord>(late, dead)]) {
    assert.is(m.record.type, 'dead');
    assert.equal(m.record.vv, { a: 3, b: 7 });
    assert.equal((m.record as { at: Hlc }).at, late.hlc, 'the certificate covers what it absorbed');
  }
  const deadInode = deathOf(inode());
  assert.is(mergeRecords<MetaRecord>(changeInode(inode(), { attr: { ...attr, mode: 0 } }, st(99, 'b', 1), [99, 0]), deadInode).record.type, 'dead');
});

test('mergeRecords refuses different keys and different types', () => {
  const other = { ...link(false), key: linkKey('u', 'zz') };
  assert.throws(() => mergeRecords(link(false), other), /different records/);
  assert.throws(() => mergeRecords(inode() as MetaRecord, { ...link(false), key: inode().key } as MetaRecord), /different record types/);
});

// ---- the algebra over versions from simulated histories ----------------------------------------------

/** Every version a random 3-replica history produced or held, per key; with death certificates. */
function versions(seed: number): Map<string, MetaRecord[]> {
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const replicas: Replica[] = ['n0', 'n1', 'n2'].map((id, i) => newReplica(id, 1000 + 13 * i));
  const root = rootInode();
  for (const r of replicas) setRecord(r, root);
  replicas[0]!.seq = 1;
  const net = new Net(replicas);
  const model = newModel();
  const pool = new Map<string, MetaRecord[]>();
  const add = (rec: MetaRecord): void => { pool.set(rec.key, [...(pool.get(rec.key) ?? []), rec]); };
  for (let step = 0; step < 80; step++) {
    const x = random();
    if (x < 0.55) {
      const r = int(3);
      const out = localOp(replicas[r]!, model, { kind: OP_KINDS[int(OP_KINDS.length)]!, a: int(1000), b: int(1000), c: int(1000) });
      if (out) { net.broadcast(r, out); out.forEach(add); }
    } else if (x < 0.85) net.deliver(int(1000));
    else if (x < 0.9) net.cut(int(3), int(3));
    else if (x < 0.95) net.heal();
    else net.drop(int(1000));
    replicas[int(3)]!.wallMs += int(30) - 10;
  }
  for (const r of replicas) for (const rec of r.records.values()) add(rec); // merged versions too
  for (const [key, list] of pool) if (int(3) === 0) pool.set(key, [...list, deathOf(list[int(list.length)]!)]);
  // users: three controllers writing one account concurrently
  const users: UserRecord[] = [];
  const cur: (UserRecord | undefined)[] = [undefined, undefined, undefined];
  for (let i = 0; i < 12; i++) {
    const n = int(3);
    if (int(2) === 0 && users.length > 0) {
      const seen = users[int(users.length)]!;
      cur[n] = cur[n] ? mergeRecords(cur[n]!, seen).record : seen;
    }
    const prev = cur[n];
    // a controller that has not seen one creates its own account (concurrent registrations);
    // later versions change the hash, revoke sessions or delete the account
    cur[n] = putUser(prev, {
      hlc: h(100 + int(20), `n${n}`), node: `n${n}`, seq: (prev?.vv[`n${n}`] ?? 0) + 1 + int(2), name: 'al',
      passwordHash: int(6) === 0 ? null : `scrypt$${i}`, createdAtMs: 5, revokedBeforeMs: int(3) === 0 ? 100 + int(50) : undefined,
    });
    users.push(cur[n]!);
  }
  pool.set(users[0]!.key, [...users, deathOf(users[int(users.length)]!)]);
  return pool;
}

test(`merge is commutative, associative and idempotent over inode, link, user and dead versions (seed ${SEED}, ${RUNS} runs)`, () => {
  const seen = { inode: 0, link: 0, user: 0, dead: 0 };
  const details = fc.check(fc.property(fc.nat(), fc.array(fc.nat(), { minLength: 30, maxLength: 60 }), (seed, picks) => {
    const pool = versions(seed);
    const keys = [...pool.keys()].sort();
    for (let i = 0; i + 3 < picks.length; i += 4) {
      const list = pool.get(keys[picks[i]! % keys.length]!)!;
      const [a, b, c] = [1, 2, 3].map((j) => list[picks[i + j]! % list.length]!) as [MetaRecord, MetaRecord, MetaRecord];
      const m = (x: MetaRecord, y: MetaRecord): MetaRecord => mergeRecords(x, y).record;
      for (const r of [a, b, c]) seen[r.type]++;
      assert.is(json(m(a, a)), json(a), 'idempotent');
      assert.is(json(m(a, b)), json(m(b, a)), 'commutative');
      assert.is(mergeRecords(a, b).conflict, mergeRecords(b, a).conflict, 'conflict is symmetric');
      assert.is(json(m(m(a, b), c)), json(m(a, m(b, c))), 'associative');
      assert.is(json(m(m(a, b), b)), json(m(a, b)), 'absorbs what it has merged');
    }
  }), { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH } : {}) });
  if (details.failed) {
    console.error(`merge algebra failed; replay with MERGE_SEED=${details.seed} MERGE_PATH=${details.counterexamplePath}`);
    console.error(fc.defaultReportMessage(details));
    throw details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));
  }
  for (const [type, n] of Object.entries(seen)) assert.ok(n > 50, `${type} versions were exercised (${n})`);
});

test.run();
