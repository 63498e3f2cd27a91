/** Unit tests of src/common/config: defaults, durations, sizes, every error reported together. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEV_CLUSTER_SECRET, chunkserverSchema, clientSchema, controllerSchema, loadConfig, parseBytes, parseDurationMs,
  redactConfig,
} from '../../../src/common/config.js';
import { RedCloudError } from '../../../src/common/errors.js';

test('defaults of the controller schema', () => {
  const c = loadConfig(controllerSchema, {});
  assert.is(c.port, 8000);
  assert.is(c.bindAddr, '0.0.0.0');
  assert.is(c.dataDir, '/app/data');
  assert.is(c.gossipIntervalMs, 1_000);
  assert.is(c.antiEntropyIntervalMs, 30_000);
  assert.is(c.heartbeatTimeoutMs, 30_000);
  assert.is(c.repairIntervalMs, 60_000);
  assert.is(c.replicationFactor, 'all');
  assert.is(c.writeQuorum, 1);
  assert.is(c.chunkSizeBytes, 4 * 1024 * 1024);
  assert.is(c.controllerDns, 'controller');
  assert.equal(c.controllerPeers, []);
  assert.is(c.clusterSecret, DEV_CLUSTER_SECRET);
  assert.is(c.tombstoneTtlMs, 7 * 86_400_000);
});

test('defaults of the chunkserver and client schemas', () => {
  const s = loadConfig(chunkserverSchema, {});
  assert.is(s.port, 9000);
  assert.is(s.heartbeatIntervalMs, 5_000);
  assert.is(s.minFreeBytes, 64 * 1024 * 1024);
  assert.is(s.capacityBytes, 0);
  const c = loadConfig(clientSchema, {});
  assert.equal(c.controllers, []);
  assert.is(c.uploadConcurrency, 8);
  assert.is(c.requestTimeoutMs, 30_000);
  assert.is(c.logLevel, 'warn');
});

test('env values are parsed: durations, lists, replication factor, empty DNS', () => {
  const c = loadConfig(controllerSchema, {
    GOSSIP_INTERVAL: '500ms', HEARTBEAT_TIMEOUT: '2s', REPAIR_INTERVAL: '5m', CONTROLLER_PEERS: '127.0.0.11:8000, 127.0.0.12:8000',
    REPLICATION_FACTOR: '3', CONTROLLER_DNS: '', PORT: '0', CHUNK_SIZE: '1MiB', TOKEN_TTL: '1h',
  });
  assert.is(c.gossipIntervalMs, 500);
  assert.is(c.heartbeatTimeoutMs, 2_000);
  assert.is(c.repairIntervalMs, 300_000);
  assert.equal(c.controllerPeers, ['127.0.0.11:8000', '127.0.0.12:8000']);
  assert.is(c.replicationFactor, 3);
  assert.is(c.controllerDns, '');
  assert.is(c.port, 0);
  assert.is(c.chunkSizeBytes, 1024 * 1024);
  assert.is(c.tokenTtlMs, 3_600_000);
});

test('parseDurationMs and parseBytes', () => {
  assert.is(parseDurationMs('30'), 30_000);
  assert.is(parseDurationMs('500ms'), 500);
  assert.is(parseDurationMs('1.5s'), 1_500);
  assert.is(parseDurationMs('2h'), 7_200_000);
  assert.is(parseDurationMs('1d'), 86_400_000);
  assert.throws(() => parseDurationMs('soon'), /not a duration/);
  assert.throws(() => parseDurationMs('-1s'), /not a duration/);
  assert.is(parseBytes('4194304'), 4_194_304);
  assert.is(parseBytes('4MiB'), 4_194_304);
  assert.is(parseBytes('4M'), 4_194_304);
  assert.is(parseBytes('1.5G'), 1.5 * 1024 ** 3);
  assert.is(parseBytes('64k'), 65_536);
  assert.throws(() => parseBytes('4 parsecs'), /not a size/);
});

test('all errors are reported together, each naming its variable', () => {
  try {
    loadConfig(controllerSchema, { PORT: '70000', GOSSIP_INTERVAL: 'often', REPLICATION_FACTOR: '0', LOG_LEVEL: 'loud', CONTROLLER_NODE_ID: 'bad id!' });
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, RedCloudError);
    const e = err as RedCloudError;
    assert.is(e.code, 'INVALID');
    const problems = e.info?.problems as string[];
    assert.is(problems.length, 5);
    for (const name of ['PORT', 'GOSSIP_INTERVAL', 'REPLICATION_FACTOR', 'LOG_LEVEL', 'CONTROLLER_NODE_ID']) {
      assert.ok(problems.some((p) => p.startsWith(`${name}: `)), `${name} reported`);
      assert.ok(e.message.includes(`${name}: `), `${name} in message`);
    }
  }
});

test('range limits: too small durations and sizes are refused', () => {
  assert.throws(() => loadConfig(controllerSchema, { GOSSIP_INTERVAL: '5ms' }), /GOSSIP_INTERVAL/);
  assert.throws(() => loadConfig(controllerSchema, { CHUNK_SIZE: '1k' }), /CHUNK_SIZE/);
  assert.throws(() => loadConfig(controllerSchema, { WRITE_QUORUM: '0' }), /WRITE_QUORUM/);
  assert.throws(() => loadConfig(chunkserverSchema, { PORT: 'x' }), /PORT/);
});

test('redactConfig hides secrets only', () => {
  const c = loadConfig(controllerSchema, { CLUSTER_SECRET: 'hunter2' });
  const r = redactConfig(controllerSchema, c);
  assert.is(r.clusterSecret, '[redacted]');
  assert.is(r.port, 8000);
  assert.not.ok(JSON.stringify(r).includes('hunter2'));
});

test('CLUSTER_SECRET_FILE (a Docker secret) gives CLUSTER_SECRET when it is unset; unreadable or empty files are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redcloud-secret-'));
  try {
    const file = join(dir, 'secret');
    writeFileSync(file, 'a-long-secret-from-a-file-0123456789\n');
    assert.is(loadConfig(controllerSchema, { CLUSTER_SECRET_FILE: file }).clusterSecret, 'a-long-secret-from-a-file-0123456789');
    assert.is(loadConfig(controllerSchema, { CLUSTER_SECRET_FILE: file, CLUSTER_SECRET: 'from-env-wins-0123' }).clusterSecret, 'from-env-wins-0123');
    assert.throws(() => loadConfig(controllerSchema, { CLUSTER_SECRET_FILE: join(dir, 'missing') }), /CLUSTER_SECRET_FILE: cannot read .*ENOENT/);
    writeFileSync(file, ' \n');
    assert.throws(() => loadConfig(chunkserverSchema, { CLUSTER_SECRET_FILE: file }), /CLUSTER_SECRET_FILE: .* is empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
