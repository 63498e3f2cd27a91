// fs-view.ts locate: a path's directory and what the path names in it, in one walk (a commit by
// path creates there without resolving the directory again), on both stores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import { createFsView } from '../../../src/controller/fs-view.js';
import { openMemoryStore } from '../../../src/controller/memory-store.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';
import { openStore } from '../../../src/controller/store.js';
import { ROOT_INO } from '../../../src/meta/keys.js';
import { newLink } from '../../../src/meta/ops.js';
import { fsOps, OWNER } from '../helpers/fs-ops.js';

const now = (): number => 1_700_000_000_000;
const stores: [string, () => MetadataStore][] = [
  ['sqlite', () => openStore({ path: ':memory:', nodeId: 'a', now })],
  ['memory', () => openMemoryStore({ nodeId: 'a', now })],
];

for (const [name, open] of stores) {
  test(`${name}: locate gives the directory and the entry, or the directory alone, or nothing when the directory is missing`, () => {
    const store = open();
    const ops = fsOps(store, now);
    ops.ns.ensureRoot(OWNER);
    ops.ns.mkdir(OWNER, '/d');
    ops.write('/d/f', 3);
    const view = createFsView(store);
    const hit = view.locate(OWNER, '/d/f');
    assert.is(hit.name, 'f');
    assert.is(hit.dir?.path, '/d');
    assert.equal(hit.target, view.resolve(OWNER, '/d/f'), 'the same as resolving the path');
    const miss = view.locate(OWNER, '/d/g');
    assert.is(miss.dir?.ino, view.resolve(OWNER, '/d')!.ino);
    assert.is(miss.target, undefined);
    const top = view.locate(OWNER, '/f');
    assert.is(top.dir?.ino, ROOT_INO);
    assert.equal(view.locate(OWNER, '/x/y'), { name: 'y' }, 'no directory: the caller makes the parents');
    const err = (() => { try { view.locate(OWNER, '/d/f/child'); } catch (e) { return e as RedCloudError; } return undefined; })();
    assert.is(err?.code, 'NOT_DIR');
    assert.is(err?.info?.path, '/d/f');
    store.close();
  });

  test(`${name}: a commit by path into a missing directory makes it; into an existing one it creates, then replaces`, () => {
    const store = open();
    const ops = fsOps(store, now);
    ops.ns.ensureRoot(OWNER);
    ops.write('/a/b/c', 2);
    assert.is(ops.sizeAt('/a/b/c'), 2);
    const ino = ops.ns.stat(OWNER, '/a/b/c').ino;
    ops.write('/a/b/c', 5);
    assert.is(ops.sizeAt('/a/b/c'), 5);
    assert.is(ops.ns.stat(OWNER, '/a/b/c').ino, ino, 'the same inode, new content');
    assert.throws(() => ops.write('/a/b/c/d', 1), (e: RedCloudError) => e.code === 'NOT_DIR');
    store.close();
  });

  test(`${name}: a name whose entry arrived before its inode is taken: a commit there is refused (EXISTS), not a second entry`, () => {
    const store = open();
    const ops = fsOps(store, now);
    ops.ns.ensureRoot(OWNER);
    const s = store.nextStamp();
    store.applyLocal(newLink({ ...s, owner: OWNER, id: 'early', ino: 'not-here-yet', dir: false, parent: ROOT_INO, name: 'early' }), s.seq);
    const at = createFsView(store).locate(OWNER, '/early');
    assert.is(at.entry?.linkId, 'early');
    assert.is(at.target, undefined);
    assert.throws(() => ops.write('/early', 1), (e: RedCloudError) => e.code === 'EXISTS');
    assert.is(store.children(OWNER, ROOT_INO).length, 1);
    store.close();
  });
}

test.run();
