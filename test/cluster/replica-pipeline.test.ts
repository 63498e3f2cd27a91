/**
 * The replica pipeline (REPLICA_PIPELINE=on) on real processes: 1 controller + 3 chunkservers on
 * 127.0.58.x, REPLICATION_FACTOR=3, WRITE_QUORUM=2. One PUT to the first hop lands three verified
 * copies and answers all three receipts; a forged or tampered forward list is refused with nothing
 * stored; a hop whose forwarded bytes arrive corrupt (a proxy flips bytes) costs only that copy,
 * which the client then sends directly; an upload through the CLI survives SIGKILL of a chunkserver mid-way (the copies it
 * would have forwarded or held go directly to the others), downloads identical, and the killed
 * chunkserver, restarted, holds no chunk whose bytes do not match its id (nothing torn).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { connect, createServer, type Server } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binPath, repoRoot } from '../../src/cluster/paths.js';
import type { ChunkPutResponse, PlacementResponse } from '../../src/common/api.js';
import { chunkIdOf, CHUNK_FORMAT_HEADER } from '../../src/common/chunk-format.js';
import { FORWARD_HEADER, issueForwardList } from '../../src/common/forward-list.js';
import { Signer } from '../../src/common/tokens.js';
import { listFiles, sha256File, writeRandomFile } from '../helpers/files.js';
import { http, postJson } from '../helpers/http.js';
import { type TestCluster, useTestCluster } from '../helpers/test-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { stepsFor } from '../helpers/step.js';

const MiB = 1024 * 1024;
const ctx: { tc?: TestCluster; work: string; token: string } = { work: '', token: '' };
const test = suite('replica pipeline');
const step = stepsFor(test, () => ctx.tc);

useTestCluster(test, 'replica pipeline', ctx, {
  label: 'pipeline', net: '127.0.58', controllers: 1, chunkservers: 3,
  controllerEnv: { REPLICATION_FACTOR: '3', WRITE_QUORUM: '2', REPLICA_PIPELINE: 'on' },
}, async (tc) => {
  ctx.work = join(tc.dir, 'work');
  mkdirSync(ctx.work, { recursive: true });
  ctx.token = await tc.signUp('piper', 'pw-piper-1');
});

/** ids of the chunk files (not block lists, not temp files) in chunkserver i's directory */
const chunkFiles = (tc: TestCluster, i: number): string[] => listFiles(tc.chunkDir(i)).filter((f) => /^[0-9a-f]{64}$/.test(basename(f)));

async function place(tc: TestCluster, data: Buffer): Promise<{ id: string; placement: PlacementResponse }> {
  const id = chunkIdOf('b3-64k', data);
  const r = await postJson<PlacementResponse>(`${tc.controllerUrls[0]}/v1/fs/placement`, ctx.token, { chunks: [{ id, size: data.length }] });
  assert.is(r.status, 200, `placement: ${JSON.stringify(r.data)}`);
  return { id, placement: r.data };
}

const put = (url: string, id: string, data: Buffer, cap: string, forward: string) =>
  http(`${url}/chunks/${id}`, { method: 'PUT', headers: { 'x-redcloud-cap': cap, [FORWARD_HEADER]: forward, [CHUNK_FORMAT_HEADER]: 'b3-64k' }, body: data, timeoutMs: 20_000 });

step('one PUT to the first hop lands three verified copies and answers every hop\'s receipt', async (tc) => {
  const data = randomBytes(3 * MiB + 17);
  const { id, placement } = await place(tc, data);
  const chunk = placement.chunks[0]!;
  assert.is(chunk.targets.length, 3, 'three targets');
  assert.type(chunk.forward, 'string', 'the placement carries a forward list');
  const res = await put(chunk.targets[0]!.url, id, data, chunk.cap, chunk.forward!);
  assert.is(res.status, 201, res.body.toString('utf8').slice(0, 300));
  const answer = JSON.parse(res.body.toString('utf8')) as ChunkPutResponse;
  assert.equal((answer.chain ?? []).map((l) => l.id), chunk.targets.slice(1).map((t) => t.id), 'the chain names the later hops in order');
  assert.ok((answer.chain ?? []).every((l) => typeof l.receipt === 'string'), `every hop answered a receipt: ${JSON.stringify(answer.chain)}`);
  for (let i = 0; i < 3; i++) {
    const file = chunkFiles(tc, i).find((f) => basename(f) === id);
    assert.ok(file, `chunkserver ${i + 1} holds the chunk`);
    assert.is(chunkIdOf('b3-64k', readFileSync(join(tc.chunkDir(i), file!))), id, `chunkserver ${i + 1}'s copy matches its id`);
  }
});

step('a forged or tampered forward list is refused and nothing is stored', async (tc) => {
  const data = randomBytes(MiB);
  const { id, placement } = await place(tc, data);
  const chunk = placement.chunks[0]!;
  const forged = issueForwardList(new Signer('not-the-cluster-secret'), id, chunk.targets, Date.now(), 60_000);
  const [body, mac] = chunk.forward!.split('.');
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as { h: { i: string; u: string }[] };
  claims.h[1]!.u = 'http://127.0.58.99:9000'; // somewhere the controller did not place
  const tampered = `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
  for (const [what, list] of [['forged', forged], ['tampered', tampered], ['garbage', 'x.y']] as const) {
    const res = await put(chunk.targets[0]!.url, id, data, chunk.cap, list);
    assert.is(res.status, 403, `${what} list: ${res.body.toString('utf8').slice(0, 200)}`);
  }
  for (let i = 0; i < 3; i++) assert.not.ok(chunkFiles(tc, i).some((f) => basename(f) === id), `chunkserver ${i + 1} stored nothing`);
});

/**
 * A TCP proxy in front of chunkserver 3 (which advertises the proxy's address) that flips a byte
 * in every MB of what other chunkservers send it: a hop before it in a pipeline forwards corrupt
 * bytes. Connections from elsewhere (the client's direct sends) pass untouched.
 */
function corruptingProxy(listenAddr: string, to: { host: string; port: number }): Promise<{ server: Server; corrupted: () => number }> {
  let corrupted = 0;
  const server = createServer((down) => {
    const fromChunkserver = /^(::ffff:)?127\.0\.58\.2\d$/.test(down.remoteAddress ?? '');
    const up = connect(to.port, to.host);
    let seen = 0;
    down.on('data', (d: Buffer) => {
      if (fromChunkserver) {
        for (let at = 1_000_000 - (seen % 1_000_000); at < d.length; at += 1_000_000) {
          d[at] = d[at]! ^ 0xff;
          corrupted++;
        }
      }
      seen += d.length;
      if (!up.write(d)) down.pause();
    });
    up.on('drain', () => down.resume());
    up.pipe(down);
    const end = () => { down.destroy(); up.destroy(); };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  return new Promise((resolve) => server.listen(9000, listenAddr, () => resolve({ server, corrupted: () => corrupted })));
}

step('a hop that forwards corrupt bytes: the upload completes with three good copies of every chunk', async (tc) => {
  const cs3 = tc.chunkservers[2]!;
  const proxy = await corruptingProxy('127.0.58.43', { host: cs3.spec.addr, port: cs3.spec.port });
  try {
    cs3.spec.env.ADVERTISE_ADDR = '127.0.58.43';
    await cs3.restart({ timeoutMs: 20_000 });
    await waitFor('placements to name chunkserver 3 by the proxy', async () => {
      const { placement } = await place(tc, randomBytes(1024));
      return placement.chunks[0]!.targets.some((t) => t.url.includes('127.0.58.43'));
    }, { timeoutMs: 20_000 });
    const src = join(ctx.work, 'corrupt.bin');
    writeRandomFile(src, 24 * MiB);
    const up = await tc.cli.run(['upload', src, '--to', '/corrupt.bin'], { timeoutMs: 60_000 });
    assert.is(up.exitCode, 0, `upload: ${up.stderr}`);
    assert.ok(proxy.corrupted() > 0, 'some forwarded bytes were corrupted on the way to chunkserver 3');
    const bytes = readFileSync(src);
    for (let off = 0; off < bytes.length; off += 4 * MiB) {
      const id = chunkIdOf('b3-64k', bytes.subarray(off, off + 4 * MiB));
      for (let i = 0; i < 3; i++) {
        const file = await waitFor(`chunkserver ${i + 1} to hold chunk ${off / (4 * MiB)}`, () => chunkFiles(tc, i).find((f) => basename(f) === id));
        assert.is(chunkIdOf('b3-64k', readFileSync(join(tc.chunkDir(i), file))), id, `chunkserver ${i + 1}'s copy of chunk ${off / (4 * MiB)} is good`);
      }
    }
  } finally {
    delete cs3.spec.env.ADVERTISE_ADDR;
    await cs3.restart({ timeoutMs: 20_000 });
    proxy.server.close();
  }
  await tc.waitHealthyChunkservers(ctx.token, 3);
});

step('SIGKILL of a chunkserver during a pipelined CLI upload: it completes, downloads identical, nothing torn', async (tc) => {
  const src = join(ctx.work, 'big.bin');
  writeRandomFile(src, 96 * MiB);
  const sha = await sha256File(src);
  const before = chunkFiles(tc, 1).length;
  const started = Date.now();
  const child = spawn(process.execPath, [binPath('cli'), 'upload', src, '--to', '/big.bin'], { env: tc.cli.env, cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // the middle of the pipeline for some chunks, the first or last hop for others
  await waitFor('the upload to reach chunkserver 2', () => chunkFiles(tc, 1).length >= before + 3, { timeoutMs: 60_000, pollMs: 20 });
  await tc.chunkservers[1]!.kill('SIGKILL');
  const code = await exited;
  assert.is(code, 0, `upload exits 0 after the kill: ${stderr.slice(-800)}`);
  assert.ok(Date.now() - started < 60_000, 'within its deadline');
  const dest = join(ctx.work, 'big.down');
  const down = await tc.cli.run(['download', '/big.bin', dest], { timeoutMs: 60_000 });
  assert.is(down.exitCode, 0, `download: ${down.stderr}`);
  assert.is(await sha256File(dest), sha, 'download identical');
  await tc.chunkservers[1]!.restart({ timeoutMs: 20_000 });
  const dir = tc.chunkDir(1);
  for (const f of chunkFiles(tc, 1)) assert.is(chunkIdOf('b3-64k', readFileSync(join(dir, f))), basename(f), `restarted chunkserver's ${basename(f).slice(0, 12)}… matches its id`);
});

test.run();
