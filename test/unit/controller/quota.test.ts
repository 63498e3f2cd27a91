// Per-user quotas (quota.ts, quota-spec.ts): the pure decisions, the configuration, and the
// controller's API refusing a write past a quota with QUOTA_EXCEEDED (507) while committing
// nothing of it, statfs showing the quota as the size, and shrinking always allowed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { controllerSchema, loadConfig, parseBytes } from '../../../src/common/config.js';
import { ERROR_TABLE } from '../../../src/common/errors.js';
import { NO_QUOTA, limitsFor, parseQuotaUsers } from '../../../src/common/quota-spec.js';
import { byteLimit, quotaStatfs, quotaViolation } from '../../../src/controller/quota.js';
import { chunkId, makeController, type TestController } from './helpers.js';

const L = (l: Partial<typeof NO_QUOTA>) => ({ ...NO_QUOTA, ...l });

test('quotaViolation: growing past a limit is refused; staying under, or shrinking while over, is not', () => {
  const lim = L({ bytes: 100, files: 3 });
  assert.is(quotaViolation(lim, { files: 1, bytes: 0 }, { files: 2, bytes: 100 }, 1), undefined, 'exactly at the limit');
  assert.equal(quotaViolation(lim, { files: 1, bytes: 0 }, { files: 2, bytes: 101 }, 1), { kind: 'bytes', limit: 100, used: 101 });
  assert.equal(quotaViolation(lim, { files: 3, bytes: 0 }, { files: 4, bytes: 0 }, 1), { kind: 'files', limit: 3, used: 4 });
  assert.is(quotaViolation(lim, { files: 9, bytes: 500 }, { files: 8, bytes: 400 }, 1), undefined, 'over the quota, shrinking');
  assert.is(quotaViolation(lim, { files: 9, bytes: 500 }, { files: 9, bytes: 500 }, 1), undefined, 'over the quota, unchanged (rename, chmod)');
  assert.equal(quotaViolation(L({ rawBytes: 250 }), { files: 1, bytes: 0 }, { files: 2, bytes: 100 }, 3), { kind: 'rawBytes', limit: 250, used: 300 });
  assert.is(quotaViolation(L({ rawBytes: 250 }), { files: 1, bytes: 0 }, { files: 2, bytes: 100 }, 2), undefined);
  assert.is(quotaViolation(NO_QUOTA, { files: 0, bytes: 0 }, { files: 1e9, bytes: 1e15 }, 5), undefined, '0 = no limit');
});

test('byteLimit and quotaStatfs: the quota is the size, free is what is left of it', () => {
  assert.is(byteLimit(L({ bytes: 1000, rawBytes: 1500 }), 3), 500);
  assert.is(byteLimit(NO_QUOTA, 3), 0);
  const cluster = { availBytes: 10_000, totalBytes: 20_000 };
  const fs = quotaStatfs(cluster, { files: 3, bytes: 400 }, L({ bytes: 1000, files: 10 }), 2);
  assert.equal(fs, {
    totalBytes: 1000, availBytes: 600, files: 3, filesFree: 7,
    usage: { files: 3, bytes: 400, rawBytes: 800 }, quota: { bytes: 1000, files: 10, rawBytes: 0 },
  });
  assert.is(quotaStatfs({ availBytes: 50, totalBytes: 20_000 }, { files: 3, bytes: 400 }, L({ bytes: 1000 }), 1).availBytes, 50, 'never more than the cluster has');
  assert.is(quotaStatfs(cluster, { files: 3, bytes: 4000 }, L({ bytes: 1000 }), 1).availBytes, 0, 'over the quota');
  const open = quotaStatfs(cluster, { files: 3, bytes: 400 }, NO_QUOTA, 1);
  assert.equal([open.totalBytes, open.availBytes, open.filesFree], [20_000, 10_000, undefined]);
});

test('QUOTA_USERS: per-user limits over the defaults; bad entries are refused at start naming the variable', () => {
  const users = parseQuotaUsers('alice:bytes=10G,files=100000; bob:raw-bytes=1M;carol:bytes=0', parseBytes);
  assert.equal(users, { alice: { bytes: 10 * 1024 ** 3, files: 100_000 }, bob: { rawBytes: 1024 ** 2 }, carol: { bytes: 0 } });
  const defaults = L({ bytes: 5, files: 6 });
  assert.equal(limitsFor(defaults, users, 'bob'), { bytes: 5, files: 6, rawBytes: 1024 ** 2 });
  assert.equal(limitsFor(defaults, users, 'carol'), { bytes: 0, files: 6, rawBytes: 0 });
  assert.equal(limitsFor(defaults, users, 'dave'), defaults);
  assert.equal(limitsFor(defaults, users, 'constructor'), defaults, 'no prototype keys');
  for (const bad of ['alice', 'alice:bytes', 'alice:size=1G', 'alice:files=1.5', 'alice:bytes=lots', ':bytes=1']) {
    assert.throws(() => parseQuotaUsers(bad, parseBytes), undefined, bad);
  }
  const cfg = loadConfig(controllerSchema, { QUOTA_BYTES: '1G', QUOTA_FILES: '10', QUOTA_USERS: 'alice:files=20' });
  assert.equal([cfg.quotaBytes, cfg.quotaFiles, cfg.quotaRawBytes, cfg.quotaUsers], [1024 ** 3, 10, 0, { alice: { files: 20 } }]);
  assert.throws(() => loadConfig(controllerSchema, { QUOTA_USERS: 'alice:size=1', QUOTA_FILES: '-1' }), (e: Error) => /QUOTA_USERS/.test(e.message) && /QUOTA_FILES/.test(e.message));
});

test('QUOTA_EXCEEDED: 507, EDQUOT, its own exit code', () => {
  assert.equal(ERROR_TABLE.QUOTA_EXCEEDED, { status: 507, errno: 'EDQUOT', exit: 10 });
  const exits = Object.entries(ERROR_TABLE).filter(([c]) => c !== 'QUOTA_EXCEEDED').map(([, e]) => e.exit);
  assert.not.ok(exits.includes(10), 'no other code exits 10');
});

let t: TestController;
let n = 100;
async function commit(token: string, path: string, size: number) {
  const id = chunkId(n++);
  return t.call('POST', '/v1/fs/commit', { path, size, chunks: [{ id, size }], receipts: { [id]: [t.receipt(id, 'cs1', size)] } }, token);
}
const names = async (token: string, dir = '/') => (await t.call('GET', `/v1/fs/list?path=${dir}`, undefined, token)).json.entries.map((e: { path: string; size: number }) => `${e.path}:${e.size}`);

test('the API refuses a write past the quota and commits nothing of it', async () => {
  t = await makeController({ QUOTA_BYTES: '1000', QUOTA_FILES: '4', QUOTA_USERS: 'bob:bytes=0,files=0' });
  try {
    const alice = await t.login('alice');
    assert.is((await commit(alice, '/a', 600)).status, 200);
    const over = await commit(alice, '/dir/b', 500);
    assert.is(over.status, 507);
    assert.is(over.json.code, 'QUOTA_EXCEEDED');
    assert.equal(over.json.details, { user: 'alice', quota: 'bytes', limit: 1000, used: 1100 });
    assert.equal(await names(alice), ['/a:600'], 'neither the file nor its parent directory was made');
    let fs = (await t.call('GET', '/v1/fs/statfs', undefined, alice)).json;
    assert.equal([fs.totalBytes, fs.availBytes, fs.files, fs.filesFree], [1000, 0, 2, 2], 'free: no chunkserver here has any');
    assert.is((await commit(alice, '/a', 900)).status, 200, 'rewriting within the quota');
    assert.is((await commit(alice, '/a', 1001)).status, 507, 'growing a file past it');
    assert.equal(await names(alice), ['/a:900'], 'the old version stays');
    assert.is((await t.call('POST', '/v1/fs/mkdir', { path: '/d1' }, alice)).status, 200);
    assert.is((await t.call('POST', '/v1/fs/symlink', { path: '/s', target: 'a' }, alice)).status, 200);
    const fifth = await t.call('POST', '/v1/fs/mkdir', { path: '/d2' }, alice);
    assert.equal([fifth.status, fifth.json.details?.quota], [507, 'files']);
    fs = (await t.call('GET', '/v1/fs/statfs', undefined, alice)).json;
    assert.equal([fs.files, fs.filesFree, fs.usage, fs.quota], [4, 0, { files: 4, bytes: 900, rawBytes: 900 }, { bytes: 1000, files: 4, rawBytes: 0 }]);
    assert.is((await t.call('POST', '/v1/fs/remove', { path: '/s' }, alice)).status, 200, 'removing is always allowed');
    assert.is((await t.call('POST', '/v1/fs/mkdir', { path: '/d2' }, alice)).status, 200, 'and makes room');
    const bob = await t.login('bob');
    assert.is((await commit(bob, '/big', 5000)).status, 200, 'QUOTA_USERS lifts the defaults for bob');
    fs = (await t.call('GET', '/v1/fs/statfs', undefined, bob)).json;
    assert.equal([fs.usage.bytes, fs.filesFree, fs.quota.bytes], [5000, undefined, 0]);
  } finally {
    await t.close();
  }
});

test.run();
