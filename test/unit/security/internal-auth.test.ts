// Cluster authentication comes before body parsing and validation on every internal route of the
// controller (gossip, anti-entropy, heartbeat, report-bad) and the chunkserver (replicate,
// inventory): a wrong or missing cluster signature is 401 whatever the body (malformed JSON or a
// schema violation), and only a correctly signed call gets as far as the 400 of a bad body.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { silentLogger } from '../../../src/common/logger.js';
import { Signer } from '../../../src/common/tokens.js';
import { CLUSTER_AUTH_HEADER, CLUSTER_ROUTES, signClusterCall } from '../../../src/common/cluster-auth.js';

/** A header for this one request, by the role the route table allows there. */
const hdr = (s: Signer, method: string, url: string, body: string | undefined, nowMs: number): string =>
  signClusterCall(s, CLUSTER_ROUTES[`${method} ${url}`]![0]!, 'n1', { method, path: url, body }, nowMs);
import { createMemoryStore } from '../../../src/chunkserver/memory-store.js';
import { createChunkserver, type Chunkserver } from '../../../src/chunkserver/server.js';
import { NOW, removeDir, signer, tempDir, testConfig } from '../chunkserver/helpers.js';
import { makeController, type TestController } from '../controller/helpers.js';

const wrong = new Signer('not-the-cluster-secret');
const BAD_JSON = '{"from": {"id": "x", oops';
const BAD_SHAPE = JSON.stringify({ nothing: 'expected', sources: 'not-an-array' });

type Inject = (o: Record<string, unknown>) => Promise<{ statusCode: number; body: string }>;

async function send(app: { inject: unknown }, method: string, url: string, payload: string | undefined, header: string | undefined) {
  const res = await (app.inject as Inject)({
    method, url, ...(payload !== undefined ? { payload } : {}),
    headers: { 'content-type': 'application/json', ...(header !== undefined ? { [CLUSTER_AUTH_HEADER]: header } : {}) },
  });
  return { status: res.statusCode, code: res.body ? (JSON.parse(res.body) as { code?: string }).code : undefined };
}

const CONTROLLER_ROUTES = ['/internal/gossip', '/internal/gossip/push', '/internal/anti-entropy', '/internal/anti-entropy/records', '/internal/heartbeat', '/internal/report-bad'];

let t: TestController;
let cs: Chunkserver;
let csDir: string;
test.before(async () => {
  t = await makeController();
  csDir = await tempDir();
  cs = createChunkserver({ config: testConfig(csDir), nodeId: 'cs-test', logger: silentLogger(), store: createMemoryStore({ quotaBytes: 0, minFreeBytes: 0 }), clock: () => NOW });
  await cs.ready();
});
test.after(async () => {
  await t.close();
  await cs.stop();
  await removeDir(csDir);
});

test('controller: a wrong or missing cluster signature is 401 before the body is parsed or validated', async () => {
  for (const url of CONTROLLER_ROUTES) {
    for (const body of [BAD_JSON, BAD_SHAPE]) {
      const bad = hdr(wrong, 'POST', url, body, t.clock.ms);
      assert.equal(await send(t.c.app, 'POST', url, body, bad), { status: 401, code: 'UNAUTHORIZED' }, `${url} wrong secret, body ${body}`);
      assert.equal(await send(t.c.app, 'POST', url, body, undefined), { status: 401, code: 'UNAUTHORIZED' }, `${url} no signature, body ${body}`);
    }
  }
});

test('controller: a correctly signed call with a bad body is 400', async () => {
  for (const url of CONTROLLER_ROUTES) {
    for (const body of [BAD_JSON, BAD_SHAPE]) {
      const good = hdr(t.c.signer, 'POST', url, body, t.clock.ms);
      assert.is((await send(t.c.app, 'POST', url, body, good)).status, 400, `${url} body ${body}`);
    }
  }
});

test('controller: a header is good for its one request only: not twice, not with another body, route or role', async () => {
  const url = '/internal/gossip';
  const body = JSON.stringify({ from: { id: 'c9', url: 'http://127.0.0.99:8000' }, digest: {} });
  const h = signClusterCall(t.c.signer, 'controller', 'c9', { method: 'POST', path: url, body }, t.clock.ms);
  assert.is((await send(t.c.app, 'POST', url, body, h)).status, 200, 'the legitimate call');
  assert.equal(await send(t.c.app, 'POST', url, body, h), { status: 401, code: 'UNAUTHORIZED' }, 'the same header twice');
  const fresh = signClusterCall(t.c.signer, 'controller', 'c9', { method: 'POST', path: url, body }, t.clock.ms);
  assert.equal(await send(t.c.app, 'POST', url, body.replace('c9', 'c8'), fresh), { status: 401, code: 'UNAUTHORIZED' }, 'another body');
  const other = signClusterCall(t.c.signer, 'controller', 'c9', { method: 'POST', path: url, body }, t.clock.ms);
  assert.equal(await send(t.c.app, 'POST', '/internal/anti-entropy', body, other), { status: 401, code: 'UNAUTHORIZED' }, 'another route');
  const asChunkserver = signClusterCall(t.c.signer, 'chunkserver', 'cs-test', { method: 'POST', path: url, body }, t.clock.ms);
  assert.equal(await send(t.c.app, 'POST', url, body, asChunkserver), { status: 401, code: 'UNAUTHORIZED' }, 'a chunkserver credential on gossip');
});

test('chunkserver: replicate and inventory refuse a wrong or missing signature with 401, whatever the body', async () => {
  for (const body of [BAD_JSON, BAD_SHAPE]) {
    assert.equal(await send(cs.app, 'POST', '/internal/replicate', body, hdr(wrong, 'POST', '/internal/replicate', body, NOW)), { status: 401, code: 'UNAUTHORIZED' });
    assert.equal(await send(cs.app, 'POST', '/internal/replicate', body, undefined), { status: 401, code: 'UNAUTHORIZED' });
  }
  assert.equal(await send(cs.app, 'GET', '/internal/inventory', undefined, hdr(wrong, 'GET', '/internal/inventory', undefined, NOW)), { status: 401, code: 'UNAUTHORIZED' });
  assert.is((await send(cs.app, 'POST', '/internal/replicate', BAD_JSON, hdr(signer, 'POST', '/internal/replicate', BAD_JSON, NOW))).status, 400);
  assert.is((await send(cs.app, 'POST', '/internal/replicate', BAD_SHAPE, hdr(signer, 'POST', '/internal/replicate', BAD_SHAPE, NOW))).status, 400);
  assert.is((await send(cs.app, 'GET', '/internal/inventory', undefined, hdr(signer, 'GET', '/internal/inventory', undefined, NOW))).status, 200);
});

test.run();
