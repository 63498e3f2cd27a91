/** The address toward the peers (advertise-peers.ts): the kernel's source address for a configured peer, skipped when the rule needs none. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advertisedAddress, defaultRouteInterface } from '../../../src/common/advertise.js';
import { addressTowardPeers, hostOf } from '../../../src/common/advertise-peers.js';
import { readFileSync } from 'node:fs';

test('hostOf: host:port, [v6]:port and URLs', () => {
  assert.is(hostOf('controller:8000'), 'controller');
  assert.is(hostOf('10.0.1.4:8000'), '10.0.1.4');
  assert.is(hostOf('[fd00::4]:8000'), 'fd00::4');
  assert.is(hostOf('https://ctl-1.example:8443/x'), 'ctl-1.example');
});

test('nothing to find when ADVERTISE_ADDR is set, BIND_ADDR is specific, or the peers are loopback or do not resolve', async () => {
  assert.is(await addressTowardPeers({ advertiseAddr: '10.0.0.7', bindAddr: '0.0.0.0', controllerPeers: ['10.0.0.9:8000'], controllerDns: '' }), undefined);
  assert.is(await addressTowardPeers({ bindAddr: '127.0.5.11', controllerPeers: ['10.0.0.9:8000'], controllerDns: '' }), undefined);
  assert.is(await addressTowardPeers({ bindAddr: '0.0.0.0', controllerPeers: ['127.0.5.12:8000'], controllerDns: '' }), undefined);
  assert.is(await addressTowardPeers({ bindAddr: '0.0.0.0', controllerPeers: [], controllerDns: 'no-such-controller.invalid' }, 3000), undefined);
});

test('a peer reached by the default route gives that route\'s address (the kernel picks the source)', async () => {
  let routes = '';
  try { routes = readFileSync('/proc/net/route', 'utf8'); } catch { /* not Linux */ }
  if (!defaultRouteInterface(routes)) {
    process.stdout.write('advertise-peers: skipped, this machine has no default route\n');
    return;
  }
  // 198.51.100.1 (TEST-NET-2) is routed by the default route here; no packet is sent
  assert.is(await addressTowardPeers({ bindAddr: '0.0.0.0', controllerPeers: ['198.51.100.1:8000'], controllerDns: '' }), advertisedAddress({ bindAddr: '0.0.0.0' }));
});

test.run();
