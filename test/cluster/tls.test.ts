/**
 * TLS against real processes (1 controller + 2 chunkservers on 127.0.12.x): a test CA made with
 * openssl signs one certificate for the nodes' addresses (IP SANs); every daemon serves HTTPS with
 * TLS_CERT/TLS_KEY and trusts TLS_CA. The controller advertises https, chunkservers heartbeat over
 * https (peers given as host:port get the local scheme) and report https URLs; a CLI with TLS_CA
 * registers, logs in, uploads and downloads byte-identically; the chunks reach both chunkservers;
 * a CLI without TLS_CA is refused with a certificate error and a non-zero exit; plain HTTP to a
 * TLS port gets nothing.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterStatus } from '../../src/common/api.js';
import { requestJson } from '../../src/common/http-client.js';
import { createCli, findEntryIn, type Cli } from '../helpers/cli.js';
import { sha256File, writeRandomFile, listFiles } from '../helpers/files.js';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { clusterStepsFor } from '../helpers/step.js';
import { waitFor } from '../helpers/wait.js';

const NET = '127.0.12';
const CTL = `https://${NET}.11:8000`;
const MiB = 1024 * 1024;
const PW = 'Tls-pw-5b1e9c2a';
const ctx: { tc?: TestCluster; pki: string; work: string; cli?: Cli; token: string; sha: string } = { pki: '', work: '', token: '', sha: '' };
const test = suite('tls');

/** A CA and one node certificate for the cluster's addresses, as PEM files in `dir`. */
function makePki(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=RedCloud TLS suite CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('node.key'), '-out', f('node.csr'), '-subj', `/CN=${NET}.11`);
  writeFileSync(f('san.cnf'), `subjectAltName=IP:${NET}.11,IP:${NET}.21,IP:${NET}.22\n`);
  ssl('x509', '-req', '-in', f('node.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('node.pem'), '-days', '2', '-extfile', f('san.cnf'));
  return { ca: f('ca.pem'), cert: f('node.pem'), key: f('node.key') };
}

const step = clusterStepsFor(test, ctx);

/** GET /v1/status over https (this process trusts the CA since the launcher's health checks). */
const status = (): Promise<ClusterStatus> => requestJson<ClusterStatus>(`${CTL}/v1/status`, { timeoutMs: 5_000, headers: { authorization: `Bearer ${ctx.token}` } });

test.before(async () => {
  ctx.pki = makeTempDir('tls-pki');
  try {
    const pem = makePki(ctx.pki);
    const tlsEnv = { TLS_CERT: pem.cert, TLS_KEY: pem.key, TLS_CA: pem.ca };
    ctx.tc = await startTestCluster({ label: 'tls', net: NET, controllers: 1, chunkservers: 2, controllerEnv: tlsEnv, chunkserverEnv: tlsEnv });
    ctx.work = join(ctx.tc.dir, 'work');
    mkdirSync(ctx.work, { recursive: true });
    ctx.cli = createCli({ configDir: join(ctx.tc.dir, 'cli'), controllers: [CTL] });
    ctx.cli.env.TLS_CA = pem.ca;
  } catch (err) {
    process.stderr.write(`tls: setup failed: ${(err as Error).stack ?? String(err)}\n`);
    ctx.tc?.dumpLogs();
    await ctx.tc?.stop();
    ctx.tc = undefined;
  }
});

test.after(async () => {
  await ctx.tc?.stop();
  removeDir(ctx.pki);
});

step('the nodes serve https and advertise https URLs', async (tc) => {
  assert.equal(tc.controllers.map((n) => n.url), [CTL]);
  assert.equal(tc.chunkservers.map((n) => n.url), [`https://${NET}.21:9000`, `https://${NET}.22:9000`]);
  const health = await requestJson<{ role: string }>(`${CTL}/health`, { timeoutMs: 5_000 });
  assert.is(health.role, 'controller');
  // plain HTTP to the TLS port gets no HTTP answer
  let plain: string;
  try {
    const res = await fetch(`http://${NET}.11:8000/health`, { signal: AbortSignal.timeout(5_000) });
    plain = `answered ${res.status}`;
  } catch {
    plain = 'refused';
  }
  assert.ok(plain === 'refused' || plain === 'answered 400', `plain http to the https port: ${plain}`);
});

step('a CLI with TLS_CA registers, logs in; chunkservers heartbeat over https', async (tc, cli) => {
  const reg = await cli.run(['register', 'alice', '--password', PW]);
  assert.is(reg.exitCode, 0, `register: ${reg.stderr}`);
  const login = await cli.run(['login', 'alice', PW]);
  assert.is(login.exitCode, 0, `login: ${login.stderr}`);
  ctx.token = (await requestJson<{ token: string }>(`${CTL}/v1/login`, { method: 'POST', body: { user: 'alice', password: PW }, timeoutMs: 5_000 })).token;
  const st = await waitFor('2 healthy chunkservers', async () => {
    const s = await status();
    return s.chunkservers.filter((c) => c.healthy).length >= 2 ? s : undefined;
  });
  assert.equal(st.chunkservers.map((c) => c.url).sort(), [`https://${NET}.21:9000`, `https://${NET}.22:9000`]);
  const who = await requestJson<{ controllers: string[] }>(`${CTL}/v1/whoami`, { timeoutMs: 5_000, headers: { authorization: `Bearer ${ctx.token}` } });
  assert.equal(who.controllers, [CTL]);
  assert.equal(tc.controllers.length, 1);
});

step('upload and download through https: byte-identical; chunks reach both chunkservers', async (tc, cli) => {
  const src = join(ctx.work, 'data.bin');
  writeRandomFile(src, 9 * MiB + 12_345);
  ctx.sha = await sha256File(src);
  const up = await cli.run(['upload', src, 'tls']);
  assert.is(up.exitCode, 0, `upload: ${up.stderr}`);
  const ls = await cli.json(['ls', '/']);
  assert.ok(findEntryIn(ls, '/data.bin'), `ls shows /data.bin: ${JSON.stringify(ls).slice(0, 300)}`);
  const dest = join(ctx.work, 'data.down');
  const down = await cli.run(['download', '/data.bin', dest]);
  assert.is(down.exitCode, 0, `download: ${down.stderr}`);
  assert.is(await sha256File(dest), ctx.sha);
  // replication factor "all": whatever the upload did not write itself, repair copies over https
  await waitFor('every chunk on both chunkservers', () => {
    const counts = [0, 1].map((i) => listFiles(tc.chunkDir(i)).length);
    return counts[0]! >= 3 && counts[0] === counts[1] ? counts : undefined;
  }, { timeoutMs: 30_000 });
});

step('a CLI without TLS_CA is refused with a certificate error and a non-zero exit', async (tc) => {
  const bare = createCli({ configDir: join(tc.dir, 'cli-bare'), controllers: [CTL] });
  delete bare.env.TLS_CA;
  for (const args of [['login', 'alice', PW], ['ls', '/']]) {
    const r = await bare.run(args);
    assert.ok(r.exitCode !== 0 && r.exitCode !== null, `${args[0]}: exit ${r.exitCode} (${r.stdout.slice(0, 200)})`);
    assert.match(r.stderr, /TLS certificate not trusted, UNABLE_TO_VERIFY_LEAF_SIGNATURE: set TLS_CA/, `${args[0]}: stderr names the certificate problem: ${r.stderr.trim()}`);
    assert.not.ok(/\n\s+at .+:\d+:\d+/.test(r.stderr), `${args[0]}: no stack trace`);
    if (process.env.TLS_SUITE_VERBOSE) process.stderr.write(`${args.join(' ')} without TLS_CA: exit ${r.exitCode}: ${r.stderr}`);
  }
});

test.run();
