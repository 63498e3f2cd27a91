/**
 * The core data path against real processes (1 controller + 3 chunkservers on 127.0.5.x) through
 * the real CLI: register/login, a 64 MiB upload with tags, ls/find, byte-identical downloads, the
 * same after kill -9 of two chunkservers, tiny and oddly named files, clear errors for bad input,
 * integrity and capability checks on the chunkservers, and an upload cut off by SIGKILL.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath, repoRoot } from '../../src/cluster/paths.js';
import { Signer, issueCapability } from '../../src/common/tokens.js';
import type { PlacementResponse } from '../../src/common/api.js';
import { DEV_CLUSTER_SECRET } from '../../src/common/config.js';
import { findEntryIn } from '../helpers/cli.js';
import { listFiles, sha256File, writeRandomFile } from '../helpers/files.js';
import { http, loginToken, postJson } from '../helpers/http.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';

const MiB = 1024 * 1024;
const ctx: { tc?: TestCluster; work: string; token: string; big: string; bigSha: string } = { work: '', token: '', big: '', bigSha: '' };
const test = suite('data path');

const step = stepsFor(test, () => ctx.tc);

function assertFails(r: { exitCode: number | null; stderr: string; stdout: string }, what: string, exitCode?: number): void {
  assert.ok(r.exitCode !== 0 && r.exitCode !== null, `${what}: expected a non-zero exit, got ${r.exitCode}`);
  if (exitCode !== undefined) assert.is(r.exitCode, exitCode, `${what}: exit code (stderr: ${r.stderr.trim()})`);
  const msg = `${r.stderr}${r.stdout}`.trim();
  assert.ok(msg.length > 0, `${what}: a message is printed`);
  assert.not.ok(/\n\s+at .+:\d+:\d+/.test(r.stderr), `${what}: no stack trace (${r.stderr.slice(0, 300)})`);
}

useTestCluster(test, 'data path', ctx, { label: 'datapath', net: '127.0.5', controllers: 1, chunkservers: 3 }, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  // A second user over plain HTTP, so the chunkserver checks do not depend on the CLI.
  const url = tc.controllerUrls[0]!;
  const reg = await http(`${url}/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'probe', password: 'pw-probe-1' }) });
  if (reg.status !== 201 && reg.status !== 200) throw new Error(`register over HTTP answered ${reg.status}: ${reg.body.toString('utf8').slice(0, 200)}`);
  ctx.token = await loginToken(url, 'probe', 'pw-probe-1');
  await tc.waitHealthyChunkservers(ctx.token, 3);
});

step('register and login through the CLI; bad credentials fail clearly', async (tc) => {
  const reg = await tc.cli.run(['register', 'alice', '--password', 'pw-alice-1']);
  assert.is(reg.exitCode, 0, `register: ${reg.stderr}`);
  const again = await tc.cli.run(['register', 'alice', '--password', 'other-pw-1']);
  assertFails(again, 'registering an existing user', 5);
  assertFails(await tc.cli.run(['login', 'alice', 'wrong-password']), 'wrong password', 3);
  assertFails(await tc.cli.run(['login', 'nobody', 'pw']), 'unknown user', 3);
  const login = await tc.cli.run(['login', 'alice', 'pw-alice-1']);
  assert.is(login.exitCode, 0, `login: ${login.stderr}`);
});

step('64 MiB upload with two tags; ls and find show it; download is byte-identical', async (tc) => {
  ctx.big = join(ctx.work, 'big.bin');
  writeRandomFile(ctx.big, 64 * MiB);
  ctx.bigSha = await sha256File(ctx.big);
  const up = await tc.cli.run(['upload', ctx.big, 'dataset', 'v1']);
  assert.is(up.exitCode, 0, `upload: ${up.stderr}`);

  const ls = await tc.cli.json(['ls', '/']);
  const entry = findEntryIn(ls, '/big.bin');
  assert.ok(entry, `ls shows /big.bin: ${JSON.stringify(ls).slice(0, 400)}`);
  assert.is(entry!.size, 64 * MiB);
  assert.equal([...(entry!.tags as string[])].sort(), ['dataset', 'v1']);
  const lsText = await tc.cli.run(['ls', '/']);
  assert.ok(lsText.stdout.includes('big.bin'), 'plain ls lists the name');

  const found = await tc.cli.json(['find', 'dataset', 'v1']);
  assert.ok(findEntryIn(found, '/big.bin'), `find dataset v1 shows /big.bin: ${JSON.stringify(found).slice(0, 400)}`);
  const none = await tc.cli.json(['find', 'dataset', 'absent-tag']);
  assert.not.ok(findEntryIn(none, '/big.bin'), 'find with a tag the file lacks does not show it');

  const dest = join(ctx.work, 'big.down');
  const down = await tc.cli.run(['download', '/big.bin', dest]);
  assert.is(down.exitCode, 0, `download: ${down.stderr}`);
  assert.is(await sha256File(dest), ctx.bigSha);
});

step('0-byte, 1-byte and a name with spaces and unicode round-trip', async (tc) => {
  const cases: [string, Buffer][] = [['empty.bin', Buffer.alloc(0)], ['one.bin', Buffer.from([0x5a])], ['my notes — été ✓.txt', randomBytes(5000)]];
  for (const [name, bytes] of cases) {
    const local = join(ctx.work, name);
    writeFileSync(local, bytes);
    const up = await tc.cli.run(['upload', local]);
    assert.is(up.exitCode, 0, `upload ${name}: ${up.stderr}`);
    const entry = findEntryIn(await tc.cli.json(['ls', '/']), `/${name}`);
    assert.ok(entry, `ls shows ${name}`);
    assert.is(entry!.size, bytes.length, `${name} size`);
    const dest = join(ctx.work, `down-${name}`);
    const down = await tc.cli.run(['download', `/${name}`, dest]);
    assert.is(down.exitCode, 0, `download ${name}: ${down.stderr}`);
    assert.is(await sha256File(dest), createHash('sha256').update(bytes).digest('hex'), `${name} content`);
  }
});

step('bad input: missing local file, missing remote file, a path with ".."', async (tc) => {
  assertFails(await tc.cli.run(['upload', join(ctx.work, 'does-not-exist.bin')]), 'upload of a missing local file');
  assertFails(await tc.cli.run(['download', '/no-such-file.bin', join(ctx.work, 'x')]), 'download of a missing remote file', 4);
  assert.not.ok(existsSync(join(ctx.work, 'x')), 'a failed download leaves no file');
  assertFails(await tc.cli.run(['upload', ctx.big, '--to', '/a/../etc/passwd']), 'upload to a path with ..', 2);
  assertFails(await tc.cli.run(['download', '/a/../big.bin', join(ctx.work, 'y')]), 'download of a path with ..', 2);
});

step('a chunk PUT whose bytes do not match its id is refused with 4xx and nothing is stored', async (tc) => {
  const claimed = randomBytes(1000);
  const id = createHash('sha256').update(claimed).digest('hex');
  const placed = await postJson<PlacementResponse>(`${tc.controllerUrls[0]}/v1/fs/placement`, ctx.token, { chunks: [{ id, size: 1000 }] });
  assert.is(placed.status, 200, `placement: ${JSON.stringify(placed.data)}`);
  const chunk = placed.data.chunks[0]!;
  assert.ok(chunk.targets.length > 0, 'placement has targets');
  const before = [0, 1, 2].map((i) => listFiles(tc.chunkDir(i)));
  for (const target of chunk.targets) {
    const r = await http(`${target.url}/chunks/${id}`, {
      method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'x-redcloud-cap': chunk.cap }, body: randomBytes(1000),
    });
    assert.ok(r.status >= 400 && r.status < 500, `PUT of wrong bytes to ${target.url}: status ${r.status}`);
    assert.is(r.status, 422, 'INTEGRITY');
  }
  const after = [0, 1, 2].map((i) => listFiles(tc.chunkDir(i)));
  assert.equal(after, before, 'no file was added to any chunk directory');
  for (let i = 0; i < 3; i++) assert.not.ok(existsSync(join(tc.chunkDir(i), id.slice(0, 2), id)), `cs${i + 1} has no ${id}`);
});

step('a chunk GET without or with a forged capability is rejected', async (tc) => {
  // Store two chunks properly (placement + PUT), then read them back with good and bad capabilities.
  const datas = [randomBytes(3000), randomBytes(3000)];
  const ids = datas.map((d) => createHash('sha256').update(d).digest('hex'));
  const placed = await postJson<PlacementResponse>(`${tc.controllerUrls[0]}/v1/fs/placement`, ctx.token, { chunks: ids.map((id) => ({ id, size: 3000 })) });
  assert.is(placed.status, 200, `placement: ${JSON.stringify(placed.data)}`);
  const [c, other] = placed.data.chunks as [PlacementResponse['chunks'][number], PlacementResponse['chunks'][number]];
  for (const [i, p] of [c, other].entries()) {
    const put = await http(`${p.targets[0]!.url}/chunks/${p.id}`, {
      method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'x-redcloud-cap': p.cap }, body: datas[i],
    });
    assert.ok(put.status === 200 || put.status === 201, `PUT of the right bytes: ${put.status} ${put.body.toString('utf8').slice(0, 200)}`);
  }
  const url = `${c.targets[0]!.url}/chunks/${c.id}`;
  const readCap = issueCapability(new Signer(DEV_CLUSTER_SECRET), c.id, 'r', Date.now(), 60_000);
  const ok = await http(url, { headers: { 'x-redcloud-cap': readCap } });
  assert.is(ok.status, 200, 'a read capability signed with the cluster secret works');
  assert.is(createHash('sha256').update(ok.body).digest('hex'), c.id);
  assert.is((await http(url)).status, 403, 'no capability');
  const forged = issueCapability(new Signer('not-the-cluster-secret'), c.id, 'r', Date.now(), 60_000);
  assert.is((await http(url, { headers: { 'x-redcloud-cap': forged } })).status, 403, 'capability signed with another secret');
  const otherCap = issueCapability(new Signer(DEV_CLUSTER_SECRET), other.id, 'r', Date.now(), 60_000);
  assert.is((await http(url, { headers: { 'x-redcloud-cap': otherCap } })).status, 403, 'capability of another chunk');
  assert.is((await http(url, { headers: { 'x-redcloud-cap': `${readCap.slice(0, -2)}xx` } })).status, 403, 'tampered capability');
  const expired = issueCapability(new Signer(DEV_CLUSTER_SECRET), c.id, 'r', Date.now() - 120_000, 60_000);
  assert.is((await http(url, { headers: { 'x-redcloud-cap': expired } })).status, 403, 'expired capability');
});

step('an upload cut off by SIGKILL commits nothing; the previous version still downloads identical', async (tc) => {
  const name = 'victim.bin';
  const v1 = join(ctx.work, 'victim-v1.bin');
  writeRandomFile(v1, 8 * MiB);
  const v1Sha = await sha256File(v1);
  const up1 = await tc.cli.run(['upload', v1, '--to', `/${name}`]);
  assert.is(up1.exitCode, 0, `upload v1: ${up1.stderr}`);
  const v1Entry = findEntryIn(await tc.cli.json(['ls', '/']), `/${name}`);
  assert.ok(v1Entry, 'v1 is listed');
  assert.type(v1Entry!.version, 'string', 'ls --json shows the version (EntryInfo.version)');

  const v2 = join(ctx.work, 'victim-v2.bin');
  writeRandomFile(v2, 512 * MiB);
  const baseline = listFiles(tc.chunkDir(0)).length;
  const child = spawn(process.execPath, [binPath('cli'), 'upload', v2, '--to', `/${name}`], {
    cwd: repoRoot(), env: tc.cli.env, stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    // Cut it off once a few chunks of the new version have arrived, well before the end.
    await waitFor('the upload to be under way', () => listFiles(tc.chunkDir(0)).length >= baseline + 4, { pollMs: 10, timeoutMs: 60_000 });
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  assert.ok(listFiles(tc.chunkDir(0)).length < baseline + 128, 'the upload was cut before its end');
  const entry = findEntryIn(await tc.cli.json(['ls', '/']), `/${name}`);
  assert.ok(entry, 'the file is still listed');
  assert.is(entry!.size, 8 * MiB, 'the entry is still the previous version');
  assert.is(entry!.version, v1Entry!.version, 'same version: nothing of v2 was committed');
  assert.is(entry!.mtimeMs, v1Entry!.mtimeMs, 'same mtime');
  const dest = join(ctx.work, 'victim.down');
  const down = await tc.cli.run(['download', `/${name}`, dest]);
  assert.is(down.exitCode, 0, `download: ${down.stderr}`);
  assert.is(await sha256File(dest), v1Sha);
});

step('kill -9 two of three chunkservers: the 64 MiB file still downloads identical', async (tc) => {
  await tc.chunkservers[0]!.kill('SIGKILL');
  await tc.chunkservers[1]!.kill('SIGKILL');
  const dest = join(ctx.work, 'big.after-kill');
  const down = await tc.cli.run(['download', '/big.bin', dest], { timeoutMs: 180_000 });
  assert.is(down.exitCode, 0, `download with two chunkservers dead: ${down.stderr}`);
  assert.is(await sha256File(dest), ctx.bigSha);
});

test.run();
