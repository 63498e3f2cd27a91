// Optional TLS: a test CA made with openssl signs a certificate for 127.0.0.1; a server built with
// it answers HTTPS, a client that trusts the CA (TLS_CA) gets through, one that does not is refused
// as UNAVAILABLE with a hint to set TLS_CA; half-configured or unreadable TLS settings are INVALID
// naming the variable; daemons with TLS advertise https and give host:port peers their scheme.
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
import { applyClientTls, loadServerTls, schemeOf, withScheme } from '../../../src/common/tls.js';
import { chunkserverSchema } from '../../../src/common/config.js';
import { createChunkserver } from '../../../src/chunkserver/server.js';
import { createMemoryStore } from '../../../src/chunkserver/memory-store.js';
import { createController } from '../../../src/controller/server.js';

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
      assert.match((err as RedCloudError).message, /\(TLS certificate not trusted, UNABLE_TO_VERIFY_LEAF_SIGNATURE: set TLS_CA to the CA bundle that signed the cluster's certificates\)$/);
    }
    applyClientTls({ tlsCa: f('ca.pem') });
    assert.equal(await requestJson(`https://127.0.0.1:${port}/health`, { timeoutMs: 5000 }), { status: 'ok', role: 'test' });
    try {
      await requestJson(`http://127.0.0.1:${port}/health`, { timeoutMs: 5000 });
      assert.unreachable('plain HTTP to an HTTPS port must fail');
    } catch (err) {
      assert.instance(err, RedCloudError);
      assert.not.match((err as RedCloudError).message, /TLS certificate/, 'no certificate hint for other failures');
    }
  } finally {
    setTrustedCa(undefined);
    await app.close();
  }
});

test('peers named without a scheme get the local one; full URLs are kept', () => {
  assert.is(withScheme('10.0.0.5:8000', 'https'), 'https://10.0.0.5:8000');
  assert.is(withScheme(' ctl-1:8000 ', 'http'), 'http://ctl-1:8000');
  assert.is(withScheme('http://10.0.0.5:8000', 'https'), 'http://10.0.0.5:8000');
  assert.is(withScheme('https://10.0.0.5:8000', 'http'), 'https://10.0.0.5:8000');
});

test('daemons with TLS_CERT/TLS_KEY advertise https and reach host:port peers over https', async () => {
  const tlsEnv = { TLS_CERT: f('node.pem'), TLS_KEY: f('node.key'), BIND_ADDR: '127.0.0.1', PORT: '0', CONTROLLER_DNS: '', CONTROLLER_PEERS: '127.0.0.2:8000,http://127.0.0.3:8000' };
  const ctl = createController({ config: loadConfig(controllerSchema, { ...tlsEnv, DATA_DIR: dir }), logger: silentLogger(), nodeId: 'ctl-tls', dbPath: ':memory:' });
  const cs = createChunkserver({
    config: loadConfig(chunkserverSchema, { ...tlsEnv, DATA_DIR: dir }), nodeId: 'cs-tls', logger: silentLogger(),
    store: createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 }),
  });
  try {
    assert.is(ctl.url(), 'https://127.0.0.1:0');
    assert.equal(ctl.membership.urls().filter((u) => u !== ctl.url()).sort(), ['http://127.0.0.3:8000', 'https://127.0.0.2:8000']);
    assert.is(cs.url(), 'https://127.0.0.1:0');
    assert.equal(cs.heartbeat.controllers().sort(), ['http://127.0.0.3:8000', 'https://127.0.0.2:8000']);
    const plain = createController({ config: loadConfig(controllerSchema, { BIND_ADDR: '127.0.0.1', PORT: '0', CONTROLLER_DNS: '', CONTROLLER_PEERS: '127.0.0.2:8000', DATA_DIR: dir }), logger: silentLogger(), nodeId: 'ctl-plain', dbPath: ':memory:' });
    assert.is(plain.url(), 'http://127.0.0.1:0');
    assert.equal(plain.membership.urls().filter((u) => u !== plain.url()), ['http://127.0.0.2:8000']);
    await plain.stop();
  } finally {
    await ctl.stop();
    await cs.stop();
  }
});

test.run();
