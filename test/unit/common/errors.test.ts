/** Unit tests of src/common/errors: the code table and the conversion of anything thrown. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_TABLE, errors, isErrorCode, isRetryable, toRedCloudError } from '../../../src/common/errors.js';

test('the table maps codes to status, errno and exit as the style guide says', () => {
  const expected: Record<string, [number, string]> = {
    NOT_FOUND: [404, 'ENOENT'], EXISTS: [409, 'EEXIST'], NOT_EMPTY: [409, 'ENOTEMPTY'], INVALID: [400, 'EINVAL'],
    UNAUTHORIZED: [401, 'EACCES'], FORBIDDEN: [403, 'EACCES'], NO_SPACE: [507, 'ENOSPC'], TIMEOUT: [504, 'ETIMEDOUT'],
    UNAVAILABLE: [503, 'EIO'],
  };
  for (const [code, [status, errno]] of Object.entries(expected)) {
    assert.is(ERROR_TABLE[code as keyof typeof ERROR_TABLE].status, status, code);
    assert.is(ERROR_TABLE[code as keyof typeof ERROR_TABLE].errno, errno, code);
  }
  for (const [code, row] of Object.entries(ERROR_TABLE)) {
    assert.ok(Number(row.exit) > 0, `${code} exits non-zero`);
    assert.ok(row.status >= 400, `${code} is an error status`);
  }
});

test('RedCloudError carries code, status, errno, exit and serialises to { code, message }', () => {
  const e = errors.notFound('No such file: /x', { path: '/x' });
  assert.instance(e, Error);
  assert.is(e.name, 'RedCloudError');
  assert.is(e.code, 'NOT_FOUND');
  assert.is(e.status, 404);
  assert.is(e.errno, 'ENOENT');
  assert.is(e.exitCode, 4);
  assert.equal(JSON.parse(JSON.stringify(e)), { code: 'NOT_FOUND', message: 'No such file: /x', details: { path: '/x' } });
  assert.equal(errors.forbidden('no').toJSON(), { code: 'FORBIDDEN', message: 'no' });
});

test('isErrorCode', () => {
  assert.is(isErrorCode('INVALID'), true);
  assert.is(isErrorCode('invalid'), false);
  assert.is(isErrorCode('toString'), false);
  assert.is(isErrorCode(undefined), false);
});

test('toRedCloudError: signals, node errors, connection errors, anything else', () => {
  const same = errors.exists('x');
  assert.is(toRedCloudError(same), same);
  const timeoutErr = Object.assign(new Error('t'), { name: 'TimeoutError' });
  assert.is(toRedCloudError(timeoutErr).code, 'TIMEOUT');
  assert.is(toRedCloudError(Object.assign(new Error('a'), { name: 'AbortError' })).code, 'ABORTED');
  assert.is(toRedCloudError(Object.assign(new Error('a'), { name: 'AbortError', cause: timeoutErr })).code, 'TIMEOUT');
  const cases: Record<string, string> = {
    ENOSPC: 'NO_SPACE', EDQUOT: 'NO_SPACE', ENOENT: 'NOT_FOUND', EEXIST: 'EXISTS', ETIMEDOUT: 'TIMEOUT',
    ECONNREFUSED: 'UNAVAILABLE', ECONNRESET: 'UNAVAILABLE', ENOTFOUND: 'UNAVAILABLE', EPIPE: 'UNAVAILABLE',
    EWHATEVER: 'INTERNAL',
  };
  for (const [sys, code] of Object.entries(cases)) {
    const e = toRedCloudError(Object.assign(new Error(`boom ${sys}`), { code: sys }));
    assert.is(e.code, code, sys);
    assert.is(e.message, `boom ${sys}`);
  }
  const s = toRedCloudError('plain string');
  assert.is(s.code, 'INTERNAL');
  assert.is(s.message, 'plain string');
});

test('isRetryable', () => {
  assert.is(isRetryable(errors.unavailable('x')), true);
  assert.is(isRetryable(errors.timeout('x')), true);
  assert.is(isRetryable(errors.integrity('x')), true);
  assert.is(isRetryable(errors.notFound('x')), false);
  assert.is(isRetryable(errors.forbidden('x')), false);
  assert.is(isRetryable(errors.invalid('x')), false);
});

test.run();
