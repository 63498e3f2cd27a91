/**
 * The launcher itself: a real chunkserver process started, health-checked, killed with SIGKILL,
 * restarted on the same data and stopped; iptables partitions that drop traffic between two
 * loopback addresses and heal exactly (the pure rule builders: test/unit/cluster/partition-rules.test.ts).
 */
import http from 'node:http';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  LocalCluster, blackholeRuleSpec, cleanupPartitions, cleanupStalePartitions, partition, runTag, thisRunTag,
} from '../../src/cluster/index.js';
import { processStartTicks } from '../../src/cluster/partition.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const test = suite('launcher');

function probe(from: string, to: string, port: number, timeoutMs: number): Promise<'ok' | 'blocked'> {
  return new Promise((resolve) => {
    const req = http.get({ host: to, port, path: '/', localAddress: from, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve('ok');
    });
    req.on('timeout', () => { req.destroy(); resolve('blocked'); });
    req.on('error', () => resolve('blocked'));
  });
}

test('partition drops traffic both ways between two addresses and heal restores it', async () => {
  const server = http.createServer((_req, res) => res.end('hi'));
  await new Promise<void>((r) => server.listen(0, '127.0.5.61', () => r()));
  const port = (server.address() as { port: number }).port;
  let part;
  const foreign = blackholeRuleSpec('127.0.5.63', runTag({ pid: 1, startTicks: processStartTicks(1) ?? 0 }));
  try {
    assert.is(await probe('127.0.5.60', '127.0.5.61', port, 2_000), 'ok');
    part = await partition('127.0.5.60', '127.0.5.61');
    assert.is(await probe('127.0.5.60', '127.0.5.61', port, 500), 'blocked');
    assert.is(await probe('127.0.5.62', '127.0.5.61', port, 2_000), 'ok', 'a third address is not affected');
    await part.heal();
    assert.is(await probe('127.0.5.60', '127.0.5.61', port, 2_000), 'ok');
    const left = execFileSync('iptables', ['-S', 'INPUT'], { encoding: 'utf8' });
    assert.not.ok(left.includes(`--comment ${thisRunTag()} `), 'heal removed its rules');
    await partition('127.0.5.60', '127.0.5.61');
    // a rule of another live run (pid 1, with its real start time): cleanup leaves it
    execFileSync('iptables', ['-w', '5', '-I', ...foreign]);
    assert.is(await cleanupPartitions(), 2);
    await cleanupStalePartitions(); // may remove rules of runs that are gone, never this live one:
    execFileSync('iptables', ['-w', '5', '-C', ...foreign]);
  } finally {
    await part?.heal().catch(() => undefined);
    await cleanupPartitions();
    try {
      execFileSync('iptables', ['-w', '5', '-D', ...foreign], { stdio: 'ignore' });
    } catch {
      /* not added */
    }
    server.close();
  }
});

test('a chunkserver process: start, /health, SIGKILL, restart on the same data, stop', async () => {
  const dir = makeTempDir('launcher');
  const cluster = new LocalCluster();
  try {
    const cs = await cluster.chunkserver({
      id: 'cs-l1', addr: '127.0.5.50', port: 9000, dataDir: join(dir, 'cs'), logFile: join(dir, 'cs.log'),
      peers: ['127.0.5.49:8000'], env: { MIN_FREE_BYTES: '0' },
    });
    const pid = cs.pid;
    assert.ok(pid && pid > 0);
    assert.is((await fetch(`${cs.url}/health`, { signal: AbortSignal.timeout(5_000) })).status, 200);
    await cs.kill('SIGKILL');
    assert.is(cs.running, false);
    await fetch(`${cs.url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
      () => assert.unreachable('a killed node must not answer'),
      () => undefined,
    );
    await cs.restart();
    assert.ok(cs.pid !== pid, 'a new process');
    assert.is((await fetch(`${cs.url}/health`, { signal: AbortSignal.timeout(5_000) })).status, 200);
    await cluster.stopAll();
    assert.is(cs.running, false);
  } catch (err) {
    process.stderr.write(cluster.logs());
    throw err;
  } finally {
    await cluster.stopAll({ kill: true });
    removeDir(dir);
  }
});

test('waitHealthy fails fast with the log tail when the process dies', async () => {
  const dir = makeTempDir('launcher');
  const cluster = new LocalCluster();
  try {
    await cluster.chunkserver({
      id: 'cs-bad', addr: '127.0.5.51', port: 9000, dataDir: join(dir, 'cs'), logFile: join(dir, 'cs.log'),
      env: { HEARTBEAT_INTERVAL: 'never' }, healthTimeoutMs: 20_000,
    });
    assert.unreachable('a bad configuration must fail');
  } catch (err) {
    const msg = (err as Error).message;
    assert.ok(msg.includes('before it was healthy'), msg);
    assert.ok(msg.includes('HEARTBEAT_INTERVAL'), `log tail names the bad variable: ${msg}`);
  } finally {
    await cluster.stopAll({ kill: true });
    removeDir(dir);
  }
});

test.run();
