/**
 * The tag directory through the fuse-native ops over the fake client: hidden from the root's
 * listing, tags and queries as directories, symlinks to the real files, and the writes that change
 * tags (ln -s, rm, mkdir, rmdir) and nothing else.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMountArgs } from '../../../fuse/args.js';
import { call, withRig, type Rig, type RigOptions } from './helpers.js';

const ENOENT = -2;
const EEXIST = -17;
const EROFS = -30;
const ENOTEMPTY = -39;
const EINVAL = -22;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

const withTagsRig = (opts: RigOptions, fn: (r: Rig) => Promise<void>): Promise<void> =>
  withRig({ tagsDir: { name: '.tags', writable: true, mountpoint: '/mnt' }, ...opts }, fn);

const ls = async (r: Rig, path: string): Promise<string[]> => {
  const [res, names] = await call(r.ops.readdir, path) as [number, string[]];
  assert.is(res, 0, `readdir ${path}`);
  return names.filter((n) => n !== '.' && n !== '..').sort();
};
const stat = (r: Rig, path: string) => call(r.ops.getattr, path) as Promise<[number, { mode: number; size: number } | undefined]>;

async function files(r: Rig): Promise<void> {
  r.client.putFile('/photo.jpg', Buffer.from('p'));
  r.client.putFile('/2024/beach.jpg', Buffer.from('b'));
  r.client.putFile('/other/beach.jpg', Buffer.from('c'));
  await r.client.tag('/photo.jpg', { add: ['holiday'] });
  await r.client.tag('/2024/beach.jpg', { add: ['holiday', '2024'] });
  await r.client.tag('/other/beach.jpg', { add: ['holiday', '2024'] });
}

test('hidden from ls of the root, but stat and listing by name work', () => withTagsRig({}, async (r) => {
  await files(r);
  assert.not.ok((await ls(r, '/')).includes('.tags'));
  const [res, st] = await stat(r, '/.tags');
  assert.is(res, 0);
  assert.is(st!.mode & 0o170000, S_IFDIR);
  assert.equal(await ls(r, '/.tags'), ['2024', 'holiday']);
  assert.equal((await stat(r, '/.tags/nope'))[0], ENOENT);
}));

test('a query lists files carrying every tag, in any order, as relative symlinks; colliding basenames get suffixes', () => withTagsRig({}, async (r) => {
  await files(r);
  const both = await ls(r, '/.tags/holiday/2024');
  assert.equal(await ls(r, '/.tags/2024/holiday'), both, 'order does not matter');
  assert.is(both.length, 2);
  for (const n of both) assert.match(n, /^beach~[0-9a-f]{8}\.jpg$/);
  assert.equal(await ls(r, '/.tags/holiday'), [...both, 'photo.jpg'].sort());
  const [res, st] = await stat(r, '/.tags/holiday/photo.jpg');
  assert.is(res, 0);
  assert.is(st!.mode & 0o170000, S_IFLNK);
  assert.equal(await call(r.ops.readlink, '/.tags/holiday/photo.jpg'), [0, '../../photo.jpg']);
  const targets = await Promise.all(both.map((n) => call(r.ops.readlink, `/.tags/2024/holiday/${n}`)));
  assert.equal(targets.map((t) => t[1]).sort(), ['../../../2024/beach.jpg', '../../../other/beach.jpg']);
}));

test('ln -s into a query gives the target its tags; rm removes the innermost tag and never the file', () => withTagsRig({}, async (r) => {
  await files(r);
  r.client.putFile('/d/new.txt', Buffer.from('n'));
  assert.equal(await call(r.ops.symlink, '../../../d/new.txt', '/.tags/holiday/2024/new.txt'), [0]);
  assert.equal([...r.client.entries.get('/d/new.txt')!.tags].sort(), ['2024', 'holiday']);
  assert.equal((await stat(r, '/.tags/holiday/2024/new.txt'))[0], 0, 'the new link is there at once');
  assert.equal(await call(r.ops.symlink, '/mnt/photo.jpg', '/.tags/2024/pic'), [0], 'absolute under the mountpoint, another name');
  assert.ok(r.client.entries.get('/photo.jpg')!.tags.includes('2024'));
  assert.equal((await stat(r, '/.tags/2024/pic'))[0], 0, 'the name it was made under answers for a while');
  assert.equal(await call(r.ops.symlink, '/etc/passwd', '/.tags/2024/passwd'), [EINVAL]);
  assert.equal(await call(r.ops.symlink, '../../d', '/.tags/2024/d'), [EINVAL], 'only files');

  assert.equal(await call(r.ops.unlink, '/.tags/holiday/2024/new.txt'), [0]);
  assert.equal(r.client.entries.get('/d/new.txt')!.tags, ['holiday']);
  assert.ok(r.client.entries.has('/d/new.txt'), 'the file stays');
  assert.not.ok((await ls(r, '/.tags/holiday/2024')).includes('new.txt'));
  assert.ok((await ls(r, '/.tags/holiday')).includes('new.txt'));
  assert.equal(await call(r.ops.unlink, '/.tags/holiday/nope'), [ENOENT]);
}));

test('mkdir declares a tag (listed while unused); rmdir undeclares an empty one; a used one is ENOTEMPTY', () => withTagsRig({}, async (r) => {
  await files(r);
  assert.equal(await call(r.ops.mkdir, '/.tags/newtag', 0o755), [0]);
  assert.equal(await ls(r, '/.tags'), ['2024', 'holiday', 'newtag']);
  assert.equal(await ls(r, '/.tags/newtag'), []);
  assert.equal(await call(r.ops.mkdir, '/.tags/holiday', 0o755), [EEXIST]);
  assert.equal(await call(r.ops.mkdir, '/.tags/bad,name', 0o755), [EINVAL]);
  assert.not.ok((await call(r.ops.listxattr, '/', 1024) as [number, Buffer?])[1]?.toString().includes('redcloud.tag'), 'not among the root\'s attributes');
  assert.equal(await call(r.ops.rmdir, '/.tags/holiday'), [ENOTEMPTY]);
  assert.equal(await call(r.ops.rmdir, '/.tags/newtag'), [0]);
  assert.equal(await ls(r, '/.tags'), ['2024', 'holiday']);
}));

test('everything else in the directory is read-only; with writes off, so are the tag changes', async () => {
  await withTagsRig({}, async (r) => {
    await files(r);
    assert.equal(await call(r.ops.create, '/.tags/holiday/x', 0o644), [EROFS]);
    assert.equal(await call(r.ops.rename, '/.tags/holiday/photo.jpg', '/p2'), [EROFS]);
    assert.equal(await call(r.ops.chmod, '/.tags/holiday', 0o700), [EROFS]);
    assert.ok(r.client.entries.has('/photo.jpg'));
  });
  await withTagsRig({ tagsDir: { name: '.tags', writable: false } }, async (r) => {
    await files(r);
    assert.equal(await call(r.ops.unlink, '/.tags/holiday/photo.jpg'), [EROFS]);
    assert.equal(await call(r.ops.mkdir, '/.tags/x', 0o755), [EROFS]);
    assert.equal(await call(r.ops.symlink, '../../photo.jpg', '/.tags/2024/photo.jpg'), [EROFS]);
    assert.equal(r.client.entries.get('/photo.jpg')!.tags, ['holiday']);
  });
});

test('results follow changes made elsewhere once the attribute TTL has passed', async () => {
  let now = 1_000_000;
  await withTagsRig({ nowMs: () => now }, async (r) => {
    await files(r);
    assert.ok((await ls(r, '/.tags/holiday')).includes('photo.jpg'));
    await r.client.tag('/photo.jpg', { remove: ['holiday'] }); // another controller, another mount
    assert.ok((await ls(r, '/.tags/holiday')).includes('photo.jpg'), 'cached within the TTL');
    now += 1001;
    assert.not.ok((await ls(r, '/.tags/holiday')).includes('photo.jpg'));
  });
});

test('a tag set through an xattr of this mount shows at once, without waiting for the TTL', () => withTagsRig({ nowMs: () => 5_000_000 }, async (r) => {
  await files(r);
  assert.equal(await ls(r, '/.tags'), ['2024', 'holiday']);
  assert.equal(await call(r.ops.setxattr, '/photo.jpg', 'user.xdg.tags', Buffer.from('holiday,fresh'), 0, 0), [0]);
  assert.equal(await ls(r, '/.tags'), ['2024', 'fresh', 'holiday']);
  assert.equal(await ls(r, '/.tags/fresh'), ['photo.jpg']);
  assert.equal(await call(r.ops.removexattr, '/photo.jpg', 'user.redcloud.tags'), [0]);
  assert.not.ok((await ls(r, '/.tags/holiday')).includes('photo.jpg'));
}));

test('--show-tags-dir lists it in the root; a real root entry of that name is shadowed either way', async () => {
  await withTagsRig({ tagsDir: { name: '.tags', writable: true, listed: true } }, async (r) => {
    await files(r);
    assert.ok((await ls(r, '/')).includes('.tags'));
  });
  await withTagsRig({}, async (r) => {
    r.client.putFile('/.tags', Buffer.from('a real file'));
    assert.not.ok((await ls(r, '/')).includes('.tags'));
    assert.is((await stat(r, '/.tags'))[1]!.mode & 0o170000, S_IFDIR);
  });
});

test('mount flags: --tags-dir (default from REDCLOUD_TAGS_DIR, else .tags), --tags-read-only, --show-tags-dir', () => {
  const d = parseMountArgs(['/mnt/x']);
  assert.equal([d.tagsDir, d.tagsWritable, d.tagsListed], ['.tags', true, false]);
  assert.is(parseMountArgs(['/mnt/x'], { tagsDir: '_t' }).tagsDir, '_t');
  const o = parseMountArgs(['/mnt/x', '--tags-dir', 'by-tag', '--tags-read-only', '--show-tags-dir'], { tagsDir: '_t' });
  assert.equal([o.tagsDir, o.tagsWritable, o.tagsListed], ['by-tag', false, true]);
  assert.is(parseMountArgs(['/mnt/x', '--tags-dir', '']).tagsDir, '', 'off');
  assert.throws(() => parseMountArgs(['/mnt/x', '--tags-dir', 'a/b']), /--tags-dir: "a\/b" is not a single file name/);
  assert.throws(() => parseMountArgs(['/mnt/x', '--tags-dir', '..']), /--tags-dir/);
});

test.run();
