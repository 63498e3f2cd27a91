/**
 * Extended attributes through the fuse-native ops as the patched addon calls them:
 * getxattr(path, name, size, cb(res, data)) and listxattr(path, size, cb(res, data)).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { xattrNameList, xattrReply } from '../../../fuse/ops.js';
import { call, withRig, type Rig } from './helpers.js';

const ENODATA = -61;
const EEXIST = -17;
const ERANGE = -34;
const ENOTSUP = -95;
const E2BIG = -7;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

/** getxattr with a buffer of `size` bytes: [res, data] */
const get = (r: Rig, path: string, name: string, size = 1024) => call(r.ops.getxattr, path, name, size) as Promise<[number, Buffer | undefined]>;
const list = (r: Rig, path: string, size = 1024) => call(r.ops.listxattr, path, size) as Promise<[number, Buffer | undefined]>;
const set = (r: Rig, path: string, name: string, value: string | Buffer, flags = 0) =>
  call(r.ops.setxattr, path, name, Buffer.from(value), 0, flags) as Promise<[number]>;

test('xattrReply: size 0 probes the length, a short buffer is ERANGE, else the bytes', () => {
  const v = Buffer.from('abcdef');
  assert.equal(xattrReply(v, 0), { res: 6 });
  assert.equal(xattrReply(v, 5), { res: ERANGE });
  assert.equal(xattrReply(v, 6), { res: 6, data: v });
  assert.equal(xattrReply(Buffer.alloc(0), 10), { res: 0, data: Buffer.alloc(0) });
  assert.equal(xattrNameList(['user.a', 'user.bc']), Buffer.from('user.a\0user.bc\0'));
});

test('set, get, list and remove a user attribute; size probing and ERANGE as Linux', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await get(r, '/f', 'user.a'), [ENODATA]);
  assert.equal(await set(r, '/f', 'user.a', 'value'), [0]);
  assert.equal(await get(r, '/f', 'user.a', 0), [5, undefined], 'probe: the length');
  assert.equal(await get(r, '/f', 'user.a', 4), [ERANGE, undefined]);
  const [n, data] = await get(r, '/f', 'user.a', 5);
  assert.is(n, 5);
  assert.is(data!.toString(), 'value');
  assert.equal(await set(r, '/f', 'security.ima', 'ctx'), [0]);
  const names = 'user.a\0security.ima\0';
  assert.equal(await list(r, '/f', 0), [names.length, undefined]);
  assert.equal(await list(r, '/f', names.length - 1), [ERANGE, undefined]);
  const [ln, ldata] = await list(r, '/f', names.length);
  assert.is(ln, names.length);
  assert.is(ldata!.toString(), names);
  assert.equal(await call(r.ops.removexattr, '/f', 'user.a'), [0]);
  assert.equal(await call(r.ops.removexattr, '/f', 'user.a'), [ENODATA]);
  assert.equal(await get(r, '/f', 'user.a'), [ENODATA]);
  assert.equal(await set(r, '/f', 'user.empty', ''), [0]);
  assert.equal(await get(r, '/f', 'user.empty'), [0, Buffer.alloc(0)], 'an empty value exists');
}));

test('XATTR_CREATE fails with EEXIST on an existing name, XATTR_REPLACE with ENODATA on a missing one', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await set(r, '/f', 'user.a', '1', XATTR_REPLACE), [ENODATA]);
  assert.equal(await set(r, '/f', 'user.a', '1', XATTR_CREATE), [0]);
  assert.equal(await set(r, '/f', 'user.a', '2', XATTR_CREATE), [EEXIST]);
  assert.equal(await set(r, '/f', 'user.a', '3', XATTR_REPLACE), [0]);
  assert.is((await get(r, '/f', 'user.a'))[1]!.toString(), '3');
  assert.equal(r.client.requests.setXattr!.map((q) => (q as { flag?: string }).flag), ['replace', 'create', 'create', 'replace']);
}));

test('namespaces other than user., trusted., security. are ENOTSUP; names over 255 bytes ERANGE; values over 64 KiB E2BIG', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await set(r, '/f', 'system.posix_acl_access', 'x'), [ENOTSUP]);
  assert.equal(await get(r, '/f', 'system.posix_acl_access'), [ENOTSUP]);
  assert.equal(await set(r, '/f', 'other.a', 'x'), [ENOTSUP]);
  assert.equal(await set(r, '/f', 'user.', 'x'), [ENOTSUP], 'a namespace alone is no name');
  assert.equal(await set(r, '/f', `user.${'n'.repeat(251)}`, 'x'), [ERANGE]);
  assert.equal(await set(r, '/f', `user.${'n'.repeat(250)}`, 'x'), [0], '255 bytes is fine');
  assert.equal(await set(r, '/f', 'user.big', Buffer.alloc(64 * 1024 + 1)), [E2BIG]);
  assert.equal(await set(r, '/f', 'user.big', Buffer.alloc(64 * 1024)), [0]);
  assert.equal(await set(r, '/f', 'trusted.t', 'x'), [0]);
  assert.is(r.client.calls.setXattr, 3, 'refused names never reach the controller');
}));

test('attributes belong to the inode: set through one hard link, read and listed through the other', () => withRig({}, async (r) => {
  r.client.putFile('/a', Buffer.from('x'));
  assert.equal(await call(r.ops.link, '/a', '/b'), [0]);
  assert.equal(await set(r, '/a', 'user.k', 'v'), [0]);
  assert.is((await get(r, '/b', 'user.k'))[1]!.toString(), 'v');
  assert.is((await list(r, '/b'))[1]!.toString(), 'user.k\0');
}));

test('user.redcloud.tags is the file\'s tags, listed with the other attributes', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await get(r, '/f', 'user.redcloud.tags'), [ENODATA]);
  assert.is((await list(r, '/f'))[0], 0, 'nothing to list');
  assert.equal(await set(r, '/f', 'user.redcloud.tags', 'a, b'), [0]);
  assert.equal(r.client.entries.get('/f')!.tags, ['a', 'b']);
  assert.equal(await set(r, '/f', 'user.redcloud.tags', 'x', XATTR_CREATE), [EEXIST]);
  assert.equal(await set(r, '/f', 'user.redcloud.tags', 'b,c', XATTR_REPLACE), [0]);
  assert.is((await get(r, '/f', 'user.redcloud.tags'))[1]!.toString(), 'b,c');
  assert.equal(await set(r, '/f', 'user.z', '1'), [0]);
  assert.is((await list(r, '/f'))[1]!.toString(), 'user.z\0user.redcloud.tags\0user.xdg.tags\0');
  assert.equal(await call(r.ops.removexattr, '/f', 'user.redcloud.tags'), [0]);
  assert.equal(r.client.entries.get('/f')!.tags, []);
  assert.is(r.client.calls.setXattr, 1, 'tags go through client.tag');
}));

test('user.xdg.tags (freedesktop) is the same list: setting either sets the tags, removing either removes them', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await get(r, '/f', 'user.xdg.tags'), [ENODATA]);
  assert.equal(await set(r, '/f', 'user.xdg.tags', 'holiday,2024'), [0]);
  assert.equal(r.client.entries.get('/f')!.tags, ['holiday', '2024']);
  assert.is((await get(r, '/f', 'user.redcloud.tags'))[1]!.toString(), 'holiday,2024');
  assert.equal(await set(r, '/f', 'user.redcloud.tags', 'holiday'), [0]);
  assert.is((await get(r, '/f', 'user.xdg.tags'))[1]!.toString(), 'holiday');
  assert.equal(await call(r.ops.removexattr, '/f', 'user.xdg.tags'), [0]);
  assert.equal(r.client.entries.get('/f')!.tags, []);
  assert.is(r.client.calls.setXattr ?? 0, 0, 'neither is stored as a plain attribute');
}));

test('security.capability of a file just created here is ENODATA without asking; once an attribute is set it is asked again', () => withRig({ nowMs: () => 1_000_000 }, async (r) => {
  const [res, fd] = await call(r.ops.create, '/new', 0o100644) as [number, number];
  assert.is(res, 0);
  const asked = r.client.calls.getXattr ?? 0;
  assert.equal(await get(r, '/new', 'security.capability'), [ENODATA]);
  assert.equal(await call(r.ops.write, '/new', fd, Buffer.from('x'), 1, 0), [1]);
  assert.equal(await get(r, '/new', 'security.capability'), [ENODATA]);
  assert.is(r.client.calls.getXattr ?? 0, asked, 'answered by the mount');
  assert.equal(await get(r, '/new', 'user.other'), [ENODATA]);
  assert.is(r.client.calls.getXattr ?? 0, asked, 'nor other names the cached entry does not have');
  assert.equal(await call(r.ops.release, '/new', fd), [0]);
  assert.equal(await set(r, '/new', 'security.capability', 'cap'), [0]);
  const [n, data] = await get(r, '/new', 'security.capability');
  assert.is(n, 3);
  assert.is(data!.toString(), 'cap');
  // a file that was not created by this mount is always asked
  r.client.putFile('/old', Buffer.from('x'));
  const before = r.client.calls.getXattr;
  assert.equal(await get(r, '/old', 'security.capability'), [ENODATA]);
  assert.is(r.client.calls.getXattr, before + 1);
}));

test('security.capability: an absent answer from the controller is remembered for the attribute TTL (the kernel asks before every write)', () => {
  let nowMs = 1_000_000;
  return withRig({ nowMs: () => nowMs }, async (r) => {
    const [res, fd] = await call(r.ops.create, '/big', 0o100644) as [number, number];
    assert.is(res, 0);
    nowMs += 1500; // past the TTL of what the create knew
    const asked = r.client.calls.getXattr ?? 0;
    for (let i = 0; i < 5; i++) {
      assert.equal(await call(r.ops.write, '/big', fd, Buffer.from('x'), 1, i), [1]);
      assert.equal(await get(r, '/big', 'security.capability'), [ENODATA]);
    }
    assert.is(r.client.calls.getXattr ?? 0, asked + 1, 'one question for five writes');
    nowMs += 1500;
    assert.equal(await get(r, '/big', 'security.capability'), [ENODATA]);
    assert.is(r.client.calls.getXattr ?? 0, asked + 2, 'asked again once the TTL passed');
    assert.equal(await call(r.ops.release, '/big', fd), [0]);
    assert.equal(await set(r, '/big', 'security.capability', 'cap'), [0]);
    assert.is((await get(r, '/big', 'security.capability'))[0], 3, 'a set here forgets the remembered absence');
  });
});

test('a controller without the xattr routes: an existing file has only its tags', () => withRig({ legacy: true }, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await get(r, '/f', 'user.a'), [ENODATA], 'not ENOENT: the file is there');
  assert.is((await list(r, '/f'))[0], 0);
  assert.equal(await set(r, '/f', 'user.a', '1'), [ENOTSUP]);
  assert.equal(await get(r, '/nope', 'user.a'), [-2], 'a missing file is still ENOENT');
  assert.equal(await set(r, '/f', 'user.redcloud.tags', 't'), [0]);
  assert.is((await list(r, '/f'))[1]!.toString(), 'user.redcloud.tags\0user.xdg.tags\0');
}));

test('security.selinux is never kept: get is ENODATA asking nothing (ls -l asks every file), set ENOTSUP, a stored one is not listed', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  const requests = (): number => Object.values(r.client.calls).reduce((a, b) => a + b, 0);
  const before = requests();
  assert.equal(await get(r, '/f', 'security.selinux'), [ENODATA]);
  assert.is(requests(), before, 'no request: not even a stat');
  assert.equal(await set(r, '/f', 'security.selinux', 'system_u:object_r:tmp_t'), [ENOTSUP]);
  assert.equal(await call(r.ops.removexattr, '/f', 'security.selinux'), [ENODATA]);
  // as a version that kept it may have stored it
  await r.client.setXattr('/f', 'security.selinux', Buffer.from('ctx'));
  await r.client.setXattr('/f', 'user.a', Buffer.from('1'));
  assert.is((await list(r, '/f'))[1]!.toString(), 'user.a\0');
}));

test.run();

// the mount's clock stands still: the cached entry cannot expire however slow the machine is
test('a cached entry that names its xattrs answers getxattr of other names without asking the controller (ls -l asks every file)', () => withRig({ nowMs: () => 1_000_000 }, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await call(r.ops.getattr, '/f').then(([res]) => res), 0);
  const asked = () => r.client.calls.getXattr ?? 0;
  assert.equal(await get(r, '/f', 'security.ima'), [ENODATA]);
  assert.equal(await get(r, '/f', 'system.posix_acl_access').then(([res]) => res), ENOTSUP, 'a namespace RedCloud does not keep');
  assert.is(asked(), 0, 'answered from the cached entry');
  assert.equal(await set(r, '/f', 'user.a', 'v'), [0]);
  const [n, data] = await get(r, '/f', 'user.a');
  assert.is(n, 1);
  assert.is(data!.toString(), 'v', 'the mount\'s own setxattr is seen at once');
  assert.is(asked(), 1, 'a name the entry has is read from the controller');
  assert.equal(await call(r.ops.getattr, '/f').then(([res]) => res), 0, 'stat first, as ls does');
  assert.equal(await get(r, '/f', 'user.b'), [ENODATA]);
  assert.is(asked(), 1);
}));
