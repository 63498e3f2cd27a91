import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { errnoFor, fuseErrors } from '../../../fuse/errno.js';
import { errors } from '../../../src/common/errors.js';
import { CS, O_RDONLY, call, pattern, rig } from './helpers.js';
import { STAT_MISSES_BEFORE_LISTING } from '../../../fuse/handlers.js';

test('errnoFor maps through the error table and FUSE-only errors', () => {
  assert.equal(errnoFor(errors.notFound('x')), { errno: -2, known: true });
  assert.equal(errnoFor(errors.notEmpty('x')), { errno: -39, known: true });
  assert.equal(errnoFor(errors.exists('x')), { errno: -17, known: true });
  assert.equal(errnoFor(errors.unavailable('x')), { errno: -5, known: true });
  assert.equal(errnoFor(errors.timeout('x')), { errno: -110, known: true });
  assert.equal(errnoFor(errors.noSpace('x')), { errno: -28, known: true });
  assert.equal(errnoFor(errors.notSupported('x')), { errno: -95, known: true });
  assert.equal(errnoFor(fuseErrors.noData('x')), { errno: -61, known: true });
  assert.equal(errnoFor(new Error('boom')), { errno: -5, known: false });
});

test('getattr: missing → ENOENT, file → stat with type bits', async () => {
  const r = await rig();
  try {
    r.client.putFile('/a/f', Buffer.from('hello'), 0o600);
    assert.equal(await call(r.ops.getattr, '/nope'), [-2]);
    const [err, st] = await call(r.ops.getattr, '/a/f') as [number, { mode: number; size: number; uid: number }];
    assert.is(err, 0);
    assert.is(st.mode, 0o100600);
    assert.is(st.size, 5);
    assert.is(st.uid, r.client.entries.get('/a/f')!.uid, "the inode's owner");
    const [, dir] = await call(r.ops.getattr, '/a') as [number, { mode: number }];
    assert.is(dir.mode, 0o040755);
  } finally {
    await r.cleanup();
  }
});

test('many stat misses in one directory are answered from one listing (missing names too)', async () => {
  const r = await rig();
  try {
    for (let i = 0; i < 20; i++) r.client.putFile(`/d/f${i}`, Buffer.from(`file ${i}`));
    for (let i = 0; i < 20; i++) {
      const [err, st] = await call(r.ops.getattr, `/d/f${i}`) as [number, { size: number }];
      assert.is(err, 0);
      assert.is(st.size, `file ${i}`.length);
    }
    assert.is(r.client.calls.list, 1, 'one listing');
    assert.is(r.client.calls.stat, STAT_MISSES_BEFORE_LISTING - 1, 'stats before the listing was worth it');
    assert.equal(await call(r.ops.getattr, '/d/none'), [-2]);
    assert.is(r.client.calls.stat, STAT_MISSES_BEFORE_LISTING - 1, 'ENOENT from the listing');
  } finally {
    await r.cleanup();
  }
});

test('creating files in a listed directory: lookups of the new names need no round trip, and the listing shows them', async () => {
  const r = await rig();
  try {
    r.client.putFile('/d/old', Buffer.from('old'));
    const create = async (path: string): Promise<void> => {
      assert.equal(await call(r.ops.getattr, path), [-2], `${path} does not exist yet`); // the kernel's lookup
      const [err, fd] = await call(r.ops.create, path, 0o100644) as [number, number];
      assert.is(err, 0);
      assert.equal(await call(r.ops.write, path, fd, Buffer.from(path), path.length, 0), [path.length]);
      assert.equal(await call(r.ops.release, path, fd), [0]);
    };
    for (let i = 0; i < 30; i++) await create(`/d/n${i}`);
    assert.is(r.client.calls.list, 1, 'one listing, kept up to date by our own commits');
    // the lookups before the listing, and once the directory itself (its setgid bit and group decide the new files' owner)
    assert.is(r.client.calls.stat, STAT_MISSES_BEFORE_LISTING - 1 + 1, 'only the lookups before the listing went to the cluster');
    const [err, names] = await call(r.ops.readdir, '/d') as [number, string[]];
    assert.is(err, 0);
    assert.equal([...names].filter((n) => n !== '.' && n !== '..').sort(), ['old', ...Array.from({ length: 30 }, (_, i) => `n${i}`)].sort());
    const [, st] = await call(r.ops.getattr, '/d/n29') as [number, { size: number }];
    assert.is(st.size, '/d/n29'.length);
  } finally {
    await r.cleanup();
  }
});

test('rmdir of a non-empty dir → ENOTEMPTY; of a file → ENOTDIR; unlink of a dir → EISDIR', async () => {
  const r = await rig();
  try {
    r.client.putFile('/d/f', Buffer.from('x'));
    assert.equal(await call(r.ops.rmdir, '/d'), [-39]);
    assert.equal(await call(r.ops.rmdir, '/d/f'), [-20]);
    assert.equal(await call(r.ops.unlink, '/d'), [-21]);
    assert.equal(await call(r.ops.unlink, '/d/f'), [0]);
    assert.equal(await call(r.ops.rmdir, '/d'), [0]);
    assert.not.ok(r.client.entries.has('/d'));
  } finally {
    await r.cleanup();
  }
});

test('an unknown error is answered EIO and logged once', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
  const r = await rig({ logger, attrTtlMs: 0 });
  try {
    r.client.stat = async () => { throw new Error('kaboom'); };
    assert.equal(await call(r.ops.getattr, '/x'), [-5]);
    assert.equal(await call(r.ops.getattr, '/x'), [-5]);
    const logged = lines.filter((l) => l.includes('kaboom') && l.includes('"level":50'));
    assert.is(logged.length, 1);
  } finally {
    await r.cleanup();
  }
});

test('a stalled operation fails with ETIMEDOUT at its deadline and its signal is aborted', async () => {
  const r = await rig({ opTimeoutMs: 50 });
  try {
    let seen: AbortSignal | undefined;
    r.client.stat = (_p, opts) => {
      seen = opts?.signal;
      return new Promise(() => undefined);
    };
    const started = performance.now();
    assert.equal(await call(r.ops.getattr, '/slow'), [-110]);
    const tookMs = performance.now() - started;
    // not before its deadline (a timer may fire a millisecond early); no upper bound but "it answered": a loaded machine may be slow
    assert.ok(tookMs >= 49, `answered after ${tookMs.toFixed(1)} ms, before the 50 ms deadline`);
    assert.is(seen?.aborted, true, 'the operation\'s signal was aborted');
  } finally {
    await r.cleanup();
  }
});

test('read through ops copies into the kernel buffer; concurrent reads share one fetch; read-ahead', async () => {
  const r = await rig({ readAheadChunks: 2 });
  try {
    const data = pattern(4 * CS, 5);
    r.client.putFile('/big', data);
    const [, fd] = await call(r.ops.open, '/big', O_RDONLY) as [number, number];
    const a = Buffer.alloc(100);
    const b = Buffer.alloc(100);
    assert.equal(await call(r.ops.read, '/big', fd, a, 10, 0), [10], 'a reader starting at 0 (read-pattern.ts)');
    const [ra, rb] = await Promise.all([call(r.ops.read, '/big', fd, a, 100, 10), call(r.ops.read, '/big', fd, b, 100, 20)]);
    assert.equal(ra, [100]);
    assert.equal(rb, [100]);
    assert.ok(a.equals(data.subarray(10, 110)));
    assert.ok(b.equals(data.subarray(20, 120)));
    await r.h.cache.idle();
    // the read at 0 fetched the small chunk 0 whole (read-pattern.ts fetchWhole): both reads after it share that one fetch
    assert.is(r.h.cache.stats.shared + r.h.cache.stats.hits, 2, 'both reads joined the one fetch of chunk 0');
    assert.is(r.h.cache.stats.fetches, 3, 'chunk 0 once, and chunks 1 and 2');
    assert.is(r.h.cache.stats.readAheads, 2, 'chunks 1 and 2 read ahead');
    const before = r.client.calls.fetchChunk;
    const c = Buffer.alloc(CS);
    assert.equal(await call(r.ops.read, '/big', fd, c, CS, CS + 7), [CS]);
    assert.ok(c.equals(data.subarray(CS + 7, 2 * CS + 7)));
    await r.h.cache.idle();
    assert.is(r.client.calls.fetchChunk, before! + 1, 'only chunk 3 fetched (read-ahead of it)');
    const tail = Buffer.alloc(100);
    assert.equal(await call(r.ops.read, '/big', fd, tail, 100, 4 * CS - 30), [30]);
    assert.equal(await call(r.ops.read, '/big', fd, tail, 100, 4 * CS), [0]);
    assert.equal(await call(r.ops.release, '/big', fd), [0]);
  } finally {
    await r.cleanup();
  }
});

test('read-ahead follows sequential readers only: a random read fetches just its blocks', async () => {
  const r = await rig({ readAheadChunks: 2 });
  try {
    const data = pattern(16 * CS, 9);
    r.client.putFile('/rnd', data);
    const [, fd] = await call(r.ops.open, '/rnd', O_RDONLY) as [number, number];
    const buf = Buffer.alloc(4096);
    assert.equal(await call(r.ops.read, '/rnd', fd, buf, 4096, 10 * CS + 5), [4096]);
    assert.ok(buf.equals(data.subarray(10 * CS + 5, 10 * CS + 5 + 4096)));
    await r.h.cache.idle();
    assert.is(r.h.cache.stats.readAheads, 0, 'no read-ahead for a read far from the last one');
    assert.is(r.client.calls.fetchChunk, undefined, 'no whole chunk for a random read');
    assert.is(r.client.calls.fetchRange, 1, 'the range of its blocks instead');
    assert.equal(await call(r.ops.read, '/rnd', fd, buf, 4096, 10 * CS + 4101), [4096]);
    await r.h.cache.idle();
    assert.is(r.h.cache.stats.readAheads, 0, 'one read near the last is not yet a sequential reader');
    assert.equal(await call(r.ops.read, '/rnd', fd, buf, 4096, 10 * CS + 8197), [4096]);
    await r.h.cache.idle();
    assert.is(r.h.cache.stats.readAheads, 2, 'two in a row: chunks 11 and 12 read ahead');
  } finally {
    await r.cleanup();
  }
});

test('the chunk cache stays within its byte bound', async () => {
  const r = await rig({ cacheSizeBytes: 2 * CS });
  try {
    r.client.putFile('/big', pattern(5 * CS));
    const fd = await r.h.open('/big', O_RDONLY, r.signal);
    for (let i = 0; i < 5; i++) await r.h.read('/big', fd, 10, i * CS, r.signal);
    assert.is(r.h.cache.cachedBytes, 2 * CS);
  } finally {
    await r.cleanup();
  }
});

test('rename moves committed and staged files; readdir shows uncommitted creates', async () => {
  const r = await rig();
  try {
    r.client.putFile('/a', Buffer.from('A'));
    assert.equal(await call(r.ops.rename, '/a', '/b'), [0]);
    assert.equal(await call(r.ops.getattr, '/a'), [-2]);
    const fd = await r.h.create('/new', 0o644, undefined, r.signal);
    await r.h.write('/new', fd, Buffer.from('N'), 0, r.signal);
    const [, names] = await call(r.ops.readdir, '/') as [number, string[]];
    assert.equal(names.sort(), ['.', '..', 'b', 'new']);
    await r.h.rename('/new', '/moved', r.signal);
    await r.h.write('/moved', fd, Buffer.from('M'), 1, r.signal);
    await r.h.release('/moved', fd, r.signal);
    assert.is(r.client.content('/moved').toString(), 'NM');
    assert.is(r.client.content('/b').toString(), 'A');
    assert.not.ok(r.client.entries.has('/new'));
  } finally {
    await r.cleanup();
  }
});

test('a file open under a renamed directory commits to its new path', async () => {
  const r = await rig();
  try {
    assert.equal(await call(r.ops.mkdir, '/a', 0o755), [0]);
    const [err, fd] = await call(r.ops.create, '/a/new', 0o644) as [number, number];
    assert.is(err, 0);
    const data = Buffer.from('written before the rename');
    assert.equal(await call(r.ops.write, '/a/new', fd, data, data.length, 0), [data.length]);
    assert.equal(await call(r.ops.rename, '/a', '/b'), [0]);
    assert.equal(await call(r.ops.release, '/b/new', fd), [0]);
    assert.ok(r.client.content('/b/new').equals(data));
    assert.not.ok(r.client.entries.has('/a/new'));
    assert.not.ok(r.client.entries.has('/a'));
  } finally {
    await r.cleanup();
  }
});

test('symlink and readlink', async () => {
  const r = await rig();
  try {
    assert.equal(await call(r.ops.symlink, '../target', '/l'), [0]);
    assert.equal(await call(r.ops.readlink, '/l'), [0, '../target']);
    const [, lst] = await call(r.ops.getattr, '/l') as [number, { mode: number }];
    assert.is(lst.mode & 0o170000, 0o120000);
  } finally {
    await r.cleanup();
  }
});

test.run();
