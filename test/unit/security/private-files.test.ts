/**
 * Users' data on local disks is the owning uid's alone: chunk files (chunkserver disk store), the
 * controller's database and WAL, the mount's disk cache and staging files are 0600 in 0700
 * directories, even under umask 022 and in a world-readable parent. Another uid (65534, by
 * setpriv) gets EACCES reading each. Skipped with a printed reason when not run as root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sha256Hex } from '../../../src/common/hash.js';
import { ensurePrivateDir, ensurePrivateDirSync } from '../../../src/common/private-files.js';
import { silentLogger } from '../../../src/common/logger.js';
import { createDiskStore } from '../../../src/chunkserver/disk-store.js';
import { openStore } from '../../../src/controller/store.js';
import { DiskChunkCache } from '../../../fuse/disk-chunk-cache.js';
import { MemoryBudget, StagingStore } from '../../../fuse/staging-store.js';
import { makeTempDir, removeDir } from '../../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;

/** Every file and directory under `dir` (itself excluded). */
function walk(dir: string): { path: string; dir: boolean }[] {
  const out: { path: string; dir: boolean }[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    out.push({ path, dir: e.isDirectory() });
    if (e.isDirectory()) out.push(...walk(path));
  }
  return out;
}

/** What `cat` run as uid/gid 65534 says about `path`. */
function catAsNobody(path: string): { status: number | null; stderr: string } {
  const r = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'cat', path], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr };
}

test('chunk files, controller database, mount cache and staging files: 0600 in 0700 directories, EACCES for another uid', async () => {
  if (!isRoot) {
    console.log('  (skipped: setpriv to another uid needs root)');
    return;
  }
  const old = process.umask(0o022);
  const dir = makeTempDir('private-files');
  chmodSync(dir, 0o755); // the parent lets everyone in: only our own modes protect the files
  const closers: (() => unknown)[] = [];
  try {
    const data = Buffer.from('plaintext of a user '.repeat(100));
    const id = sha256Hex(data);

    const cs = createDiskStore({ dataDir: join(dir, 'cs'), quotaBytes: 0, minFreeBytes: 0, logger: silentLogger() });
    await cs.open();
    await cs.put(id, Readable.from([data]));
    await cs.close();

    const db = openStore({ path: join(dir, 'ctl', 'metadata.db'), nodeId: 'c1', now: () => 1_800_000_000_000 });
    closers.push(() => db.close());
    const cache = new DiskChunkCache({ logger: silentLogger(), diskSpace: async () => ({ freeBytes: 1024 ** 4, totalBytes: 2 * 1024 ** 4 }) },
      { dir: join(dir, 'mnt'), capacityBytes: 1024 ** 2, openFilesMax: 4 });
    closers.push(() => cache.stop());
    await cache.start();
    await cache.put(id, data);
    await cache.idle();
    const staging = new StagingStore(join(dir, 'mnt', 'staging', 'f.stage'), 10, new MemoryBudget(10));
    closers.push(() => staging.close());
    await staging.write(data, 0);
    assert.ok(staging.onDisk, 'the staging file spilled to disk');

    const entries = walk(dir);
    const files = entries.filter((e) => !e.dir).map((e) => e.path);
    for (const want of [join('cs', 'chunks', id.slice(0, 2), id), join('ctl', 'metadata.db'), join('ctl', 'metadata.db-wal'), join('mnt', 'chunks', id.slice(0, 2), id), join('mnt', 'staging', 'f.stage')]) {
      assert.ok(files.includes(join(dir, want)), `${want} exists (files: ${files.map((f) => f.slice(dir.length)).join(' ')})`);
    }
    for (const e of entries) {
      const mode = statSync(e.path).mode & 0o777;
      assert.is(mode.toString(8), e.dir ? '700' : '600', `${e.path.slice(dir.length)}: mode`);
      if (e.dir) continue;
      const r = catAsNobody(e.path);
      assert.ok(r.status !== 0 && /Permission denied/.test(r.stderr), `${e.path.slice(dir.length)}: uid 65534 cannot read it (status ${r.status}, ${r.stderr.trim()})`);
    }
  } finally {
    for (const close of closers) await close();
    process.umask(old);
    removeDir(dir);
  }
});

test('a shared directory (sticky or world-writable, like /tmp) is refused, never tightened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-shared-'));
  try {
    for (const mode of [0o1777, 0o777]) {
      chmodSync(dir, mode);
      assert.throws(() => ensurePrivateDirSync(dir), /shared directory/);
      try {
        await ensurePrivateDir(dir);
        assert.unreachable('the async form refuses it too');
      } catch (err) {
        assert.match((err as Error).message, /shared directory/);
      }
      assert.is(statSync(dir).mode & 0o7777, mode, 'its mode is left as it was');
    }
    // a directory of its own inside it is fine, and private
    await ensurePrivateDir(join(dir, 'mine'));
    assert.is(statSync(join(dir, 'mine')).mode & 0o777, 0o700);
  } finally {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
