/**
 * The tree algorithm (src/meta/tree.ts) on its own, over random link sets: directories created in
 * stamp order and then moved at random (into each other, under their own descendants, out of the
 * tree), files and hard links placed or unlinked. Checks that the visible directories always form
 * one tree rooted at the root with unique names per directory; that every file link whose latest
 * move placed it in a known directory is visible (revival); that the result does not depend on the
 * order of the links nor on how their move logs were split and merged (mergeMoves); that replaying
 * the whole log equals Kleppmann et al.'s undo/redo algorithm run on the moves in any arrival
 * order; and unit cases of skip, revive and name resolution (including a conflict name that a real
 * entry already has). Replay a failure with TREE_SEED=<seed> TREE_PATH=<path>; more runs with TREE_RUNS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { compareHlc } from '../../../src/meta/hlc.js';
import { ROOT_INO } from '../../../src/meta/keys.js';
import { mergeMoves } from '../../../src/meta/merge.js';
import { conflictName, dirLinksByIno, materializeTree, replayDirs, type TreeLink } from '../../../src/meta/tree.js';
import type { Hlc, Move } from '../../../src/meta/types.js';
import { treeJson, treeViolation } from './sim.js';

const SEED = process.env.TREE_SEED ? Number(process.env.TREE_SEED) : 2021;
const RUNS = process.env.TREE_RUNS ? Number(process.env.TREE_RUNS) : 300;
const PATH = process.env.TREE_PATH;

const h = (wallMs: number, node = 'n1', logical = 0): Hlc => ({ wallMs, logical, node });
const mv = (at: Hlc, parent: string | null, name: string): Move => ({ at, parent, name });
const dir = (i: number, moves: Move[]): TreeLink => ({ id: `L.d${i}`, ino: `d${i}`, dir: true, moves });
const file = (id: string, ino: string, moves: Move[]): TreeLink => ({ id, ino, dir: false, moves });
const NAMES = ['a', 'b', 'c'];

function check<T>(details: fc.RunDetails<T>, env: string): void {
  if (!details.failed) return;
  console.error(`tree property failed; replay with ${env}_SEED=${details.seed} ${env}_PATH=${details.counterexamplePath}`);
  console.error(fc.defaultReportMessage(details));
  throw details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));
}

// ---- random link sets ------------------------------------------------------------------------

interface Gen {
  dirs: number;
  creates: { parent: number; name: number }[];
  moves: { dir: number; parent: number; name: number; wallMs: number; node: number }[];
  files: { ino: number; parent: number; name: number; wallMs: number; node: number; unlinked: boolean }[];
}

const genArb: fc.Arbitrary<Gen> = fc.integer({ min: 1, max: 8 }).chain((dirs) => fc.record({
  dirs: fc.constant(dirs),
  // directory i is created under the root or an earlier directory, at stamp i
  creates: fc.array(fc.record({ parent: fc.nat(), name: fc.nat() }), { minLength: dirs, maxLength: dirs }),
  // then moved anywhere (parent dirs+1 = out of the tree), concurrent moves on 3 nodes
  moves: fc.array(fc.record({ dir: fc.nat(), parent: fc.nat(), name: fc.nat(), wallMs: fc.integer({ min: 100, max: 130 }), node: fc.nat(2) }), { maxLength: 24 }),
  files: fc.array(fc.record({ ino: fc.nat(4), parent: fc.nat(), name: fc.nat(), wallMs: fc.integer({ min: 100, max: 140 }), node: fc.nat(2), unlinked: fc.boolean() }), { maxLength: 10 }),
}));

function linksOf(g: Gen): TreeLink[] {
  const moves: Move[][] = Array.from({ length: g.dirs }, () => []);
  g.creates.forEach((c, i) => {
    const p = c.parent % (i + 1); // 0 = root, j = directory j-1 (created before i)
    moves[i]!.push(mv(h(i + 1), p === 0 ? ROOT_INO : `d${p - 1}`, NAMES[c.name % NAMES.length]!));
  });
  for (const m of g.moves) {
    const p = m.parent % (g.dirs + 2); // 0 root, 1..dirs a directory, dirs+1 out of the tree
    const list = moves[m.dir % g.dirs]!;
    const at = h(m.wallMs, `n${m.node}`);
    if (list.some((x) => compareHlc(x.at, at) === 0)) continue; // one event per stamp
    list.push(mv(at, p === 0 ? ROOT_INO : p === g.dirs + 1 ? null : `d${p - 1}`, NAMES[m.name % NAMES.length]!));
  }
  const links: TreeLink[] = moves.map((ms, i) => dir(i, ms.sort((x, y) => compareHlc(x.at, y.at))));
  g.files.forEach((f, i) => {
    const p = f.parent % (g.dirs + 1);
    links.push(file(`L.f${i}`, `f${f.ino}`, [mv(h(f.wallMs, `n${f.node}`, 1), f.unlinked ? null : p === 0 ? ROOT_INO : `d${p - 1}`, NAMES[f.name % NAMES.length]!)]));
  });
  return links;
}

function shuffled<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs.map((x, i) => ({ x, k: (keys[i % Math.max(1, keys.length)] ?? 0) * 1000 + i })).sort((a, b) => a.k - b.k).map((e) => e.x);
}

/**
 * Kleppmann et al.'s algorithm as the paper states it: moves arrive in any order; the log is kept
 * in timestamp order, each entry remembering the parent it replaced; an arrival undoes the later
 * entries, applies itself (skipped if it would make the child its own ancestor), and redoes them.
 */
function undoRedo(events: { ino: string; move: Move; linkId: string }[]): Map<string, string | null> {
  const parent = new Map<string, string | null>();
  const log: { ino: string; move: Move; linkId: string; old: string | null | undefined }[] = [];
  const ancestor = (a: string, b: string): boolean => { // is a an ancestor of b (or b itself)?
    for (let x: string | null | undefined = b, n = 0; x !== undefined && x !== null && x !== ROOT_INO && n < 1000; x = parent.get(x), n++) if (x === a) return true;
    return false;
  };
  const doOp = (e: (typeof log)[number]): void => {
    e.old = parent.has(e.ino) ? parent.get(e.ino) : undefined;
    if (e.move.parent !== null && ancestor(e.ino, e.move.parent)) return;
    parent.set(e.ino, e.move.parent);
  };
  const undo = (e: (typeof log)[number]): void => {
    if (e.old === undefined) parent.delete(e.ino);
    else parent.set(e.ino, e.old);
  };
  const order = (x: { move: Move; linkId: string }, y: { move: Move; linkId: string }): number =>
    compareHlc(x.move.at, y.move.at) || (x.linkId < y.linkId ? -1 : x.linkId > y.linkId ? 1 : 0);
  for (const ev of events) {
    const later: typeof log = [];
    while (log.length > 0 && order(log[log.length - 1]!, ev) > 0) {
      const e = log.pop()!;
      undo(e);
      later.unshift(e);
    }
    const e = { ...ev, old: undefined };
    doOp(e);
    log.push(e);
    for (const l of later) {
      doOp(l);
      log.push(l);
    }
  }
  return parent;
}

test(`random link sets: one tree, revival, order independence, equal to undo/redo (seed ${SEED}, ${RUNS} runs)`, () => {
  let skipped = 0;
  let revived = 0;
  check(fc.check(fc.property(genArb, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (g, keys) => {
    const links = linksOf(g);
    const tree = materializeTree(links);
    skipped += tree.skipped.length;
    revived += tree.revived.length;
    const bad = treeViolation(tree);
    if (bad) throw new Error(bad);
    // every file link placed in the root or in a directory that exists is visible
    for (const l of links) {
      const last = l.moves[l.moves.length - 1]!;
      if (!l.dir) assert.is(tree.visible.has(l.id), last.parent !== null, `file link ${l.id} (latest move ${JSON.stringify(last)}) visible iff placed`);
    }
    // the links' order and the split of each move log across two versions do not matter
    const split = links.map((l, i) => {
      const a = l.moves.filter((_, j) => ((keys[(i + j) % keys.length] ?? 0) & 1) === 0);
      const b = l.moves.filter((_, j) => ((keys[(i + j) % keys.length] ?? 0) & 1) === 1 || j === l.moves.length - 1);
      return { ...l, moves: mergeMoves(b, a, l.dir) };
    });
    assert.is(treeJson(materializeTree(shuffled(split, keys))), treeJson(tree));
    // the whole-log replay is the paper's undo/redo, whatever order the moves arrived in
    const dirs = dirLinksByIno(links);
    const replay = replayDirs(dirs);
    const events = shuffled([...dirs.values()].flatMap((l) => l.moves.map((move) => ({ ino: l.ino, move, linkId: l.id }))), keys);
    const reference = undoRedo(events);
    for (const l of dirs.values()) {
      const p = replay.placed.get(l.id);
      assert.is(p === undefined ? undefined : p === null ? null : p.parent, reference.get(l.ino), `parent of ${l.ino}`);
    }
    // revival only puts back directories that were out of the tree (or under one that was)
    for (const l of dirs.values()) {
      const p = replay.placed.get(l.id);
      const v = tree.visible.get(l.id);
      if (p && !tree.revived.includes(l.id) && v) assert.is(v.parent, p.parent);
    }
  }), { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH } : {}) }), 'TREE');
  assert.ok(skipped > 0 && revived > 0, `the sets exercise skips (${skipped}) and revivals (${revived})`);
});

// ---- unit cases ----------------------------------------------------------------------------------

test('a move under its own descendant is skipped and reported; an earlier valid one holds', () => {
  const links = [dir(0, [mv(h(1), ROOT_INO, 'a')]), dir(1, [mv(h(2), ROOT_INO, 'b'), mv(h(3), 'd0', 'b')]), dir(2, [mv(h(4), 'd1', 'c')])];
  links[0]!.moves.push(mv(h(5, 'n2'), 'd2', 'a')); // a under a/b/c: a cycle
  const t = materializeTree(links);
  assert.equal(t.skipped, [{ link: 'L.d0', move: mv(h(5, 'n2'), 'd2', 'a') }]);
  assert.equal([...t.visible.values()].map((v) => [v.ino, v.parent, v.name]), [['d0', ROOT_INO, 'a'], ['d1', 'd0', 'b'], ['d2', 'd1', 'c']]);
});

test('a directory moved into itself is skipped', () => {
  const t = materializeTree([dir(0, [mv(h(1), ROOT_INO, 'a'), mv(h(2), 'd0', 'a')])]);
  assert.is(t.skipped.length, 1);
  assert.is(t.visible.get('L.d0')!.parent, ROOT_INO);
});

test('a removed directory with a live file inside is revived where it last was, its removed parent too', () => {
  const links = [
    dir(0, [mv(h(1), ROOT_INO, 'a'), mv(h(10), null, 'a')]),
    dir(1, [mv(h(2), 'd0', 'b'), mv(h(9), null, 'b')]),
    file('L.f', 'f', [mv(h(5), 'd1', 'f')]),
  ];
  const t = materializeTree(links);
  assert.equal(t.revived.sort(), ['L.d0', 'L.d1']);
  assert.equal(t.visible.get('L.d1')!.parent, 'd0');
  assert.equal(t.visible.get('L.f')!.parent, 'd1');
  assert.is(treeViolation(t), undefined);
  // without the file nothing comes back
  assert.is(materializeTree(links.slice(0, 2)).visible.size, 0);
});

test('a file whose directory has not arrived stays hidden until it does', () => {
  const f = file('L.f', 'f', [mv(h(5), 'd0', 'f')]);
  assert.is(materializeTree([f]).visible.size, 0);
  assert.is(materializeTree([f, dir(0, [mv(h(1), ROOT_INO, 'a')])]).visible.size, 2);
});

test('two entries with one name: the earlier keeps it, the other shows name~<hash of its id>', () => {
  const t = materializeTree([file('L.x', 'x', [mv(h(2, 'n2'), ROOT_INO, 'a')]), file('L.y', 'y', [mv(h(2, 'n1'), ROOT_INO, 'a')])]);
  assert.is(t.visible.get('L.y')!.name, 'a');
  assert.is(t.visible.get('L.x')!.name, conflictName('a', 'L.x'));
  assert.match(conflictName('a', 'L.x'), /^a~[0-9a-f]{8}$/);
  assert.is(Buffer.byteLength(conflictName('é'.repeat(127), 'L.x')), 255); // trimmed to fit 255 bytes
});

test('a long name is trimmed for its conflict suffix by whole characters, never half a surrogate pair', () => {
  const name = `${'a'.repeat(243)}\u{1F600}${'b'.repeat(8)}`; // 255 bytes; the emoji straddles the cut
  const shown = conflictName(name, 'L.x');
  assert.ok(Buffer.byteLength(shown) <= 255);
  assert.is(Buffer.from(shown, 'utf8').toString('utf8'), shown, 'the shown name survives UTF-8 (what FUSE passes back on lookup)');
  assert.ok(shown.startsWith('a'.repeat(243)));
});

test('a conflict name never duplicates a real entry of the same directory', () => {
  // x and y both named `a`; z is really named what y would show (a user made it, or a peer did)
  const t = materializeTree([
    file('L.x', 'x', [mv(h(1), ROOT_INO, 'a')]),
    file('L.y', 'y', [mv(h(2), ROOT_INO, 'a')]),
    file('L.z', 'z', [mv(h(3), ROOT_INO, conflictName('a', 'L.y'))]),
  ]);
  assert.is(treeViolation(t), undefined);
  assert.is(t.visible.get('L.x')!.name, 'a');
  assert.is(t.visible.get('L.z')!.name, conflictName('a', 'L.y'), 'the real name is kept');
  assert.match(t.visible.get('L.y')!.name, /^a~[0-9a-f]{8}$/);
});

test.run();
