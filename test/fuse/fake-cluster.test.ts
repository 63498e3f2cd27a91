/**
 * Real mount over the in-memory fake cluster: a separate mount process (fake-mount.js) serves
 * the mount; this process touches it with ordinary file calls and shell tools, then unmounts.
 * Run: npx uvu dist/test/fuse '.*\.test\.js$'   (needs /dev/fuse; skipped without it)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMounted, pollUntil } from '../../fuse/mounts.js';

const script = fileURLToPath(new URL('./fake-mount.js', import.meta.url));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('cp in, read back, overwrite, rename, rm, tags, unmount on SIGTERM', async () => {
  if (!existsSync('/dev/fuse')) return;
  const mnt = await mkdtemp(join(tmpdir(), 'redcloud-fuse-mnt-'));
  const child = spawn(process.execPath, [script, mnt], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  try {
    assert.ok(await pollUntil(() => logs.includes('ready'), 10_000), `mount did not come up: ${logs}`);
    assert.ok(await isMounted(mnt));
    const data = randomBytes(9 * 1024 * 1024 + 123);
    const src = join(tmpdir(), `redcloud-src-${process.pid}`);
    await writeFile(src, data);
    execFileSync('cp', [src, join(mnt, 'big.bin')]);
    await rm(src);
    assert.is(sha(await readFile(join(mnt, 'big.bin'))), sha(data));
    assert.is((await stat(join(mnt, 'big.bin'))).size, data.length);
    // partial overwrite through dd (conv=notrunc), then read back
    execFileSync('sh', ['-c', `printf XYZ | dd of=${join(mnt, 'big.bin')} bs=1 seek=5000000 conv=notrunc status=none`]);
    data.write('XYZ', 5_000_000);
    assert.is(sha(await readFile(join(mnt, 'big.bin'))), sha(data));
    await mkdir(join(mnt, 'dir'));
    await rename(join(mnt, 'big.bin'), join(mnt, 'dir', 'moved.bin'));
    assert.equal(await readdir(join(mnt, 'dir')), ['moved.bin']);
    await truncate(join(mnt, 'dir', 'moved.bin'), 10);
    assert.ok((await readFile(join(mnt, 'dir', 'moved.bin'))).equals(data.subarray(0, 10)));
    const f = join(mnt, 'dir', 'moved.bin');
    execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.redcloud.tags", b"a,b")', f]);
    const got = execFileSync('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], "user.redcloud.tags").decode())', f]).toString();
    assert.is(got, 'a,b');
    await rm(join(mnt, 'dir'), { recursive: true });
    assert.equal(await readdir(mnt), []);
  } catch (err) {
    console.error(logs);
    throw err;
  } finally {
    child.kill('SIGTERM');
    const unmounted = await pollUntil(async () => !(await isMounted(mnt)), 10_000);
    if (!unmounted) execFileSync('fusermount', ['-uz', mnt]);
    await pollUntil(() => child.exitCode !== null, 5000);
    await rm(mnt, { recursive: true, force: true });
    assert.ok(unmounted, 'mount process unmounted on SIGTERM');
  }
});

test.run();
