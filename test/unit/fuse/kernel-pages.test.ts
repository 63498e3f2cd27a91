/** When a read-only open may keep the kernel's pages (kernel-pages.ts). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelPages } from '../../../fuse/kernel-pages.js';

const test = suite('fuse kernel pages');

test('kept while the version is unchanged; a new version, forget or another version still open drop them', () => {
  const p = new KernelPages();
  assert.is(p.openReader('/a', 'v1'), false, 'first open: nothing known of the pages');
  p.closeReader('/a', 'v1');
  assert.is(p.openReader('/a', 'v1'), true, 'unchanged');
  p.closeReader('/a', 'v1');
  assert.is(p.openReader('/a', 'v2'), false, 'changed');
  assert.is(p.openReader('/a', 'v2'), true, 'v2 again while a v2 reader is open');
  p.closeReader('/a', 'v2');
  p.closeReader('/a', 'v2');
  p.forget('/a');
  assert.is(p.openReader('/a', 'v2'), false, 'after a write open, rename or unlink of the name');
  // a v2 reader stays open while the file becomes v3: it may still fill pages with v2 bytes
  assert.is(p.openReader('/a', 'v3'), false);
  p.closeReader('/a', 'v3');
  assert.is(p.openReader('/a', 'v3'), false, 'dirty: the v2 reader was open when v3 was opened');
  p.closeReader('/a', 'v3');
  p.closeReader('/a', 'v2');
  assert.is(p.openReader('/a', 'v3'), false, 'the pages were dropped once more with no other reader open');
  p.closeReader('/a', 'v3');
  assert.is(p.openReader('/a', 'v3'), true);
});

test('bounded: the oldest names are forgotten', () => {
  const p = new KernelPages(2);
  for (const n of ['/a', '/b', '/c']) { p.openReader(n, 'v'); p.closeReader(n, 'v'); }
  assert.is(p.size, 2);
  assert.is(p.openReader('/a', 'v'), false, '/a was forgotten');
  assert.is(p.openReader('/c', 'v'), true);
});

test('versionOf tells inodes, versions and sizes apart', () => {
  const a = KernelPages.versionOf({ ino: 5, version: 'x', size: 10 });
  assert.is.not(a, KernelPages.versionOf({ ino: 6, version: 'x', size: 10 }));
  assert.is.not(a, KernelPages.versionOf({ ino: 5, version: 'y', size: 10 }));
  assert.is.not(a, KernelPages.versionOf({ ino: 5, version: 'x', size: 11 }));
});

test.run();
