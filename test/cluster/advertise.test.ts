/**
 * The advertised address, with real processes on 127.0.33.x: a controller bound to 0.0.0.0
 * without ADVERTISE_ADDR advertises an address of this machine that is not loopback (the default
 * route's; on a machine without one the test adds a dummy interface with a private address and
 * removes it after). And nodes restarted on another address under the same id and data — a
 * controller and a chunkserver — show once in `redcloud status`, at the new address.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ClusterStatus } from '../../src/common/api.js';
import { LocalCluster } from '../../src/cluster/index.js';
import { getJson, loginToken, postJson } from '../helpers/http.js';
import { startTestCluster } from '../helpers/test-cluster.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const NET = '127.0.33';
const test = suite('advertise');
const DUMMY = 'rc-test-dummy';

const externalIPv4 = (): string[] => Object.values(networkInterfaces()).flatMap((l) => l ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);

/** A TCP port free on every address (a wildcard bind must not meet another run's listener). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '0.0.0.0', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

test('a controller bound to 0.0.0.0 without ADVERTISE_ADDR advertises a non-loopback address of this machine', async () => {
  let dummy = false;
  if (externalIPv4().length === 0) {
    process.stdout.write(`  no non-loopback IPv4 address here: adding ${DUMMY} with 10.233.33.1\n`);
    execFileSync('ip', ['link', 'add', DUMMY, 'type', 'dummy']);
    dummy = true;
    execFileSync('ip', ['addr', 'add', '10.233.33.1/32', 'dev', DUMMY]);
    execFileSync('ip', ['link', 'set', DUMMY, 'up']);
  }
  const dir = makeTempDir('advertise');
  const cluster = new LocalCluster();
  try {
    const port = await freePort();
    const addr = `${NET}.41`; // where the test reaches it (a wildcard bind answers on every address)
    await cluster.controller({
      id: 'wild1', addr, port, dataDir: join(dir, 'wild1'), logFile: join(dir, 'wild1.log'), clusterSecret: randomBytes(32).toString('hex'),
      env: { BIND_ADDR: '0.0.0.0', ADVERTISE_ADDR: '' },
    });
    const url = `http://${addr}:${port}`;
    const reg = await postJson(`${url}/v1/register`, '', { user: 'alice', password: 'correct-horse-1' });
    assert.ok(reg.status < 300, `register: ${reg.status}`);
    const token = await loginToken(url, 'alice', 'correct-horse-1');
    const { data } = await getJson<ClusterStatus>(`${url}/v1/status`, token);
    const self = data.controllers.find((c) => c.id === 'wild1')!;
    const host = new URL(self.url).hostname;
    process.stdout.write(`  advertised ${self.url}\n`);
    assert.not.match(host, /^127\./, 'not loopback');
    assert.ok(externalIPv4().includes(host), `${host} is an address of this machine (${externalIPv4().join(', ')})`);
    assert.is(new URL(self.url).port, String(port));
  } finally {
    await cluster.stopAll({ kill: true });
    removeDir(dir);
    if (dummy) execFileSync('ip', ['link', 'del', DUMMY]);
  }
});

test('a controller and a chunkserver restarted on another address show once in status, at the new one', async () => {
  const tc = await startTestCluster({ label: 'advertise-move', net: NET, hostOffset: 40, controllers: 2, chunkservers: 1 });
  try {
    // 127.0.33.51-52 controllers, .61 chunkserver; the CLI asks controller 1
    await tc.signUp('alice', 'correct-horse-1');
    const cli = tc.cli;
    await waitFor('controller 1 sees controller 2 alive', async () => {
      const s = await cli.json<ClusterStatus>(['status']);
      return s.controllers.some((c) => c.id === 'ctl2' && c.alive);
    });
    await tc.controllers[1]!.restartAt(`${NET}.53`);
    await tc.chunkservers[0]!.restartAt(`${NET}.62`);
    const s = await waitFor('controller 2 alive at .53 and the chunkserver healthy at .62', async () => {
      const st = await cli.json<ClusterStatus>(['status']);
      const ok = st.controllers.some((c) => c.id === 'ctl2' && c.alive && c.url === `http://${NET}.53:8000`)
        && st.chunkservers.some((c) => c.id === 'cs1' && c.healthy && c.url === `http://${NET}.62:9000`);
      return ok && st;
    }, { timeoutMs: 30_000 });
    assert.equal(s.controllers.map((c) => `${c.id} ${c.url}`).sort(), [`ctl1 http://${NET}.51:8000`, `ctl2 http://${NET}.53:8000`], 'each controller once');
    assert.equal(s.chunkservers.map((c) => `${c.id} ${c.url}`), [`cs1 http://${NET}.62:9000`], 'the chunkserver once');
    const text = await cli.run(['status']);
    assert.is(text.exitCode, 0);
    assert.match(text.stdout, '2/2 controllers alive, 1/1 chunkservers healthy');
    assert.not.match(text.stdout, `${NET}.52:8000`, 'the old address is gone');
  } catch (err) {
    tc.dumpLogs();
    throw err;
  } finally {
    await tc.stop();
  }
});

test.run();
