// The trash's pure rules (src/meta/trash.ts): what expires when and on which controller, what a
// restore brings back and where, the time label; the record rules (validate.ts) for moves into the
// trash; and the tree's revive of a trashed directory that got something concurrently (tree.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { materializeTree, type TreeLink } from '../../../src/meta/tree.js';
import {
  dueForExpiry, restoreDestination, selectRestore, TRASH_INO, trashEntryOf, trashTimeLabel, type TrashEntry,
} from '../../../src/meta/trash.js';
import type { Hlc, LinkRecord } from '../../../src/meta/types.js';
import { validateRecord } from '../../../src/meta/validate.js';

const hlc = (wallMs: number, node = 'a', logical = 0): Hlc => ({ wallMs, logical, node });
const entry = (id: string, path: string, removedMs: number, o: Partial<TrashEntry> = {}): TrashEntry => ({
  linkId: id, ino: `i-${id}`, dir: false, path, removedAt: hlc(removedMs), expiresMs: removedMs + 1000, ...o,
});

test('dueForExpiry: expired entries, this controller\'s at once, the others\' after the slack, oldest first', () => {
  const mine = entry('a.1', '/x', 100);
  const theirs = entry('b.1', '/y', 50, { removedAt: hlc(50, 'b'), expiresMs: 1050 });
  const fresh = entry('a.2', '/z', 900);
  assert.equal(dueForExpiry([fresh, mine, theirs], 1099, 'a', 500).map((e) => e.linkId), []);
  assert.equal(dueForExpiry([fresh, mine, theirs], 1100, 'a', 500).map((e) => e.linkId), ['a.1'], 'expiresMs <= now');
  assert.equal(dueForExpiry([fresh, mine, theirs], 1550, 'a', 500).map((e) => e.linkId), ['b.1', 'a.1'], 'another controller\'s after the slack');
  assert.equal(dueForExpiry([fresh, mine, theirs], 1550, 'b', 500).map((e) => e.linkId), ['b.1'], 'a.1 is a\'s for 50 ms more');
  assert.equal(dueForExpiry([fresh, mine, theirs], 5000, 'c', 0).map((e) => e.linkId), ['b.1', 'a.1', 'a.2']);
});

test('selectRestore: the newest entry per path at or below PATH, parents first, expired ones left out', () => {
  const all = [
    entry('a.1', '/t/b/c', 100), entry('a.2', '/t/a', 101), entry('a.3', '/t/b', 102, { dir: true }), entry('a.4', '/t', 103, { dir: true }),
    entry('a.5', '/t/a', 200), entry('a.6', '/other', 104), entry('a.7', '/tx', 105), entry('a.8', '/t/old', 10, { expiresMs: 500 }),
  ];
  const chosen = selectRestore(all, '/t', 600);
  assert.equal(chosen.map((e) => [e.path, e.linkId]), [['/t', 'a.4'], ['/t/a', 'a.5'], ['/t/b', 'a.3'], ['/t/b/c', 'a.1']]);
  assert.equal(selectRestore(all, '/t/a', 600).map((e) => e.linkId), ['a.5'], 'the newest of two with one path');
  assert.equal(selectRestore(all, '/t/old', 600), [], 'expired');
  assert.equal(selectRestore(all, '/', 600).length, 6, '/ restores everything');
});

test('restoreDestination: where it was, or the same relative place below --to', () => {
  assert.is(restoreDestination('/t/b/c', '/t'), '/t/b/c');
  assert.is(restoreDestination('/t/b/c', '/t', '/r'), '/r/b/c');
  assert.is(restoreDestination('/t', '/t', '/r'), '/r');
  assert.is(restoreDestination('/t/b', '/', '/r'), '/r/t/b');
  assert.is(restoreDestination('/t/b', '/t', '/'), '/b');
});

test('trashTimeLabel: the UTC second of the removal', () => {
  assert.is(trashTimeLabel(Date.UTC(2026, 11, 1, 14, 3, 7, 999)), '2026-12-01T14:03:07Z');
});

const link = (id: string, ino: string, dir: boolean, moves: LinkRecord['moves']): LinkRecord => ({
  type: 'link', key: `l\0alice\0${id}`, owner: 'alice', id, ino, dir, moves, vv: { a: 9 }, hlc: moves[moves.length - 1]!.at,
});

test('validate: a move into the trash needs its trash info, and only such a move may carry it', () => {
  const ok = link('a.5', 'a.1', false, [{ at: hlc(10), parent: TRASH_INO, name: 'a.5', trash: { path: '/d/f', expiresMs: 1010 } }]);
  assert.ok(validateRecord(ok));
  assert.equal(trashEntryOf(ok), { linkId: 'a.5', ino: 'a.1', dir: false, path: '/d/f', removedAt: hlc(10), expiresMs: 1010 });
  const bad = (moves: unknown, why: RegExp) => assert.throws(() => validateRecord({ ...ok, moves }), why);
  bad([{ at: hlc(10), parent: TRASH_INO, name: 'a.5' }], /trash is not an object|must be an object/);
  bad([{ at: hlc(10), parent: 'root', name: 'f', trash: { path: '/d/f', expiresMs: 1010 } }], /must be absent/);
  bad([{ at: hlc(10), parent: TRASH_INO, name: 'a.5', trash: { path: 'd/f', expiresMs: 1010 } }], /absolute path/);
  bad([{ at: hlc(10), parent: TRASH_INO, name: 'a.5', trash: { path: '/d/../f', expiresMs: 1010 } }], /normalised/);
  bad([{ at: hlc(10), parent: TRASH_INO, name: 'a.5', trash: { path: '/d/f', expiresMs: 5 } }], /expiresMs/);
  bad([{ at: hlc(10), parent: TRASH_INO, name: 'a.5', trash: { path: '/d/f', expiresMs: 1010, extra: 1 } }], /not a known field/);
});

test('tree: a directory in the trash stays out of the tree; one that got a file concurrently comes back where it was', () => {
  const d: TreeLink = { id: 'a.2', ino: 'a.1', dir: true, moves: [
    { at: hlc(1), parent: 'root', name: 'd' },
    { at: hlc(5), parent: TRASH_INO, name: 'a.2', trash: { path: '/d', expiresMs: 99 } },
  ] };
  const f: TreeLink = { id: 'b.2', ino: 'b.1', dir: false, moves: [{ at: hlc(4, 'b'), parent: 'a.1', name: 'f' }] };
  assert.equal([...materializeTree([d]).visible.keys()], [], 'trashed and empty: not in the tree');
  const tree = materializeTree([d, f]);
  assert.equal(tree.revived, ['a.2']);
  assert.equal(tree.visible.get('a.2'), { id: 'a.2', ino: 'a.1', dir: true, parent: 'root', name: 'd', at: hlc(1) });
  assert.ok(tree.visible.has('b.2'));
});

test.run();
