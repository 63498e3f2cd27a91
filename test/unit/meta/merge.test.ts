// Unit and seeded property tests of mergeRecords: the algebra (commutative, associative,
// idempotent) over random 3-node histories, and tombstones that never lose to late old updates.
// Replay a failure with MERGE_SEED=<seed printed on failure>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { canonicalJson, mergeRecords } from '../../../src/meta/merge.js';
import { changeTags, deleteEntry, putEntry } from '../../../src/meta/ops.js';
import { tick } from '../../../src/meta/hlc.js';
import { compareVV } from '../../../src/meta/version-vector.js';
import type { EntryRecord, EntryValue, Hlc } from '../../../src/meta/types.js';

const file = (size: number): EntryValue => ({ kind: 'file', size, mode: 0o644, mtimeMs: size, ctimeMs: size, chunks: [] });
const h = (wallMs: number, node: string): Hlc => ({ wallMs, logical: 0, node });

test('dominating version wins; concurrent resolves LWW with conflict', () => {
  const v1 = putEntry(undefined, { owner: 'u', path: '/f', value: file(1), hlc: h(10, 'a'), node: 'a', seq: 1 });
  const v2 = putEntry(v1, { owner: 'u', path: '/f', value: file(2), hlc: h(5, 'a'), node: 'a', seq: 2 });
  assert.is(v2.hlc.wallMs, 10); // stamped after v1 even with an older wall clock
  assert.equal(mergeRecords(v1, v2), { record: v2, conflict: false });
  const vb = putEntry(v1, { owner: 'u', path: '/f', value: file(3), hlc: h(20, 'b'), node: 'b', seq: 1 });
  const m = mergeRecords(v2, vb);
  assert.is(m.conflict, true);
  assert.equal(m.record.value, file(3));
  assert.equal(m.record.vv, { a: 2, b: 1 });
});

test('tombstone beats a late older update', () => {
  const v1 = putEntry(undefined, { owner: 'u', path: '/f', value: file(1), hlc: h(10, 'a'), node: 'a', seq: 1 });
  const del = deleteEntry(v1, { hlc: h(11, 'b'), node: 'b', seq: 4 });
  assert.is(mergeRecords(del, v1).record.value, null);
  assert.is(mergeRecords(v1, del).record.value, null);
});

test('concurrent tag adds both survive', () => {
  const v1 = putEntry(undefined, { owner: 'u', path: '/f', value: file(1), hlc: h(10, 'a'), node: 'a', seq: 1 });
  const ta = changeTags(v1, ['x'], [], { hlc: h(11, 'a'), node: 'a', seq: 2 });
  const tb = changeTags(v1, ['y'], [], { hlc: h(11, 'b'), node: 'b', seq: 1 });
  assert.equal(Object.keys(mergeRecords(ta, tb).record.tags).sort(), ['x', 'y']);
});

test('mergeRecords refuses different keys', () => {
  const a = putEntry(undefined, { owner: 'u', path: '/f', value: file(1), hlc: h(1, 'a'), node: 'a', seq: 1 });
  const b = putEntry(undefined, { owner: 'u', path: '/g', value: file(1), hlc: h(1, 'a'), node: 'a', seq: 2 });
  assert.throws(() => mergeRecords(a, b), /different records/);
});

// ---- property test ---------------------------------------------------------------------------

const NODES = ['n1', 'n2', 'n3'];
const PATHS = ['/a', '/b'];
type Cmd =
  | { t: 'put'; n: number; p: number; size: number; tags: string[] }
  | { t: 'del'; n: number; p: number }
  | { t: 'tag'; n: number; p: number; add: string[]; remove: string[] }
  | { t: 'sync'; n: number; from: number; upto: number }
  | { t: 'clock'; n: number; dMs: number };

const tagArb = fc.subarray(['red', 'blue', 'green']);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ t: fc.constant('put' as const), n: fc.nat(2), p: fc.nat(1), size: fc.nat(9), tags: tagArb }),
  fc.record({ t: fc.constant('del' as const), n: fc.nat(2), p: fc.nat(1) }),
  fc.record({ t: fc.constant('tag' as const), n: fc.nat(2), p: fc.nat(1), add: tagArb, remove: tagArb }),
  fc.record({ t: fc.constant('sync' as const), n: fc.nat(2), from: fc.nat(2), upto: fc.nat(40) }),
  fc.record({ t: fc.constant('clock' as const), n: fc.nat(2), dMs: fc.integer({ min: -5, max: 5 }) }),
);

interface Node { id: string; seq: number; hlc: Hlc; wallMs: number; state: Map<string, EntryRecord>; produced: EntryRecord[] }

function apply(node: Node, r: EntryRecord): void {
  const cur = node.state.get(r.path);
  node.state.set(r.path, cur ? mergeRecords(cur, r).record : r);
  if (compareHlcLite(r.hlc, node.hlc) > 0) node.hlc = { ...r.hlc, node: node.id };
}
const compareHlcLite = (a: Hlc, b: Hlc): number => a.wallMs - b.wallMs || a.logical - b.logical;

/** Runs a history; returns every update produced, in production order. */
function runHistory(cmds: Cmd[]): EntryRecord[] {
  const nodes: Node[] = NODES.map((id) => ({ id, seq: 0, hlc: { wallMs: 0, logical: 0, node: id }, wallMs: 100, state: new Map(), produced: [] }));
  const all: EntryRecord[] = [];
  for (const c of cmds) {
    const node = nodes[c.n]!;
    if (c.t === 'clock') { node.wallMs = Math.max(0, node.wallMs + c.dMs); continue; }
    if (c.t === 'sync') {
      for (const r of nodes[c.from]!.produced.slice(0, c.upto)) apply(node, r);
      continue;
    }
    const path = PATHS[c.p]!;
    const cur = node.state.get(path);
    const next = (): { hlc: Hlc; node: string; seq: number } => {
      node.hlc = tick(node.hlc, node.wallMs, node.id);
      return { hlc: node.hlc, node: node.id, seq: ++node.seq };
    };
    let r: EntryRecord | undefined;
    if (c.t === 'put') r = putEntry(cur, { owner: 'u', path, value: file(c.size), addTags: c.tags, ...next() });
    else if (c.t === 'del' && cur?.value) r = deleteEntry(cur, next());
    else if (c.t === 'tag' && cur?.value) r = changeTags(cur, c.add, c.remove, next());
    if (!r) continue;
    node.state.set(path, r);
    node.produced.push(r);
    all.push(r);
  }
  return all;
}

function foldAll(updates: EntryRecord[]): string {
  const state = new Map<string, EntryRecord>();
  for (const r of updates) {
    const cur = state.get(r.key);
    state.set(r.key, cur ? mergeRecords(cur, r).record : r);
  }
  return canonicalJson([...state.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Merges by a random binary tree (grouping) instead of a left fold. */
function foldTree(updates: EntryRecord[], splits: number[]): string {
  const byKey = new Map<string, EntryRecord[]>();
  for (const r of updates) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const out: [string, EntryRecord][] = [];
  let i = 0;
  const tree = (rs: EntryRecord[]): EntryRecord => {
    if (rs.length === 1) return rs[0]!;
    const cut = 1 + ((splits[i++ % Math.max(1, splits.length)] ?? 0) % (rs.length - 1));
    return mergeRecords(tree(rs.slice(0, cut)), tree(rs.slice(cut))).record;
  };
  for (const [k, rs] of byKey) out.push([k, tree(rs)]);
  return canonicalJson(out.sort(([a], [b]) => (a < b ? -1 : 1)));
}

const SEED = process.env.MERGE_SEED ? Number(process.env.MERGE_SEED) : 20261126;

test(`merge converges for any order, grouping and duplication (seed ${SEED})`, () => {
  try {
    fc.assert(
      fc.property(
        fc.array(cmdArb, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(100), { minLength: 1, maxLength: 20 }),
        (cmds, perm, splits) => {
          const ups = runHistory(cmds);
          if (ups.length === 0) return;
          const expected = foldAll(ups);
          // shuffle deterministically by perm, with duplicates
          const shuffled = ups.map((u, i) => ({ u, k: perm[i % perm.length]! * 1000 + i })).sort((a, b) => a.k - b.k).map((x) => x.u);
          const dup = [...shuffled, ...shuffled.filter((_, i) => (perm[i % perm.length]! & 1) === 1)];
          assert.is(foldAll(shuffled), expected);
          assert.is(foldAll(dup), expected);
          assert.is(foldTree(dup, splits), expected);
          assert.is(foldAll([...ups].reverse()), expected);
          // a tombstone never loses to an older update
          for (const d of ups.filter((u) => u.value === null)) {
            for (const old of ups.filter((u) => u.key === d.key && compareVV(u.vv, d.vv) === 'before')) {
              assert.is(mergeRecords(d, old).record.value, null);
              assert.is(mergeRecords(old, d).record.value, null);
            }
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  } catch (err) {
    console.error(`merge property failed; replay with MERGE_SEED=${SEED}`);
    throw err;
  }
});

test.run();
