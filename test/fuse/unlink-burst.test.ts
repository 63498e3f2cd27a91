/**
 * Creates and unlinks in a burst on real processes (1 controller + 2 chunkservers on 127.0.63.x,
 * a real mount; fuse/unlink-behind.ts, fuse/new-inos.ts): unlinks are answered before the
 * controller has them and sent in batches, creates are made by their first commit with an inode
 * id the mount chose. What a user checks: a created file's st_ino is the same at open, after
 * close, to another client and after a remount; `ls` in the mount shows them gone at once; after fsync of the
 * directory another client (the CLI) lists the directory empty and the trash holds every file;
 * names unlinked and created again at once read back the new bytes (by hash); and a mount killed
 * with SIGKILL right after a burst loses no file: each is either still in its directory or in the
 * trash, never both, never neither.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { EntryInfo, TrashItem } from '../../src/common/api.js';
import { getJson } from '../helpers/http.js';
import { stepsFor } from '../helpers/step.js';
import { FAST_CHUNKSERVER_ENV, FAST_CONTROLLER_ENV } from '../helpers/test-cluster.js';
import { startFuseCluster, type FuseCluster } from './helpers/fuse-cluster.js';

const test = suite('fuse unlink burst');
const ctx: { fc?: FuseCluster } = {};
const step = stepsFor(test, () => ctx.fc, 'cluster or mount');
const N = 300;
const names = Array.from({ length: N }, (_, i) => `f${String(i).padStart(4, '0')}`);

/** Runs python as a separate process (never touch the mount from this one). */
const py = (code: string, ...args: string[]): string => execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8', timeout: 120_000 });

const CREATE = `
import os,sys
d,n=sys.argv[1],int(sys.argv[2]); os.makedirs(d,exist_ok=True)
for i in range(n):
    with open(os.path.join(d,'f%04d'%i),'wb') as f: f.write(b'old %d' % i)
`;

async function listAt(fc: FuseCluster, path: string): Promise<string[]> {
  const { status, data } = await getJson<{ entries: EntryInfo[] }>(`${fc.tc.controllerUrls[0]}/v1/fs/list?path=${encodeURIComponent(path)}`, fc.token);
  assert.is(status, 200, `list ${path}`);
  return data.entries.map((e) => e.path.slice(path.length + 1)).sort();
}

async function trashedUnder(fc: FuseCluster, dir: string): Promise<string[]> {
  const { status, data } = await getJson<{ items: TrashItem[] }>(`${fc.tc.controllerUrls[0]}/v1/trash`, fc.token);
  assert.is(status, 200, 'trash list');
  return data.items.filter((t) => t.path.startsWith(`${dir}/`)).map((t) => t.path.slice(dir.length + 1)).sort();
}

test.before(async () => {
  if (!existsSync('/dev/fuse')) return;
  ctx.fc = await startFuseCluster({
    label: 'fuse-unlink-burst', net: '127.0.63', controllers: 1, chunkservers: 2,
    controllerEnv: { ...FAST_CONTROLLER_ENV, REPLICATION_FACTOR: '2', TRASH_TTL: '24h' }, chunkserverEnv: FAST_CHUNKSERVER_ENV,
  });
});
test.after(async () => {
  await ctx.fc?.stop();
});
if (!existsSync('/dev/fuse')) process.stdout.write('  fuse unlink burst: skipped (no /dev/fuse)\n');

step(`${N} unlinks in one process: gone in the mount at once; after fsync of the directory the CLI lists it empty and the trash holds all`, async (fc) => {
  const d = join(fc.mnt, 'a');
  py(CREATE, d, String(N));
  const out = py(`
import os,sys
d=sys.argv[1]
for x in sorted(os.listdir(d)): os.unlink(os.path.join(d,x))
print(len(os.listdir(d)))
fd=os.open(d,os.O_RDONLY); os.fsync(fd); os.close(fd)
`, d);
  assert.is(out.trim(), '0', 'ls in the mount right after the unlinks');
  assert.equal(await listAt(fc, '/a'), [], 'the controller after fsync of the directory');
  const ls = await fc.tc.cli.run(['ls', '/a']);
  assert.is(ls.exitCode, 0, ls.stderr);
  assert.not.match(ls.stdout, /f0\d{3}/, 'redcloud ls /a');
  assert.equal(await trashedUnder(fc, '/a'), names, 'every unlinked file is in the trash');
});

step('names unlinked and created again at once: the new bytes read back, in the mount and through the CLI', async (fc) => {
  const d = join(fc.mnt, 'b');
  py(CREATE, d, String(N));
  py(`
import os,sys
d,n=sys.argv[1],int(sys.argv[2])
for i in range(n):
    p=os.path.join(d,'f%04d'%i); os.unlink(p)
    with open(p,'wb') as f: f.write(b'new %d' % i)
`, d, String(N));
  const seen = py(`
import os,sys
d=sys.argv[1]
print('\\n'.join(open(os.path.join(d,x),'rb').read().decode() for x in sorted(os.listdir(d))))
`, d).trim().split('\n');
  assert.equal(seen, names.map((_, i) => `new ${i}`));
  assert.equal(await listAt(fc, '/b'), names);
  const got = await fc.tc.cli.run(['download', '/b/f0123', '-']);
  assert.is(got.exitCode, 0, got.stderr);
  assert.is(got.stdout, 'new 123', 'redcloud download /b/f0123 -');
});

step('creates in a burst: the inode number fstat shows at open is the one stat shows after close, after a remount and to another client', async (fc) => {
  const d = join(fc.mnt, 'c');
  const rows = py(`
import os,sys
d=sys.argv[1]; os.makedirs(d,exist_ok=True); out=[]
for i in range(200):
    p=os.path.join(d,'f%04d'%i); fd=os.open(p,os.O_CREAT|os.O_EXCL|os.O_WRONLY,0o644)
    at_open=os.fstat(fd).st_ino; os.write(fd,b'c %d' % i); os.close(fd)
    out.append('%s %d %d' % (os.path.basename(p), at_open, os.stat(p).st_ino))
print('\\n'.join(out))
`, d).trim().split('\n').map((l) => l.split(' '));
  assert.is(rows.length, 200);
  for (const [name, atOpen, afterClose] of rows) assert.is(afterClose, atOpen, `${name}: st_ino at open and after close`);
  assert.is(new Set(rows.map((r) => r[1])).size, 200, 'every file its own inode number');
  const { status, data } = await getJson<{ entries: EntryInfo[] }>(`${fc.tc.controllerUrls[0]}/v1/fs/list?path=/c`, fc.token);
  assert.is(status, 200);
  const byName = new Map(data.entries.map((e) => [e.path.slice(3), String(e.ino)]));
  assert.equal(rows.map(([name]) => byName.get(name!)), rows.map((r) => r[1]), 'the controller names the same inode numbers');
  await fc.remount();
  const again = py('import os,sys; d=sys.argv[1]; print(" ".join(str(os.stat(os.path.join(d,x)).st_ino) for x in sorted(os.listdir(d))))', d).trim().split(' ');
  assert.equal(again, rows.map((r) => r[1]), 'after a remount');
});

step('SIGKILL of the mount right after a burst: every file is in its directory or in the trash, exactly once', async (fc) => {
  const d = join(fc.mnt, 'k');
  py(CREATE, d, String(N));
  py(`
import os,sys
d=sys.argv[1]
for x in sorted(os.listdir(d)): os.unlink(os.path.join(d,x))
`, d);
  fc.mount.proc.kill('SIGKILL');
  await fc.remount();
  const left = await listAt(fc, '/k');
  const trashed = await trashedUnder(fc, '/k');
  assert.equal([...left, ...trashed].sort(), names, `${left.length} left, ${trashed.length} in the trash`);
  const shown = py('import os,sys; print(len(os.listdir(sys.argv[1])))', d).trim();
  assert.is(Number(shown), left.length, 'the remounted directory shows what the controller has');
});

test.run();
