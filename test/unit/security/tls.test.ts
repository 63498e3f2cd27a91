// Optional TLS: a test CA made with openssl signs a certificate for 127.0.0.1; a server built with
// it answers HTTPS, a client that trusts the CA (TLS_CA) gets through, one that does not is refused
// as UNAVAILABLE; half-configured or unreadable TLS settings are INVALID naming the variable.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientSchema, controllerSchema, loadConfig } from '../../../src/common/config.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { requestJson, setTrustedCa } from '../../../src/common/http-client.js';
import { buildServer, createMetricsRegistry } from '../../../src/common/http-server.js';
import { silentLogger } from '../../../src/common/logger.js';
import { applyClientTls, loadServerTls, schemeOf } from '../../../src/common/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'redcloud-tls-test-'));
const f = (name: string) => join(dir, name);

function makeCa(): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=RedCloud test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('node.key'), '-out', f('node.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', f('node.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('node.pem'), '-days', '2', '-extfile', f('ext.cnf'));
}

test.before(() => makeCa());
test.after(() => {
  setTrustedCa(undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('TLS variables: off by default, both or neither, readable PEM files', () => {
  const c = loadConfig(controllerSchema, {});
  assert.equal([c.tlsCert, c.tlsKey, c.tlsCa], ['', '', '']);
  assert.is(loadConfig(clientSchema, { TLS_CA: f('ca.pem') }).tlsCa, f('ca.pem'));
  assert.is(loadServerTls(c), undefined);
  assert.is(schemeOf(undefined), 'http');
  assert.throws(() => loadServerTls({ tlsCert: f('node.pem'), tlsKey: '' }), /TLS_CERT and TLS_KEY must be set together/);
  assert.throws(() => loadServerTls({ tlsCert: f('missing.pem'), tlsKey: f('node.key') }), /TLS_CERT: cannot read/);
  assert.throws(() => loadServerTls({ tlsCert: f('ext.cnf'), tlsKey: f('node.key') }), /TLS_CERT: .* is not a PEM file/);
  assert.throws(() => applyClientTls({ tlsCa: f('missing.pem') }), /TLS_CA: cannot read/);
});

test('HTTPS server; the client verifies it against TLS_CA', async () => {
  const tls = loadServerTls({ tlsCert: f('node.pem'), tlsKey: f('node.key') });
  assert.is(schemeOf(tls), 'https');
  const app = buildServer({ logger: silentLogger(), bodyLimitBytes: 1024, metrics: createMetricsRegistry({}), health: () => ({ role: 'test' }), tls });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  try {
    setTrustedCa(undefined);
    try {
      await requestJson(`https://127.0.0.1:${port}/health`, { timeoutMs: 5000 });
      assert.unreachable('an untrusted certificate must be refused');
    } catch (err) {
      assert.instance(err, RedCloudError);
      assert.is((err as RedCloudError).code, 'UNAVAILABLE');
    }
    applyClientTls({ tlsCa: f('ca.pem') });
    assert.equal(await requestJson(`https://127.0.0.1:${port}/health`, { timeoutMs: 5000 }), { status: 'ok', role: 'test' });
    try {
      await requestJson(`http://127.0.0.1:${port}/health`, { timeoutMs: 5000 });
      assert.unreachable('plain HTTP to an HTTPS port must fail');
    } catch (err) {
      assert.instance(err, RedCloudError);
    }
  } finally {
    setTrustedCa(undefined);
    await app.close();
  }
});

test.run();
