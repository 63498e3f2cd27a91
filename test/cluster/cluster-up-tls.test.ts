/**
 * `redcloud cluster up` with TLS, as a user runs it (real CLI, real processes on 127.0.35.11 and
 * .21): an openssl CA signs one certificate for both addresses; up with --tls-cert/--tls-key/
 * --tls-ca records https URLs; plain HTTP to the controller gets no answer; the CLI (TLS_CA set)
 * uploads and downloads byte-identically and saves only https controllers; cluster status sees
 * both nodes healthy over https; down stops them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readState } from '../../src/cluster/state.js';
import { createCli, type Cli } from '../helpers/cli.js';
import { http } from '../helpers/http.js';
import { sha256File, writeRandomFile } from '../helpers/files.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const NET = '127.0.35';
const test = suite('cluster up tls');
const ctx: { dir: string; data: string; ca: string; cli?: Cli } = { dir: '', data: '', ca: '' };

function makePki(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=RedCloud cluster-up TLS CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('node.key'), '-out', f('node.csr'), '-subj', `/CN=${NET}.11`);
  writeFileSync(f('san.cnf'), `subjectAltName=IP:${NET}.11,IP:${NET}.21\n`);
  ssl('x509', '-req', '-in', f('node.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('node.pem'), '-days', '2', '-extfile', f('san.cnf'));
  return { ca: f('ca.pem'), cert: f('node.pem'), key: f('node.key') };
}

test.before(() => {
  ctx.dir = makeTempDir('cluster-up-tls');
  ctx.data = join(ctx.dir, 'data');
  ctx.cli = createCli({ configDir: join(ctx.dir, 'cli'), controllers: [`https://${NET}.11:8000`] });
});

test.after(async () => {
  if (ctx.cli && readState(ctx.data)) await ctx.cli.run(['cluster', 'down', '--data', ctx.data], { timeoutMs: 60_000 });
  if (ctx.dir && !process.env.REDCLOUD_KEEP_TEST_DIRS) removeDir(ctx.dir);
});

test('cluster up --tls-*: https URLs, no plain HTTP, the CLI works over https, status and down', async () => {
  const cli = ctx.cli!;
  const pem = makePki(ctx.dir);
  const up = await cli.run(['cluster', 'up', '--net', NET, '--controllers', '1', '--chunkservers', '1', '--no-mount', '--data', ctx.data,
    '--tls-cert', pem.cert, '--tls-key', pem.key, '--tls-ca', pem.ca], { timeoutMs: 180_000 });
  try {
    assert.is(up.exitCode, 0, `cluster up: ${up.stderr}\n${up.stdout}`);
    assert.ok(up.stdout.includes(`export TLS_CA=${pem.ca}`), up.stdout);
    const state = readState(ctx.data)!;
    assert.equal(state.controllers, [`https://${NET}.11:8000`]);
    assert.equal(state.nodes.map((n) => n.url), [`https://${NET}.11:8000`, `https://${NET}.21:9000`]);

    const plain = await http(`http://${NET}.11:8000/health`, { timeoutMs: 5000 }).then((r) => r.status, (err: Error) => err.message);
    assert.ok(plain !== 200, `plain HTTP to the controller answered ${plain}`);

    cli.env.TLS_CA = pem.ca;
    const src = join(ctx.dir, 'doc.bin');
    writeRandomFile(src, 1024 * 1024 + 7);
    const upl = await cli.run(['upload', src, '--to', '/doc.bin']);
    assert.is(upl.exitCode, 0, upl.stderr);
    const back = join(ctx.dir, 'doc.back');
    const dl = await cli.run(['download', '/doc.bin', back]);
    assert.is(dl.exitCode, 0, dl.stderr);
    assert.is(await sha256File(back), await sha256File(src));
    const session = JSON.parse(readFileSync(join(cli.configDir, 'session.json'), 'utf8')) as { controllers: string[] };
    assert.ok(session.controllers.length > 0 && session.controllers.every((c) => c.startsWith('https://')), JSON.stringify(session.controllers));

    const status = await cli.json<{ nodes: { running: boolean; healthy: boolean }[] }>(['cluster', 'status', '--data', ctx.data]);
    assert.is(status.nodes.filter((n) => n.running && n.healthy).length, 2, JSON.stringify(status));
  } catch (err) {
    process.stderr.write(`${up.stdout}\n${up.stderr}\n`);
    throw err;
  }
  const down = await cli.run(['cluster', 'down', '--data', ctx.data], { timeoutMs: 60_000 });
  assert.is(down.exitCode, 0, down.stderr);
  assert.is(readState(ctx.data), undefined);
});

test.run();
