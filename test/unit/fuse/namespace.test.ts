/**
 * The mount over the inode namespace: readdir's . and .., chown/chmod/utimens as setattr, mknod,
 * hard links (one inode, exact nlink, bytes written through one name read through the other),
 * creates owned by the caller with setgid-directory inheritance, a rename while open committing to
 * the inode, statfs, and the fallbacks for controllers without the inode fields.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type FuseStat } from '../../../fuse/stat.js';
import { stagedTimes } from '../../../fuse/attr-ops.js';
import { O_RDONLY, O_WRONLY, call, withRig, type Rig } from './helpers.js';

const NOBODY = { uid: 65534, gid: 65534 };

async function stat(r: Rig, path: string): Promise<FuseStat> {
  const [err, st] = await call(r.ops.getattr, path) as [number, FuseStat];
  assert.is(err, 0, `getattr ${path}`);
  return st;
}

async function writeFile(r: Rig, path: string, data: string, flags = O_WRONLY): Promise<void> {
  const [err, fd] = await call(r.ops.open, path, flags) as [number, number];
  assert.is(err, 0, `open ${path}`);
  assert.equal(await call(r.ops.write, path, fd, Buffer.from(data), data.length, 0), [data.length]);
  assert.equal(await call(r.ops.release, path, fd), [0]);
}

async function readFile(r: Rig, path: string): Promise<string> {
  const [err, fd] = await call(r.ops.open, path, O_RDONLY) as [number, number];
  assert.is(err, 0, `open ${path}`);
  const buf = Buffer.alloc(1000);
  const [n] = await call(r.ops.read, path, fd, buf, buf.length, 0) as [number];
  await call(r.ops.release, path, fd);
  return buf.subarray(0, n).toString();
}

test('readdir lists . and .. first, with the directory\'s and its parent\'s inode numbers', () => withRig({}, async (r) => {
  r.client.putFile('/d/f', Buffer.from('x'));
  const [err, names, stats] = await call(r.ops.readdir, '/d') as [number, string[], FuseStat[]];
  assert.is(err, 0);
  assert.equal(names, ['.', '..', 'f']);
  assert.is(stats[0]!.ino, r.client.entries.get('/d')!.ino);
  assert.is(stats[1]!.ino, r.client.entries.get('/')!.ino);
  assert.is(stats[2]!.ino, r.client.entries.get('/d/f')!.ino);
  const [, rootNames, rootStats] = await call(r.ops.readdir, '/') as [number, string[], FuseStat[]];
  assert.equal(rootNames.slice(0, 2), ['.', '..']);
  assert.is(rootStats[1]!.ino, rootStats[0]!.ino, "the root's .. is itself");
}));

test('readdir gives each name its inode number and type bits (all libfuse passes on)', () => withRig({}, async (r) => {
  r.client.putFile('/d/f', Buffer.from('x'));
  await r.client.mkdir('/d/sub');
  await r.client.symlink('/d/l', 'f');
  const [err, names, stats] = await call(r.ops.readdir, '/d') as [number, string[], FuseStat[]];
  assert.is(err, 0);
  const byName = new Map(names.map((n, i) => [n, stats[i]!]));
  assert.is(byName.get('f')!.mode & S_IFMT, S_IFREG);
  assert.is(byName.get('sub')!.mode & S_IFMT, S_IFDIR);
  assert.is(byName.get('l')!.mode & S_IFMT, S_IFLNK);
  assert.is(byName.get('.')!.mode & S_IFMT, S_IFDIR);
  assert.is(byName.get('sub')!.ino, r.client.entries.get('/d/sub')!.ino);
  assert.is(byName.get('..')!.ino, r.client.entries.get('/')!.ino);
}));

test('chown: -1 leaves that id alone, both -1 asks nothing; chmod keeps setuid, setgid and sticky', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  assert.equal(await call(r.ops.chown, '/f', 1234, 0xffff_ffff), [0]);
  assert.equal(r.client.requests.setattr!.at(-1), { path: '/f', uid: 1234 });
  assert.equal(await call(r.ops.chown, '/f', -1, 99), [0]);
  assert.equal(r.client.requests.setattr!.at(-1), { path: '/f', gid: 99 });
  const calls = r.client.calls.setattr;
  assert.equal(await call(r.ops.chown, '/f', 0xffff_ffff, 0xffff_ffff), [0]);
  assert.is(r.client.calls.setattr, calls, 'nothing to change');
  const st = await stat(r, '/f');
  assert.is(st.uid, 1234, 'the cached attributes were dropped');
  assert.is(st.gid, 99);
  assert.equal(await call(r.ops.chmod, '/f', S_IFREG | 0o7755), [0]);
  assert.is(r.client.entries.get('/f')!.mode, 0o7755);
  assert.is((await stat(r, '/f')).mode, S_IFREG | 0o7755);
}));

test('utimens: atime and mtime with nanoseconds, "now", and "omit" for either', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  const e = r.client.entries.get('/f')!;
  assert.equal(await call(r.ops.utimens, '/f', { sec: 100, nsec: 5 }, { sec: -200, nsec: 999_999_999 }), [0]);
  assert.equal(e.atime, { sec: 100, nsec: 5 });
  assert.equal(e.mtime, { sec: -200, nsec: 999_999_999 });
  assert.is((r.client.requests.setattr!.at(-1) as { mtimeMs?: number }).mtimeMs, undefined, 'no negative mtimeMs for old controllers to refuse');
  const st = await stat(r, '/f');
  assert.equal(st.mtime, { sec: -200, nsec: 999_999_999 });
  assert.equal(st.atime, { sec: 100, nsec: 5 });
  // touch -m -d: the atime is left alone
  assert.equal(await call(r.ops.utimens, '/f', 'omit', { sec: 300, nsec: 0 }), [0]);
  assert.equal(e.atime, { sec: 100, nsec: 5 });
  assert.equal(e.mtime, { sec: 300, nsec: 0 });
  // touch -a: the mtime is left alone, the atime becomes the controller's now
  assert.equal(await call(r.ops.utimens, '/f', 'now', 'omit'), [0]);
  assert.equal(r.client.requests.setattr!.at(-1), { path: '/f', atime: 'now' });
  assert.equal(e.mtime, { sec: 300, nsec: 0 });
  const calls = r.client.calls.setattr;
  assert.equal(await call(r.ops.utimens, '/f', 'omit', 'omit'), [0]);
  assert.is(r.client.calls.setattr, calls, 'both omitted: nothing asked');
}));

test('cp -a on a new file: futimens before close commits the bytes with the times to the nanosecond (one request, no setattr); fchmod then is one setattr', () => withRig({}, async (r) => {
  for (const name of ['/f', '/g']) { // the first create asks the controller (mknod), the second is in a burst
    const [, fd] = await call(r.ops.create, name, S_IFREG | 0o600) as [number, number];
    await call(r.ops.write, name, fd, Buffer.from('abc'), 3, 0);
    assert.equal(await call(r.ops.utimens, name, { sec: 5, nsec: 6 }, { sec: 7, nsec: 8 }), [0]);
    assert.equal(r.client.entries.get(name)!.mtime, { sec: 7, nsec: 8 }, 'committed with the times at the utimens');
    assert.equal(await call(r.ops.chmod, name, S_IFREG | 0o644), [0]);
    const staged = await stat(r, name);
    assert.equal(staged.mtime, { sec: 7, nsec: 8 }, 'stat before close shows the times set');
    assert.equal(staged.atime, { sec: 5, nsec: 6 });
    assert.is(staged.mode, S_IFREG | 0o644);
    assert.equal(await call(r.ops.release, name, fd), [0]);
    const e = r.client.entries.get(name)!;
    assert.equal(e.mtime, { sec: 7, nsec: 8 });
    assert.equal(e.atime, { sec: 5, nsec: 6 });
    assert.is(e.mode, 0o644);
    assert.is(r.client.content(name).toString(), 'abc');
  }
  assert.is(r.client.calls.setattr, 2, 'one setattr per file: the chmod');
  assert.is((r.client.calls.commitInline ?? 0) + (r.client.calls.commitChunks ?? 0) + (r.client.calls.commitExtents ?? 0), 2, 'one commit per file');
}));

test('a write after a deferred utimens moves mtime to now (ext4) and keeps the atime set; before 1970 works too', () => withRig({}, async (r) => {
  const [, fd] = await call(r.ops.create, '/f', S_IFREG | 0o644) as [number, number];
  await call(r.ops.write, '/f', fd, Buffer.from('abc'), 3, 0);
  assert.equal(await call(r.ops.utimens, '/f', { sec: -5, nsec: 6 }, { sec: -7, nsec: 8 }), [0]);
  assert.equal((await stat(r, '/f')).mtime, { sec: -7, nsec: 8 });
  await call(r.ops.write, '/f', fd, Buffer.from('d'), 1, 3);
  assert.ok((await stat(r, '/f')).mtime.sec > 1_000_000_000, 'the write moved mtime');
  assert.equal(await call(r.ops.release, '/f', fd), [0]);
  const e = r.client.entries.get('/f')!;
  assert.ok(e.mtime.sec > 1_000_000_000);
  assert.equal(e.atime, { sec: -5, nsec: 6 });
  assert.is(r.client.content('/f').toString(), 'abcd');
}));

test('utimens on an existing file with uncommitted bytes commits them with the times: one request, and the commit does not overwrite the times', () => withRig({}, async (r) => {
  r.client.putFile('/f', Buffer.from('x'));
  const [, fd] = await call(r.ops.open, '/f', O_WRONLY) as [number, number];
  await call(r.ops.write, '/f', fd, Buffer.from('abc'), 3, 0);
  assert.equal(await call(r.ops.utimens, '/f', { sec: 5, nsec: 6 }, { sec: 7, nsec: 8 }), [0]);
  assert.is(r.client.calls.setattr ?? 0, 0, 'no setattr');
  assert.equal(r.client.entries.get('/f')!.mtime, { sec: 7, nsec: 8 }, 'committed at the utimens');
  assert.equal(await call(r.ops.release, '/f', fd), [0]);
  assert.equal(r.client.entries.get('/f')!.mtime, { sec: 7, nsec: 8 });
  assert.is(r.client.content('/f').toString(), 'abc');
}));

test('creates are owned by the caller; in a setgid directory they take its group, and a new directory is setgid too', () => withRig({ caller: () => NOBODY }, async (r) => {
  await r.client.mkdir('/plain', { mode: 0o777 });
  await r.client.mkdir('/sg', { mode: 0o2777, uid: 0, gid: 100 });
  const [, fd] = await call(r.ops.create, '/plain/f', S_IFREG | 0o644) as [number, number];
  assert.equal(await call(r.ops.release, '/plain/f', fd), [0]);
  assert.equal(r.client.requests.mknod!.at(-1), { path: '/plain/f', kind: 'file', mode: 0o644, uid: 65534, gid: 65534 });
  const f = await stat(r, '/plain/f');
  assert.is(f.uid, 65534);
  assert.is(f.gid, 65534);

  const [, fd2] = await call(r.ops.create, '/sg/f', S_IFREG | 0o644) as [number, number];
  const staged = await stat(r, '/sg/f');
  assert.is(staged.gid, 100, 'before the commit too');
  assert.equal(await call(r.ops.release, '/sg/f', fd2), [0]);
  assert.is(r.client.entries.get('/sg/f')!.gid, 100);
  assert.is(r.client.entries.get('/sg/f')!.uid, 65534);
  assert.is(r.client.entries.get('/sg/f')!.mode, 0o644, 'a file does not become setgid');

  assert.equal(await call(r.ops.mkdir, '/sg/sub', 0o755), [0]);
  const sub = r.client.entries.get('/sg/sub')!;
  assert.is(sub.gid, 100);
  assert.is(sub.mode, 0o2755, 'a directory inherits the setgid bit');
  assert.equal(await call(r.ops.mkdir, '/plain/sub', 0o755), [0]);
  assert.is(r.client.entries.get('/plain/sub')!.gid, 65534);
  assert.is(r.client.entries.get('/plain/sub')!.mode, 0o755);

  assert.equal(await call(r.ops.symlink, 'target', '/sg/l'), [0]);
  assert.equal(r.client.requests.symlink!.at(-1), { path: '/sg/l', target: 'target', uid: 65534, gid: 100 });
  assert.equal(await call(r.ops.mknod, '/sg/p', S_IFIFO | 0o600, 0), [0]);
  assert.is(r.client.entries.get('/sg/p')!.gid, 100);
  assert.is(r.client.entries.get('/sg/p')!.uid, 65534);
}));

test('the caller is read when the op arrives, before anything awaits (the addon\'s context is the next request\'s after that)', async () => {
  let who = NOBODY;
  await withRig({ caller: () => who }, async (r) => {
    const pending = call(r.ops.mkdir, '/d', 0o755);
    who = { uid: 0, gid: 0 };
    assert.equal(await pending, [0]);
    assert.is(r.client.entries.get('/d')!.uid, 65534);
  });
});

test('a create shows in its directory\'s mtime and ctime at once, without asking the controller for the directory again', async () => {
  let nowMs = 1_700_000_000_000;
  await withRig({ clusterNowMs: () => nowMs }, async (r) => {
    await r.client.mkdir('/d');
    const before = await stat(r, '/d');
    nowMs += 5000;
    const [, fd] = await call(r.ops.create, '/d/f', S_IFREG | 0o644) as [number, number];
    assert.equal(await call(r.ops.release, '/d/f', fd), [0]);
    const stats = r.client.calls.stat;
    const after = await stat(r, '/d');
    assert.is(r.client.calls.stat, stats, 'answered from the cache');
    assert.equal(after.mtime, { sec: before.mtime.sec + 5, nsec: 0 });
    assert.equal(after.ctime, after.mtime);
    assert.equal(after.mtime, r.client.entries.get('/d')!.mtime, 'what the controller says too');
  });
});

test('mknod makes fifos, sockets, devices (with rdev) and empty regular files', () => withRig({}, async (r) => {
  const kinds = [[S_IFIFO, 'fifo'], [S_IFSOCK, 'socket'], [S_IFCHR, 'char'], [S_IFBLK, 'block'], [S_IFREG, 'file']] as const;
  for (const [bits, kind] of kinds) {
    assert.equal(await call(r.ops.mknod, `/${kind}`, bits | 0o640, 0x0805), [0], kind);
    const e = r.client.entries.get(`/${kind}`)!;
    assert.is(e.kind, kind);
    assert.is(e.mode, 0o640);
    const st = await stat(r, `/${kind}`);
    assert.is(st.mode, bits | 0o640, `${kind} type bits`);
    assert.is(st.rdev, kind === 'char' || kind === 'block' ? 0x0805 : 0, `${kind} rdev`);
  }
  assert.equal(await call(r.ops.mknod, '/fifo', S_IFIFO | 0o640, 0), [-17], 'EEXIST');
}));

test('hard links: one inode, nlink exact under both names (cached attributes dropped), EPERM for a directory', () => withRig({}, async (r) => {
  r.client.putFile('/a', Buffer.from('one'));
  assert.is((await stat(r, '/a')).nlink, 1); // now cached
  assert.equal(await call(r.ops.link, '/a', '/b'), [0]);
  const a = await stat(r, '/a');
  const b = await stat(r, '/b');
  assert.is(a.ino, b.ino);
  assert.is(a.nlink, 2, 'the cached nlink of /a was dropped');
  assert.is(b.nlink, 2);
  assert.equal(await call(r.ops.link, '/a', '/c'), [0]);
  assert.is((await stat(r, '/b')).nlink, 3, "/b's cached attributes go with its inode's change");
  assert.equal(await call(r.ops.unlink, '/c'), [0]);
  assert.is((await stat(r, '/a')).nlink, 2);
  assert.is((await stat(r, '/b')).nlink, 2);
  await r.client.mkdir('/dir');
  assert.equal(await call(r.ops.link, '/dir', '/dir2'), [-1]);
  assert.equal(await call(r.ops.link, '/a', '/b'), [-17]);
}));

test('a file written through one hard link reads through the other after close', () => withRig({}, async (r) => {
  r.client.putFile('/a', Buffer.from('old'));
  assert.equal(await call(r.ops.link, '/a', '/b'), [0]);
  assert.is((await stat(r, '/b')).size, 3); // cached
  await writeFile(r, '/a', 'new bytes');
  assert.is((await stat(r, '/b')).size, 9, "/b's cached size was dropped by the commit to its inode");
  assert.is(await readFile(r, '/b'), 'new bytes');
  assert.is(r.client.entries.get('/b'), r.client.entries.get('/a'), 'still one inode');
}));

test('while one name is open for writing, a reader through the other name sees the staged bytes', () => withRig({}, async (r) => {
  r.client.putFile('/a', Buffer.from(''));
  assert.equal(await call(r.ops.link, '/a', '/b'), [0]);
  const [, fd] = await call(r.ops.open, '/a', O_WRONLY) as [number, number];
  await call(r.ops.write, '/a', fd, Buffer.from('fresh'), 5, 0);
  assert.is((await stat(r, '/b')).size, 5);
  assert.is(await readFile(r, '/b'), 'fresh');
  assert.equal(await call(r.ops.release, '/a', fd), [0]);
  assert.is(r.client.content('/b').toString(), 'fresh');
}));

test('a file renamed while open commits to its inode, not to whatever took its old name', () => withRig({}, async (r) => {
  r.client.putFile('/a', Buffer.from('original'));
  const ino = r.client.entries.get('/a')!.ino;
  const [, fd] = await call(r.ops.open, '/a', O_WRONLY) as [number, number];
  await call(r.ops.write, '/a', fd, Buffer.from('ORIG'), 4, 0);
  assert.equal(await call(r.ops.rename, '/a', '/moved'), [0]);
  assert.is((r.client.calls.commitChunks ?? 0) + (r.client.calls.commitExtents ?? 0), 0, 'no commit needed before the rename');
  r.client.putFile('/a', Buffer.from('someone else'));
  assert.equal(await call(r.ops.release, '/moved', fd), [0]);
  assert.equal(r.client.requests.commitExtents!.at(-1), { path: '/moved', size: 8, ino, fresh: 1 });
  assert.is(r.client.content('/moved').toString(), 'ORIGinal');
  assert.is(r.client.content('/a').toString(), 'someone else');
}));

test('unlinking one name of an open hard-linked file keeps its changes for the other name', () => withRig({}, async (r) => {
  r.client.putFile('/a', Buffer.from('x'));
  assert.equal(await call(r.ops.link, '/a', '/b'), [0]);
  await stat(r, '/a');
  const [, fd] = await call(r.ops.open, '/a', O_WRONLY) as [number, number];
  await call(r.ops.write, '/a', fd, Buffer.from('kept'), 4, 0);
  assert.equal(await call(r.ops.unlink, '/a'), [0]);
  assert.equal(await call(r.ops.release, '/a', fd), [0]);
  assert.is(r.client.content('/b').toString(), 'kept');
  assert.is((await stat(r, '/b')).nlink, 1);
}));

test('statfs from the controller; from the chunkservers\' status when the controller has no statfs route', async () => {
  await withRig({}, async (r) => {
    const [err, st] = await call(r.ops.statfs, '/') as [number, { bsize: number; blocks: number; bfree: number; files: number }];
    assert.is(err, 0);
    assert.is(st.blocks, 1024 ** 4 / st.bsize);
    assert.is(st.bfree, 1024 ** 4 / 4 / st.bsize);
  });
  await withRig({ legacy: true }, async (r) => {
    const [err, st] = await call(r.ops.statfs, '/') as [number, { bsize: number; blocks: number; bfree: number }];
    assert.is(err, 0);
    assert.is(st.blocks, 1024 ** 4 / 65536, 'healthy chunkservers only');
    assert.is(st.bfree, 1024 ** 4 / 2 / 65536);
  });
});

test('a controller without the inode fields: the mount owner, distinct stable inode numbers', () => withRig({ legacy: true }, async (r) => {
  r.client.putFile('/a', Buffer.from('x'));
  r.client.putFile('/b', Buffer.from('y'));
  const a = await stat(r, '/a');
  const b = await stat(r, '/b');
  assert.is(a.uid, 1000);
  assert.is(a.gid, 1000);
  assert.ok(a.ino > 1 && b.ino > 1 && a.ino !== b.ino, `${a.ino} ${b.ino}`);
  assert.is((await stat(r, '/a')).ino, a.ino);
  assert.equal(await call(r.ops.rename, '/a', '/c'), [0]);
  assert.is((await stat(r, '/c')).ino, a.ino, 'a rename keeps the number');
}));

test('names over 255 bytes are ENAMETOOLONG before anything is asked', () => withRig({}, async (r) => {
  const long = `/${'x'.repeat(256)}`;
  assert.equal(await call(r.ops.getattr, long), [-36]);
  assert.equal(await call(r.ops.mkdir, long, 0o755), [-36]);
  assert.is(r.client.calls.stat ?? 0, 0);
  assert.is((await call(r.ops.getattr, `/${'é'.repeat(128)}`))[0], -36, '256 bytes in 128 characters');
}));

test('unlinks in a loop: the directory takes the entry the controller answered (then the mount\'s clock, once they are queued), its listing loses the name, nothing else is asked', () => withRig({}, async (r) => {
  for (let i = 0; i < 20; i++) r.client.putFile(`/d/f${i}`, Buffer.from('x'));
  const [err, names] = await call(r.ops.readdir, '/d') as [number, string[]];
  assert.is(err, 0);
  assert.is(names.length, 22);
  const before = { stat: r.client.calls.stat ?? 0, list: r.client.calls.list ?? 0 };
  for (let i = 0; i < 10; i++) {
    // what the kernel asks around each unlink: the name, the directory (default_permissions), then the unlink
    await stat(r, `/d/f${i}`);
    const dir = await stat(r, '/d');
    assert.equal(await call(r.ops.unlink, `/d/f${i}`), [0]);
    const after = await stat(r, '/d');
    const real = r.client.entries.get('/d')!;
    // the first unlink is sent and answered; the next ones, a burst, are queued (unlink-behind.ts)
    if (i === 0) assert.equal([after.mtime, after.ctime], [real.mtime, real.ctime], `the directory's times after unlinking f${i}`);
    else assert.equal(after.mtime, after.ctime, `the directory's times after unlinking f${i}`);
    assert.ok(after.ctime.sec * 1e9 + after.ctime.nsec >= dir.ctime.sec * 1e9 + dir.ctime.nsec);
  }
  assert.equal({ stat: r.client.calls.stat ?? 0, list: r.client.calls.list ?? 0 }, before, 'no stat or list of the controller');
  assert.equal(await call(r.ops.fsyncdir, '/d', 0, 0), [0]);
  assert.equal(Array.from({ length: 10 }, (_, i) => r.client.entries.has(`/d/f${i}`)), Array(10).fill(false), 'fsync of the directory: every unlink reached the controller');
  assert.is(r.client.calls.remove, 1, 'one unlink sent alone');
  assert.ok((r.client.calls.unlinkMany ?? 0) >= 1, 'the others in batches');
  const [, left] = await call(r.ops.readdir, '/d') as [number, string[]];
  assert.equal(left.slice(2).sort(), Array.from({ length: 10 }, (_, i) => `f${i + 10}`).sort());
  assert.equal(await call(r.ops.getattr, '/d/f3'), [-2], 'an unlinked name is gone');
}));

test('a directory made here is known empty: lookups of new names in it ask nothing, and what is created there is listed', () => withRig({}, async (r) => {
  assert.equal(await call(r.ops.mkdir, '/fresh', 0o755), [0]);
  const stats = r.client.calls.stat ?? 0;
  const lists = r.client.calls.list ?? 0;
  for (let i = 0; i < 5; i++) assert.equal((await call(r.ops.getattr, `/fresh/f${i}`))[0], -2, 'ENOENT');
  assert.is((await stat(r, '/fresh')).mode & 0o777, 0o755);
  assert.is(r.client.calls.stat ?? 0, stats, 'no stat');
  assert.is(r.client.calls.list ?? 0, lists, 'no listing');
  const [, fd] = await call(r.ops.create, '/fresh/f0', S_IFREG | 0o644) as [number, number];
  await call(r.ops.write, '/fresh/f0', fd, Buffer.from('x'), 1, 0);
  assert.equal(await call(r.ops.release, '/fresh/f0', fd), [0]);
  const [err, names] = await call(r.ops.readdir, '/fresh') as [number, string[]];
  assert.is(err, 0);
  assert.ok(names.includes('f0'), names.join(' '));
  assert.is((await stat(r, '/fresh/f0')).size, 1);
}));

test('stagedTimes: omit keeps the time set before, now is the mount clock, both omitted is nothing', () => {
  const before = { atime: { sec: 1, nsec: 2 }, mtime: { sec: 3, nsec: 4 } };
  assert.equal(stagedTimes(before, 'omit', { sec: 9, nsec: 9 }, 0), { atime: { sec: 1, nsec: 2 }, mtime: { sec: 9, nsec: 9 } });
  assert.equal(stagedTimes({}, 'now', 'omit', 12_345), { atime: { sec: 12, nsec: 345_000_000 } });
  assert.is(stagedTimes(before, 'omit', 'omit', 0), undefined);
});

test.run();
