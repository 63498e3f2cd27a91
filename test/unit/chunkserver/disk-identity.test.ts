/**
 * The disk report of a data dir (src/chunkserver/disk-identity.ts): the id is the same for two
 * directories of one file system and differs for another file system (/dev/shm, a tmpfs, where
 * present) or another machine's boot id; free bytes are bavail less MIN_FREE_BYTES, never negative.
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diskIdOf, diskReportOf, readDiskReport } from '../../../src/chunkserver/disk-identity.js';

test('pure: the id depends on the boot id and the device; the report on statfs and MIN_FREE_BYTES', () => {
  assert.match(diskIdOf('boot-a', 2049), /^[0-9a-f]{16}$/);
  assert.is(diskIdOf('boot-a\n', 2049), diskIdOf('boot-a', 2049), 'the trailing newline of /proc is ignored');
  assert.is.not(diskIdOf('boot-a', 2049), diskIdOf('boot-b', 2049));
  assert.is.not(diskIdOf('boot-a', 2049), diskIdOf('boot-a', 2050));
  assert.is(diskIdOf('boot-a', 2049n), diskIdOf('boot-a', 2049));
  assert.equal(diskReportOf('abcdabcdabcdabcd', { blocks: 100, bavail: 40, bsize: 4096 }, 4096), { id: 'abcdabcdabcdabcd', totalBytes: 409_600, availBytes: 159_744 });
  assert.is(diskReportOf('abcdabcdabcdabcd', { blocks: 100n, bavail: 1n, bsize: 4096n }, 1 << 20).availBytes, 0);
});

test('two directories of one file system share the id; another file system has its own', async () => {
  const a = mkdtempSync(join(tmpdir(), 'rc-disk-a-'));
  const b = mkdtempSync(join(tmpdir(), 'rc-disk-b-'));
  try {
    const [ra, rb] = await Promise.all([readDiskReport(a, 0), readDiskReport(b, 0)]);
    assert.is(ra.id, rb.id);
    assert.ok(ra.totalBytes > 0 && ra.availBytes <= ra.totalBytes, JSON.stringify(ra));
    if (existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(a).dev) {
      assert.is.not((await readDiskReport('/dev/shm', 0)).id, ra.id);
    } else {
      process.stdout.write('  disk-identity: no second file system at /dev/shm; the distinct-disk case is covered by test/fuse/space.test.ts\n');
    }
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});

test.run();
