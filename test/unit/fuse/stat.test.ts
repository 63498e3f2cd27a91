import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EntryInfo } from '../../../src/common/api.js';
import { FallbackInos, FALLBACK_INO_TOP, ROOT_INO } from '../../../fuse/inos.js';
import {
  mknodKind, msToTimespec, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK, STATFS_BSIZE_BYTES,
  STATFS_FREE_FILES, toStat, toStatfs,
} from '../../../fuse/stat.js';

const FALLBACK = { uid: 1000, gid: 1001, ino: 77 };

function entry(over: Partial<EntryInfo>): EntryInfo {
  return { path: '/f', kind: 'file', size: 10, mode: 0o644, mtimeMs: 1_700_000_000_123, ctimeMs: 1_700_000_000_456, tags: [], version: '1', ...over };
}

test('toStat takes ino, owner, nlink, rdev and ns times from the inode', () => {
  const st = toStat(entry({
    kind: 'char', mode: 0o4755, ino: 2 ** 40 + 5, uid: 0, gid: 0, nlink: 3, rdev: 0x0103,
    atime: { sec: 1, nsec: 2 }, mtime: { sec: -10, nsec: 999_999_999 }, ctime: { sec: 2 ** 33, nsec: 7 },
  }), FALLBACK);
  assert.is(st.ino, 2 ** 40 + 5);
  assert.is(st.mode, S_IFCHR | 0o4755, 'type bits and setuid');
  assert.is(st.uid, 0, 'uid 0 is not "absent"');
  assert.is(st.gid, 0);
  assert.is(st.nlink, 3);
  assert.is(st.rdev, 0x0103);
  assert.equal(st.atime, { sec: 1, nsec: 2 });
  assert.equal(st.mtime, { sec: -10, nsec: 999_999_999 });
  assert.equal(st.ctime, { sec: 2 ** 33, nsec: 7 });
});

test('toStat without the inode fields: the mount ino and owner, nlink 1 or 2, times from mtimeMs', () => {
  const st = toStat(entry({}), FALLBACK);
  assert.is(st.ino, 77);
  assert.is(st.uid, 1000);
  assert.is(st.gid, 1001);
  assert.is(st.nlink, 1);
  assert.is(st.rdev, 0);
  assert.equal(st.mtime, { sec: 1_700_000_000, nsec: 123_000_000 });
  assert.equal(st.atime, st.mtime);
  assert.equal(st.ctime, st.mtime, 'ctime = mtime as before (tar)');
  assert.is(toStat(entry({ kind: 'dir' }), FALLBACK).nlink, 2);
  assert.is(toStat(entry({ kind: 'dir', size: 0 }), FALLBACK).size, 4096);
  // rdev only for devices
  assert.is(toStat(entry({ kind: 'file', rdev: 5 }), FALLBACK).rdev, 0);
});

test('toStat: every kind gets its file type bits', () => {
  const kinds = { dir: S_IFDIR, file: S_IFREG, symlink: S_IFLNK, fifo: S_IFIFO, char: S_IFCHR, block: S_IFBLK, socket: S_IFSOCK } as const;
  for (const [kind, bits] of Object.entries(kinds)) {
    assert.is(toStat(entry({ kind: kind as EntryInfo['kind'], mode: 0o1777 }), FALLBACK).mode, bits | 0o1777, kind);
  }
});

test('msToTimespec floors, so a time before 1970 keeps a non-negative nsec', () => {
  assert.equal(msToTimespec(-1), { sec: -1, nsec: 999_000_000 });
  assert.equal(msToTimespec(1500), { sec: 1, nsec: 500_000_000 });
  assert.equal(msToTimespec(0), { sec: 0, nsec: 0 });
});

test('mknodKind: the types mknod makes, S_IFREG and no type as a regular file, others refused', () => {
  assert.equal(mknodKind(S_IFIFO | 0o644), { kind: 'fifo', perm: 0o644 });
  assert.equal(mknodKind(S_IFCHR | 0o600), { kind: 'char', perm: 0o600 });
  assert.equal(mknodKind(S_IFBLK | 0o2660), { kind: 'block', perm: 0o2660 });
  assert.equal(mknodKind(S_IFSOCK | 0o755), { kind: 'socket', perm: 0o755 });
  assert.equal(mknodKind(S_IFREG | 0o644), { kind: 'file', perm: 0o644 });
  assert.equal(mknodKind(0o644), { kind: 'file', perm: 0o644 });
  assert.is(mknodKind(S_IFDIR | 0o755), undefined);
  assert.is(mknodKind(S_IFLNK | 0o777), undefined);
});

test('toStatfs: blocks from totalBytes, free from availBytes, files used + a large free count, namemax 255', () => {
  const st = toStatfs({ totalBytes: 1000 * STATFS_BSIZE_BYTES + 5, availBytes: 250 * STATFS_BSIZE_BYTES, files: 42 });
  assert.is(st.blocks, 1000);
  assert.is(st.bfree, 250);
  assert.is(st.bavail, 250);
  assert.is(st.ffree, STATFS_FREE_FILES);
  assert.is(st.files, 42 + STATFS_FREE_FILES);
  assert.is(st.namemax, 255);
  const huge = toStatfs({ totalBytes: 2 ** 60, availBytes: 2 ** 60, files: 2 ** 40 });
  assert.is(huge.blocks, 0xffff_ffff, '32-bit fields saturate');
  assert.is(huge.files, 0xffff_ffff);
});

test('toStatfs with a file quota: the inodes are the quota (used + what is left of it)', () => {
  const st = toStatfs({ totalBytes: 64 * STATFS_BSIZE_BYTES, availBytes: 60 * STATFS_BSIZE_BYTES, files: 5, filesFree: 3 });
  assert.equal([st.files, st.ffree, st.favail, st.blocks, st.bfree], [8, 3, 3, 64, 60]);
  assert.equal([toStatfs({ totalBytes: 0, availBytes: 0, files: 9, filesFree: 0 }).files, toStatfs({ totalBytes: 0, availBytes: 0, files: 9, filesFree: 0 }).ffree], [9, 0]);
});

test('FallbackInos: one number per path, kept by a rename, distinct and far above controller numbers', () => {
  const inos = new FallbackInos();
  assert.is(inos.of('/'), ROOT_INO);
  const a = inos.of('/a');
  const b = inos.of('/d/b');
  assert.is(a, FALLBACK_INO_TOP);
  assert.is.not(a, b);
  assert.is(inos.of('/a'), a, 'stable');
  inos.move('/d', '/e', true);
  assert.is(inos.of('/e/b'), b, 'moved with its directory');
  inos.move('/a', '/z', false);
  assert.is(inos.of('/z'), a);
  assert.is.not(inos.of('/a'), a, 'the old name is a new file');
  inos.forget('/z');
  assert.is.not(inos.of('/z'), a);
});

test.run();
