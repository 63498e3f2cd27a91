// Connection-level limits of the shared server shell on a real socket (127.0.0.1, port 0): an
// oversized request head gets 431 with a JSON { code, message }, garbage gets 400 JSON, a client
// that never finishes its request is cut after requestTimeoutMs with 408 JSON.
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildServer, createMetricsRegistry } from '../../../src/common/http-server.js';
import { silentLogger } from '../../../src/common/logger.js';

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const app = buildServer({ logger: silentLogger(), bodyLimitBytes: 1024, metrics: createMetricsRegistry({}), health: () => ({}), requestTimeoutMs: 300, maxHeaderBytes: 4096 });
  app.post('/echo', async (req) => req.body);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  try {
    await fn(typeof addr === 'object' && addr ? addr.port : 0);
  } finally {
    await app.close();
  }
}

function raw(port: number, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs);
    s.on('data', (d) => { out += d.toString('utf8'); });
    s.on('close', () => { clearTimeout(timer); resolve(out); });
    s.on('error', () => undefined);
    s.write(text);
  });
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

test('oversized headers: 431 TOO_LARGE as JSON', async () => {
  await withServer(async (port) => {
    const answer = await raw(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.equal(bodyOf(answer), { code: 'TOO_LARGE', message: 'Request headers are too large' });
  });
});

test('oversized headers on HEAD: 431 without a body', async () => {
  await withServer(async (port) => {
    const answer = await raw(port, `HEAD /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.is(answer.slice(answer.indexOf('\r\n\r\n') + 4), '');
  });
});

test('a malformed request line: 400 INVALID as JSON', async () => {
  await withServer(async (port) => {
    const answer = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.is(bodyOf(answer).code, 'INVALID');
  });
});

test('a slow client is cut after requestTimeoutMs', async () => {
  await withServer(async (port) => {
    const started = Date.now();
    const answer = await raw(port, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":', 10_000);
    assert.ok(Date.now() - started < 9000, 'cut before the test timeout');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.is(bodyOf(answer).code, 'TIMEOUT');
  });
});

test('an oversized body: 413 TOO_LARGE', async () => {
  await withServer(async (port) => {
    const body = JSON.stringify({ a: 'x'.repeat(2000) });
    const answer = await raw(port, `POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.is(bodyOf(answer).code, 'TOO_LARGE');
  });
});

test.run();
