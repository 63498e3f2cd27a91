/** The one rule for the advertised address (common/advertise.ts), and a controller that moved (membership). */
import type { NetworkInterfaceInfo } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseAdvertiseAddr, defaultRouteInterface, isWildcard, urlHost } from '../../../src/common/advertise.js';
import { silentLogger } from '../../../src/common/logger.js';
import { MOVED_URL_TTL_MS, Membership } from '../../../src/controller/gossip/membership.js';

const test = suite('advertise');

const ROUTES = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth1\t000010AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
  'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
  'down0\t00000000\t0101A8C0\t0002\t0\t0\t1\t00000000\t0\t0\t0',
].join('\n');
const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null });
const IFACES = { lo: [v4('127.0.0.1', true)], eth1: [v4('172.16.0.5')], eth0: [v4('192.0.2.2')], wlan0: [v4('192.168.1.9')] };

test('ADVERTISE_ADDR first, then BIND_ADDR unless a wildcard', () => {
  assert.is(chooseAdvertiseAddr({ advertiseAddr: '10.1.2.3', bindAddr: '0.0.0.0', routeTable: ROUTES, interfaces: IFACES }), '10.1.2.3');
  assert.is(chooseAdvertiseAddr({ advertiseAddr: '', bindAddr: '127.0.5.11', routeTable: ROUTES, interfaces: IFACES }), '127.0.5.11');
  for (const w of ['0.0.0.0', '::', '[::]', '']) assert.ok(isWildcard(w), w);
  assert.not.ok(isWildcard('127.0.0.1'));
});

test('a wildcard bind: the address of the default route (lowest metric, route up)', () => {
  assert.is(defaultRouteInterface(ROUTES), 'eth0');
  assert.is(chooseAdvertiseAddr({ bindAddr: '0.0.0.0', routeTable: ROUTES, interfaces: IFACES }), '192.0.2.2');
  assert.is(chooseAdvertiseAddr({ bindAddr: '::', routeTable: ROUTES, interfaces: IFACES }), '192.0.2.2');
});

test('no default route: the first non-internal IPv4 address; loopback last', () => {
  assert.is(defaultRouteInterface(''), null);
  assert.is(chooseAdvertiseAddr({ bindAddr: '0.0.0.0', routeTable: '', interfaces: IFACES }), '172.16.0.5');
  assert.is(chooseAdvertiseAddr({ bindAddr: '0.0.0.0', routeTable: ROUTES, interfaces: { lo: [v4('127.0.0.1', true)], eth1: [v4('172.16.0.5')] } }), '172.16.0.5',
    'the route names an interface without an address');
  assert.is(chooseAdvertiseAddr({ bindAddr: '0.0.0.0', routeTable: '', interfaces: { lo: [v4('127.0.0.1', true)] } }), '127.0.0.1');
  assert.is(urlHost('fd00::1'), '[fd00::1]');
  assert.is(urlHost('10.0.0.1'), '10.0.0.1');
});

test('a controller answering under a known id at a new URL replaces its old row once that fails, and gossip does not bring it back', () => {
  const clock = { now: 1_000_000 };
  const m = new Membership({
    self: { id: 'c1', url: 'http://10.0.0.1:8000' }, seeds: ['10.0.0.2:8000'], dnsName: '', dnsPort: 8000,
    aliveWindowMs: 5000, maxBackoffMs: 30_000, baseBackoffMs: 200, logger: silentLogger(), now: () => clock.now,
  });
  m.seen('http://10.0.0.2:8000', 'c2');
  // gossip names the new URL; it joins once it proves itself (peer-proof.ts) as c2
  m.add(['http://10.0.0.9:8000'], 'gossip');
  m.challenged('http://10.0.0.9:8000', { id: 'c2', url: 'http://10.0.0.9:8000' });
  assert.equal(m.status().map((p) => `${p.id}@${p.url}`), ['c2@http://10.0.0.2:8000', 'c2@http://10.0.0.9:8000'], 'both answer (a proxy or alias): both kept');
  m.failed('http://10.0.0.2:8000');
  assert.equal(m.status().map((p) => `${p.id}@${p.url}`), ['c2@http://10.0.0.9:8000'], 'once the old one fails: listed once, at the new address');
  m.add(['http://10.0.0.2:8000'], 'gossip');
  assert.equal(m.urls(), ['http://10.0.0.1:8000', 'http://10.0.0.9:8000'], 'a stale list does not bring the old URL back');
  assert.not.ok(m.candidatesDue().includes('http://10.0.0.2:8000'), 'not even as a candidate');
  clock.now += MOVED_URL_TTL_MS + 1;
  m.add(['http://10.0.0.2:8000'], 'gossip');
  assert.ok(m.candidatesDue().includes('http://10.0.0.2:8000'), 'after the TTL the URL may be someone else (to be proven)');
});

test('a moved controller whose old URL went silent before the new one answered: the old row goes at once', () => {
  const clock = { now: 1_000_000 };
  const m = new Membership({
    self: { id: 'c1', url: 'http://10.0.0.1:8000' }, seeds: ['10.0.0.2:8000'], dnsName: '', dnsPort: 8000,
    aliveWindowMs: 5000, maxBackoffMs: 30_000, baseBackoffMs: 200, logger: silentLogger(), now: () => clock.now,
  });
  m.seen('http://10.0.0.2:8000', 'c2');
  clock.now += 6000; // silent for longer than the alive window
  m.add(['http://10.0.0.9:8000'], 'gossip');
  m.challenged('http://10.0.0.9:8000', { id: 'c2', url: 'http://10.0.0.9:8000' });
  assert.equal(m.status().map((p) => `${p.id}@${p.url}`), ['c2@http://10.0.0.9:8000']);
});

test.run();
