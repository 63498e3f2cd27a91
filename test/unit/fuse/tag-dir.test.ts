/** The tag directory's pure rules (fuse/tag-dir.ts) and the declared-tag records (common/declared-tags.ts). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EntryInfo } from '../../../src/common/api.js';
import { declaredTags, declaredTagXattr, withDeclared } from '../../../src/common/declared-tags.js';
import { classify, entryNames, linkTarget, queryKey, resolveLinkTarget, tagSegments, withSuffix } from '../../../fuse/tag-dir.js';

const entry = (path: string): EntryInfo => ({ path, kind: 'file', size: 1, mode: 0o644, mtimeMs: 0, ctimeMs: 0, tags: [] } as unknown as EntryInfo);

test('tagSegments: the directory itself, paths below it, and everything else', () => {
  assert.equal(tagSegments('/.tags', '.tags'), []);
  assert.equal(tagSegments('/.tags/a/b', '.tags'), ['a', 'b']);
  assert.is(tagSegments('/.tagsx', '.tags'), undefined);
  assert.is(tagSegments('/x/.tags/a', '.tags'), undefined, 'only at the root');
  assert.is(tagSegments('/', '.tags'), undefined);
  assert.is(tagSegments('/.tags/a', ''), undefined, 'an empty name turns it off');
  assert.equal(tagSegments('/_t/x', '_t'), ['x']);
});

test('queryKey: conjunctions in any order, with repeats, are one query', () => {
  assert.is(queryKey(['b', 'a']), queryKey(['a', 'b', 'a']));
  assert.is.not(queryKey(['a']), queryKey(['a', 'b']));
});

test('entryNames: unique basenames stay plain; colliding ones all get a stable path-hash suffix', () => {
  const one = entryNames([entry('/x/photo.jpg'), entry('/y/photo.jpg'), entry('/z/notes')]);
  const names = [...one.keys()].sort();
  assert.is(names.length, 3);
  assert.ok(one.has('notes'));
  assert.not.ok(one.has('photo.jpg'), 'neither collider keeps the plain name');
  for (const n of names.filter((n) => n !== 'notes')) assert.match(n, /^photo~[0-9a-f]{8}\.jpg$/);
  const reversed = entryNames([entry('/z/notes'), entry('/y/photo.jpg'), entry('/x/photo.jpg')]);
  assert.equal([...reversed.keys()].sort(), names, 'order of the results does not matter');
  assert.is(reversed.get(names.find((n) => one.get(n)!.path === '/y/photo.jpg')!)!.path, '/y/photo.jpg');
  assert.equal([...entryNames([entry('/y/photo.jpg')]).keys()], ['photo.jpg']);
});

test('withSuffix: before the extension; dotfiles and extensionless names at the end', () => {
  assert.is(withSuffix('a.tar.gz', '~1'), 'a.tar~1.gz');
  assert.is(withSuffix('.bashrc', '~1'), '.bashrc~1');
  assert.is(withSuffix('README', '~1'), 'README~1');
});

test('linkTarget: relative to the query directory, so it works wherever the mount is', () => {
  assert.is(linkTarget(2, '/photos/p.jpg'), '../../photos/p.jpg');
  assert.is(linkTarget(3, '/p.jpg'), '../../../p.jpg');
});

test('resolveLinkTarget: relative targets from the link, absolute ones under the mountpoint, nothing outside', () => {
  assert.is(resolveLinkTarget('/.tags/holiday/photo.jpg', '../../photo.jpg'), '/photo.jpg');
  assert.is(resolveLinkTarget('/.tags/a/b/p', '../../../d/./p'), '/d/p');
  assert.is(resolveLinkTarget('/.tags/a/p', '../../../p'), undefined, 'above the mount root');
  assert.is(resolveLinkTarget('/.tags/a/p', '/home/u/mnt/d/p', '/home/u/mnt'), '/d/p');
  assert.is(resolveLinkTarget('/.tags/a/p', '/home/u/mntx/p', '/home/u/mnt'), undefined);
  assert.is(resolveLinkTarget('/.tags/a/p', '/etc/passwd'), undefined, 'absolute without a mountpoint');
  assert.is(resolveLinkTarget('/.tags/a/p', '../b/q'), '/.tags/b/q', 'into another query: the shell resolves it');
  assert.is(resolveLinkTarget('/.tags/a/p', '../..'), undefined, 'the root is no file');
});

test('classify: tags as directories at any depth, result entries as links, unknown names as nothing', () => {
  const known = new Set(['a', 'b', 'photo.jpg']);
  const names = new Map([['photo.jpg', entry('/pics/photo.jpg')]]);
  assert.equal(classify([], known, undefined), { kind: 'dir', tags: [] });
  assert.equal(classify(['a'], known, undefined), { kind: 'dir', tags: ['a'] });
  assert.equal(classify(['b', 'a'], known, new Map()), { kind: 'dir', tags: ['b', 'a'] });
  assert.equal(classify(['zz'], known, undefined), { kind: 'none' });
  assert.equal(classify(['zz', 'a'], known, undefined), { kind: 'none' }, 'a parent that is no tag');
  const link = classify(['a', 'photo.jpg'], known, names);
  assert.equal(link, { kind: 'link', tags: ['a'], name: 'photo.jpg', entry: names.get('photo.jpg'), target: '../../pics/photo.jpg' }, 'entries win over a tag of that name');
  assert.equal(classify(['photo.jpg'], known, undefined), { kind: 'dir', tags: ['photo.jpg'] }, 'the top level has only tags');
});

test('declared tags: root xattrs of valid tag names, listed with count 0 unless in use', () => {
  assert.is(declaredTagXattr('x'), 'trusted.redcloud.tag.x');
  assert.equal(declaredTags(['user.a', 'trusted.redcloud.tag.zeta', 'trusted.redcloud.tag.alpha', 'trusted.redcloud.tag.bad,name', 'trusted.redcloud.tag.']), ['alpha', 'zeta']);
  assert.equal(withDeclared([{ tag: 'b', count: 2 }, { tag: 'zeta', count: 1 }], ['alpha', 'zeta']),
    [{ tag: 'alpha', count: 0 }, { tag: 'b', count: 2 }, { tag: 'zeta', count: 1 }]);
});

test.run();
