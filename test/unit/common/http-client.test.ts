/** The HTTP client against a local server on 127.0.0.1: answers, error answers, timeouts, aborts, refused connections, keep-alive reuse. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RedCloudError } from '../../../src/common/errors.js';
import { request, requestJson } from '../../../src/common/http-client.js';

let server: Server;
let base = '';
const connections = new Set<unknown>();
const BIG = Buffer.alloc(256 * 1024, 7);

function route(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    switch (req.url) {
      case '/json':
        res.writeHead(200, { 'content-type': 'application/json', 'X-Receipt': 'r-1' }).end('{"a":1}');
        return;
      case '/echo':
        res.writeHead(201, { 'content-type': 'application/octet-stream', 'x-length': String(req.headers['content-length']) }).end(body);
        return;
      case '/missing':
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"NOT_FOUND","message":"no such chunk"}');
        return;
      case '/broken':
        res.writeHead(500).end('plain failure');
        return;
      case '/big':
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BIG);
        return;
      case '/slow':
        return; // never answers
      default:
        res.writeHead(400).end();
    }
  });
}

test.before(async () => {
  server = createServer(route);
  server.on('connection', (s) => connections.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function rejection(p: Promise<unknown>): Promise<RedCloudError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, RedCloudError);
    return err as RedCloudError;
  }
  throw new Error('expected a rejection');
}

test('JSON answers, headers by any case, and a Buffer body sent with its length', async () => {
  assert.equal(await requestJson(`${base}/json`, { timeoutMs: 2000 }), { a: 1 });
  const res = await request(`${base}/json`, { timeoutMs: 2000 });
  assert.is(res.status, 200);
  assert.ok(res.ok);
  assert.is(res.headers.get('x-receipt'), 'r-1');
  assert.is(res.headers.get('X-Receipt'), 'r-1');
  assert.is(res.headers.get('x-none'), null);
  assert.equal(await res.json(), { a: 1 });
  const sent = Buffer.from('chunk bytes');
  const echo = await request(`${base}/echo`, { method: 'PUT', body: sent, timeoutMs: 2000 });
  assert.is(echo.status, 201);
  assert.is(echo.headers.get('x-length'), String(sent.length));
  const parts: Buffer[] = [];
  for await (const piece of echo.body) parts.push(piece as Buffer);
  assert.ok(Buffer.concat(parts).equals(sent));
});

test('an error answer becomes the RedCloudError it carries; a non-JSON 5xx is UNAVAILABLE', async () => {
  const missing = await rejection(request(`${base}/missing`, { timeoutMs: 2000 }));
  assert.is(missing.code, 'NOT_FOUND');
  assert.is(missing.message, 'no such chunk');
  const broken = await rejection(request(`${base}/broken`, { timeoutMs: 2000 }));
  assert.is(broken.code, 'UNAVAILABLE');
  assert.match(broken.message, /500.*plain failure/);
});

test('a silent server is a TIMEOUT at the deadline; a caller abort is ABORTED; a closed port is UNAVAILABLE', async () => {
  const t0 = Date.now();
  const slow = await rejection(request(`${base}/slow`, { timeoutMs: 150 }));
  assert.is(slow.code, 'TIMEOUT');
  assert.ok(Date.now() - t0 < 2000, 'gave up near its deadline');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  assert.is((await rejection(request(`${base}/slow`, { timeoutMs: 5000, signal: ac.signal }))).code, 'ABORTED');
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  assert.is((await rejection(request(`http://127.0.0.1:${port}/x`, { timeoutMs: 2000 }))).code, 'UNAVAILABLE');
});

test('bodies nobody reads do not pin connections: 200 such requests reuse a few keep-alive sockets', async () => {
  connections.clear();
  for (let i = 0; i < 200; i++) {
    const res = await request(`${base}/big`, { timeoutMs: 2000 });
    assert.is(res.status, 200); // the body is never taken
  }
  // each next request may find the last socket still draining (on a loaded machine, more than one):
  // a handful, where pinned bodies would need one per request
  assert.ok(connections.size <= 8, `${connections.size} connections for 200 requests`);
});

test.run();
