/** Unit tests of src/common/paths: normalisation and every rejection rule. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import {
  MAX_NAME_BYTES, ancestorsOf, assertTag, assertUserName, baseName, isSelfOrDescendant, isValidPath,
  joinPath, normalizePath, parentOf,
} from '../../../src/common/paths.js';

function rejects(raw: unknown, fragment: string, opts?: { relativeTo?: string }, code = 'INVALID'): void {
  try {
    normalizePath(raw, opts);
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, code);
    assert.ok((err as Error).message.includes(fragment), `"${(err as Error).message}" should mention "${fragment}"`);
    return;
  }
  assert.unreachable(`${JSON.stringify(raw)} should be rejected`);
}

test('normalises: root, trailing slash, relative with relativeTo', () => {
  assert.is(normalizePath('/'), '/');
  assert.is(normalizePath('/a/b/'), '/a/b');
  assert.is(normalizePath('/a'), '/a');
  assert.is(normalizePath('x y/ü.txt', { relativeTo: '/' }), '/x y/ü.txt');
  assert.is(normalizePath('c', { relativeTo: '/a/b' }), '/a/b/c');
});

test('rejects .., ., empty segments, NUL, empty, relative, non-strings', () => {
  rejects('/a/../b', '..');
  rejects('/..', '..');
  rejects('../x', '..', { relativeTo: '/' });
  rejects('/a/./b', '"."');
  rejects('/a//b', 'empty segments');
  rejects('/a/b\0c', 'NUL');
  rejects('', 'empty');
  rejects('a/b', 'absolute');
  rejects(42, 'string');
});

test('rejects over-long names and accepts the longest allowed one', () => {
  const longest = 'n'.repeat(MAX_NAME_BYTES);
  assert.is(normalizePath(`/${longest}`), `/${longest}`);
  rejects(`/${longest}n`, 'longer than 255 bytes', {}, 'NAME_TOO_LONG');
  // 128 two-byte characters are 256 bytes: too long although only 128 characters
  rejects(`/${'é'.repeat(128)}`, 'longer than 255 bytes', {}, 'NAME_TOO_LONG');
  rejects(`/${'a/'.repeat(8200)}x`, 'longer than 8192 bytes', {}, 'NAME_TOO_LONG');
  // a path of one-byte names with 2048 levels (4096 bytes) is fine: PATH_MAX limits a system call's path, not the depth
  const deep = `/${Array.from({ length: 2048 }, () => 'd').join('/')}`;
  assert.is(Buffer.byteLength(deep), 4096);
  assert.is(normalizePath(deep), deep);
});

test('isValidPath is true only for normalised paths', () => {
  assert.is(isValidPath('/a/b'), true);
  assert.is(isValidPath('/a/b/'), false);
  assert.is(isValidPath('/a/../b'), false);
  assert.is(isValidPath(null), false);
});

test('parentOf, baseName, joinPath, ancestorsOf, isSelfOrDescendant', () => {
  assert.is(parentOf('/a/b'), '/a');
  assert.is(parentOf('/a'), '/');
  assert.is(parentOf('/'), '/');
  assert.is(baseName('/a/b c'), 'b c');
  assert.is(baseName('/'), '');
  assert.is(joinPath('/', 'x'), '/x');
  assert.is(joinPath('/a', 'x'), '/a/x');
  assert.throws(() => joinPath('/a', '..'), (e: RedCloudError) => e.code === 'INVALID');
  assert.equal(ancestorsOf('/a/b/c'), ['/', '/a', '/a/b']);
  assert.equal(ancestorsOf('/'), []);
  assert.is(isSelfOrDescendant('/a/b', '/a'), true);
  assert.is(isSelfOrDescendant('/a', '/a'), true);
  assert.is(isSelfOrDescendant('/ab', '/a'), false);
  assert.is(isSelfOrDescendant('/x', '/'), true);
});

test('user names and tags', () => {
  assert.is(assertUserName('demo'), 'demo');
  assert.is(assertUserName('a.b_c-1'), 'a.b_c-1');
  for (const bad of ['', '-x', 'a b', 'a/b', 'x'.repeat(65), 7]) {
    assert.throws(() => assertUserName(bad), (e: RedCloudError) => e.code === 'INVALID', String(bad));
  }
  assert.is(assertTag('photos'), 'photos');
  assert.is(assertTag('été'), 'été');
  for (const bad of ['', 'a b', 'a/b', 'a,b', 't'.repeat(129), 1]) {
    assert.throws(() => assertTag(bad), (e: RedCloudError) => e.code === 'INVALID', String(bad));
  }
});

test.run();
