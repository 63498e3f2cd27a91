/** Pure parts of the CLI: shell tokenizer, error description and exit codes, formatting, remote paths. */
import * as assert from 'uvu/assert';
import { describeError } from '../../../oclif-cli/base.js';
import { tokenize } from '../../../oclif-cli/commands/shell.js';
import { entryLine, formatBytes, modeString, table } from '../../../oclif-cli/lib/format.js';
import { remotePath } from '../../../oclif-cli/lib/remote.js';
import { errors } from '../../../src/common/errors.js';
import { test } from 'uvu';


test('tokenize: whitespace, quotes, escapes, empty quoted words', () => {
  assert.equal(tokenize('login alice pw'), ['login', 'alice', 'pw']);
  assert.equal(tokenize('  upload "my file.txt"  t1 '), ['upload', 'my file.txt', 't1']);
  assert.equal(tokenize(`mv 'a b' c\\ d ""`), ['mv', 'a b', 'c d', '']);
  assert.equal(tokenize(''), []);
});

test('describeError: exit codes from the catalogue, one line', () => {
  assert.equal(describeError(errors.unauthorized('Wrong user name or password')), { exitCode: 3, code: 'UNAUTHORIZED', message: 'Wrong user name or password' });
  assert.is(describeError(errors.notFound('x')).exitCode, 4);
  assert.is(describeError(errors.invalid('x')).exitCode, 2);
  assert.is(describeError(errors.unavailable('x')).exitCode, 8);
  const usage = Object.assign(new Error('Missing 1 required arg:\nuser  User name.\nSee more help with --help'), { oclif: { exit: 2 } });
  assert.equal(describeError(usage), { exitCode: 2, code: 'INVALID', message: 'Missing 1 required arg:; user  User name.' });
  assert.is(describeError(new Error('boom')).exitCode, 1);
});

test('format helpers', () => {
  assert.is(formatBytes(512), '512 B');
  assert.is(formatBytes(1536), '1.5 KiB');
  assert.is(table(['A', 'BB'], [['xyz', 1]]), 'A    BB\nxyz  1');
  const e = { path: '/d', kind: 'dir' as const, size: 0, mode: 0o755, mtimeMs: 0, ctimeMs: 0, tags: [], version: '1' };
  assert.is(entryLine(e, false, 'd'), 'd/');
  assert.is(entryLine({ ...e, kind: 'file', size: 5, mode: 0o640, tags: ['t'], nlink: 2, uid: 1000, gid: 100 }, true, 'f'),
    '-rw-r-----   2  1000   100            5 1970-01-01T00:00:00.000Z f [t]');
  assert.is(modeString({ kind: 'dir', mode: 0o3775 }), 'drwxrwsr-t');
  assert.is(modeString({ kind: 'file', mode: 0o4644 }), '-rwSr--r--');
  assert.is(modeString({ kind: 'fifo', mode: 0o600 }), 'prw-------');
});

test('remote names are relative to "/"', () => {
  assert.is(remotePath('a/b.txt'), '/a/b.txt');
  assert.is(remotePath('/x/'), '/x');
  assert.throws(() => remotePath('a/../b'), (err: { code: string }) => err.code === 'INVALID');
});

test.run();
