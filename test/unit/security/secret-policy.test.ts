// The start-up rule for CLUSTER_SECRET: the development default only on loopback or when allowed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEV_CLUSTER_SECRET, chunkserverSchema, controllerSchema, loadConfig } from '../../../src/common/config.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { checkClusterSecret, isLoopbackAddress } from '../../../src/common/secret-policy.js';

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.0.7.11', 'localhost', '::1', '[::1]', '::ffff:127.0.0.5']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.example.com', '']) assert.not.ok(isLoopbackAddress(a), a);
});

test('the dev default on a loopback address starts with a warning', () => {
  const w = checkClusterSecret({ clusterSecret: DEV_CLUSTER_SECRET, bindAddr: '127.0.7.11', allowDevSecret: false });
  assert.equal(w, ['CLUSTER_SECRET is the insecure development default; set it for any real cluster']);
});

test('the dev default on 0.0.0.0 is refused unless REDCLOUD_ALLOW_DEV_SECRET', () => {
  try {
    checkClusterSecret({ clusterSecret: DEV_CLUSTER_SECRET, bindAddr: '0.0.0.0', allowDevSecret: false });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'INVALID');
    assert.match((err as Error).message, /CLUSTER_SECRET is not set and BIND_ADDR 0\.0\.0\.0 is not a loopback address/);
  }
  assert.is(checkClusterSecret({ clusterSecret: DEV_CLUSTER_SECRET, bindAddr: '0.0.0.0', allowDevSecret: true }).length, 1);
});

test('a real secret: no warning; a short one: a warning on loopback, refused when bound or advertised elsewhere; an empty one: refused', () => {
  assert.equal(checkClusterSecret({ clusterSecret: 'a'.repeat(32), bindAddr: '0.0.0.0', allowDevSecret: false }), []);
  assert.equal(checkClusterSecret({ clusterSecret: 'short', bindAddr: '127.0.36.5', advertiseAddr: '127.0.36.5', allowDevSecret: false }),
    ['CLUSTER_SECRET is shorter than 16 characters; use a long random value']);
  assert.throws(() => checkClusterSecret({ clusterSecret: 'short', bindAddr: '0.0.0.0', allowDevSecret: false }),
    /shorter than 16 characters and BIND_ADDR 0\.0\.0\.0 is not a loopback address/);
  assert.throws(() => checkClusterSecret({ clusterSecret: 'a'.repeat(15), bindAddr: '127.0.0.1', advertiseAddr: '10.1.2.3', allowDevSecret: true }),
    /ADVERTISE_ADDR 10\.1\.2\.3 is not a loopback address/, 'REDCLOUD_ALLOW_DEV_SECRET is about the dev default only');
  assert.throws(() => checkClusterSecret({ clusterSecret: DEV_CLUSTER_SECRET, bindAddr: '127.0.0.1', advertiseAddr: '10.1.2.3', allowDevSecret: false }),
    /ADVERTISE_ADDR 10\.1\.2\.3/);
  assert.throws(() => checkClusterSecret({ clusterSecret: '', bindAddr: '127.0.0.1', allowDevSecret: false }), /must not be empty/);
});

test('REDCLOUD_ALLOW_DEV_SECRET is in both daemon schemas (default false)', () => {
  assert.is(loadConfig(controllerSchema, {}).allowDevSecret, false);
  assert.is(loadConfig(chunkserverSchema, { REDCLOUD_ALLOW_DEV_SECRET: '1' }).allowDevSecret, true);
});

test.run();
