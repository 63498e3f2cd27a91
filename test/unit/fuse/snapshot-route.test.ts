/**
 * withSnapshotDir (fuse/snapshot-route.ts) over fake handlers: `.snapshots` lists the snapshots,
 * paths inside one go to that snapshot's handlers with the prefix removed (inode numbers mixed),
 * everything else to the live handlers; every write there is EROFS before any handler runs, and
 * opening for writing too; stop() stops the snapshot handlers as well.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FuseErrnoError } from '../../../fuse/errno.js';
import { snapshotIno, withSnapshotDir, type SnapshotRoutedOps } from '../../../fuse/snapshot-route.js';
import type { FuseStat } from '../../../fuse/stat.js';

const stat = (ino: number): FuseStat => ({
  ino, mode: 0o100644, uid: 0, gid: 0, size: 1, nlink: 1, rdev: 0, blksize: 4096, blocks: 1,
  mtime: { sec: 0, nsec: 0 } as never, atime: { sec: 0, nsec: 0 } as never, ctime: { sec: 0, nsec: 0 } as never,
});

type Fake = SnapshotRoutedOps & Record<string, (...a: any[]) => Promise<any>> & { calls: string[] };
function fake(label: string): Fake {
  const calls: string[] = [];
  const rec = (op: string) => async (...a: unknown[]) => {
    calls.push(`${label}:${op}:${a.filter((x) => typeof x === 'string').join(',')}`);
    if (op === 'getattr') return stat(label === 'live' ? 5 : 7);
    if (op === 'readdir') return { names: ['x'], stats: [stat(9)] };
    if (op === 'open') return 3;
    if (op === 'read') return Buffer.from(label);
    if (op === 'listxattr') return [];
    return undefined;
  };
  const ops = ['getattr', 'readdir', 'open', 'read', 'release', 'flush', 'fsync', 'readlink', 'getxattr', 'listxattr', 'statfs', 'stop',
    'create', 'write', 'truncate', 'ftruncate', 'mkdir', 'mknod', 'rmdir', 'unlink', 'chmod', 'chown', 'utimens', 'setxattr', 'removexattr', 'rename', 'link', 'symlink'];
  return Object.assign(Object.fromEntries(ops.map((op) => [op, rec(op)])), { calls }) as Fake;
}

function setup() {
  const live = fake('live');
  const subs: Record<string, Fake> = {};
  const h = withSnapshotDir(live, {
    names: async () => ['daily'], handlersFor: (n) => (subs[n] = fake(n)), owner: { uid: 1, gid: 2 }, nowMs: () => 1000,
  });
  return { live, subs, h };
}
const sig = new AbortController().signal;
const erofs = async (p: Promise<unknown>, what: string) => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FuseErrnoError && err.errnoName === 'EROFS', `${what}: ${String(err)}`);
    return;
  }
  assert.unreachable(`${what} succeeded`);
};

test('reads route to the snapshot handlers without the prefix; the rest to the live ones', async () => {
  const { live, subs, h } = setup();
  assert.equal(await h.readdir('/.snapshots', sig).then((r) => r.names), ['daily']);
  assert.is((await h.getattr('/.snapshots', sig)).mode & 0o777, 0o555);
  const st = await h.getattr('/.snapshots/daily/a/b.txt', sig);
  assert.is(st.ino, snapshotIno('daily', 7));
  assert.is((await h.readdir('/.snapshots/daily/a', sig)).stats[0]!.ino, snapshotIno('daily', 9));
  assert.is(await h.open('/.snapshots/daily/a/b.txt', 0, sig), 3);
  assert.equal((await h.read('/.snapshots/daily/a/b.txt', 3, 10, 0, sig)).toString(), 'daily');
  await h.release('/.snapshots/daily/a/b.txt', 3, sig);
  assert.equal(subs.daily!.calls.filter((c) => c !== 'daily:getattr:/'), [
    'daily:getattr:/a/b.txt', 'daily:readdir:/a', 'daily:open:/a/b.txt', 'daily:read:/a/b.txt', 'daily:release:/a/b.txt',
  ]);
  assert.is((await h.getattr('/docs', sig)).ino, 5);
  assert.equal(live.calls, ['live:getattr:/docs']);
});

test('writes in .snapshots are EROFS before any handler runs; outside they pass through', async () => {
  const { live, subs, h } = setup();
  const p = '/.snapshots/daily/f';
  await erofs(h.open(p, 1, sig), 'open O_WRONLY');
  await erofs(h.open(p, 0o1000, sig), 'open O_TRUNC');
  await erofs((h as Fake).create(p, 0o644, undefined, sig), 'create');
  await erofs((h as Fake).unlink(p, sig), 'unlink');
  await erofs((h as Fake).mkdir('/.snapshots/new', 0o755, undefined, sig), 'mkdir in .snapshots');
  await erofs((h as Fake).rename(p, '/x', sig), 'rename out');
  await erofs((h as Fake).rename('/x', p, sig), 'rename in');
  await erofs((h as Fake).link('/x', p, sig), 'link in');
  await erofs((h as Fake).symlink('/x', p, undefined, sig), 'symlink in');
  await erofs((h as Fake).setxattr(p, 'user.a', Buffer.alloc(0), 0, sig), 'setxattr');
  await erofs((h as Fake).chmod(p, 0o600, sig), 'chmod');
  assert.equal(subs.daily?.calls.filter((c) => !c.includes(':getattr:')) ?? [], []);
  await (h as Fake).unlink('/docs/a', sig);
  await (h as Fake).rename('/a', '/b', sig);
  assert.equal(live.calls, ['live:unlink:/docs/a', 'live:rename:/a,/b']);
  await h.stop();
});

test('a name no snapshot can have is ENOENT without making handlers for it', async () => {
  const { subs, h } = setup();
  for (const bad of ['a b', 'x~zz', '..']) {
    try {
      await h.getattr(`/.snapshots/${bad}/f`, sig);
      assert.unreachable(bad);
    } catch (err) {
      assert.ok(err instanceof FuseErrnoError && err.errnoName === 'ENOENT', `${bad}: ${String(err)}`);
    }
  }
  assert.equal(Object.keys(subs), []);
  await h.getattr('/.snapshots/cut~0123abcd', sig);
  assert.equal(Object.keys(subs), ['cut~0123abcd']);
});

test('stop() stops every snapshot handlers instance and the live one', async () => {
  const { live, subs, h } = setup();
  await h.getattr('/.snapshots/daily', sig);
  await h.stop();
  assert.ok(subs.daily!.calls.includes('daily:stop:'));
  assert.ok(live.calls.includes('live:stop:'));
});

test.run();
