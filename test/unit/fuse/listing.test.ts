import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EntryInfo } from '../../../src/common/api.js';
import { Listing } from '../../../fuse/listing.js';
import { MetadataCache } from '../../../fuse/meta-cache.js';

const entry = (path: string, size = 0): EntryInfo => ({ path, kind: 'file', size, mode: 0o644, mtimeMs: 0 } as EntryInfo);
const paths = (es: EntryInfo[] | undefined): string[] | undefined => es?.map((e) => e.path);

test('a listing keeps its order; put adds at the end or replaces in place; remove and change edit one entry', () => {
  const l = new Listing([entry('/d/a'), entry('/d/b'), entry('/d/c')]);
  const first = l.entries();
  assert.is(l.entries(), first, 'unchanged: the same array');
  l.remove('/d/b').put(entry('/d/z')).put(entry('/d/a', 5)).change('/d/c', (e) => ({ ...e, size: 7 })).change('/d/nope', () => entry('/d/nope'));
  assert.equal(paths(l.entries()), ['/d/a', '/d/c', '/d/z']);
  assert.equal(l.entries().map((e) => e.size), [5, 7, 0]);
  assert.equal(paths(first), ['/d/a', '/d/b', '/d/c'], 'an array handed out never changes');
  const before = l.entries();
  l.remove('/d/missing');
  assert.is(l.entries(), before, 'removing what is not there changes nothing');
});

test('the metadata cache: an unlink drops the name from the cached listing and takes the directory entry it was given', () => {
  const c = new MetadataCache(1000, () => 0);
  c.setListing('/', [entry('/d')]);
  c.setListing('/d', [entry('/d/a'), entry('/d/b')]);
  const dir = { ...entry('/d'), kind: 'dir', mtimeMs: 42 } as EntryInfo;
  c.entryRemoved('/d/a', dir);
  assert.equal(paths(c.listing('/d')), ['/d/b']);
  assert.is(c.attr('/d/a'), undefined);
  assert.is(c.attr('/d')?.mtimeMs, 42);
  assert.is(c.listing('/')?.[0]?.mtimeMs, 42, "the directory's entry in its parent's listing");
  c.putInListing(entry('/d/n'));
  assert.equal(paths(c.listing('/d')), ['/d/b', '/d/n']);
});

test.run();
