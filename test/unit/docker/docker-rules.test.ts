/** The iptables left by a dockerd the docker suite started are undone exactly: Docker's chains and rules go, what was there before stays. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerRuleCleanup } from '../../docker/docker-rules.js';

const BEFORE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 127.0.5.11/32 -d 127.0.5.12/32 -m comment --comment redcloud-test-1-2 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
COMMIT
`;
const AFTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
-A INPUT -s 127.0.5.11/32 -d 127.0.5.12/32 -m comment --comment redcloud-test-1-2 -j DROP
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
COMMIT
`;

test('deletes Docker\'s rules in built-in chains, restores the FORWARD policy, then flushes and deletes its chains', () => {
  assert.equal(dockerRuleCleanup(BEFORE, AFTER), [
    ['-t', 'filter', '-D', 'FORWARD', '-o', 'docker0', '-j', 'DOCKER'],
    ['-t', 'filter', '-D', 'FORWARD', '-i', 'docker0', '!', '-o', 'docker0', '-j', 'ACCEPT'],
    ['-t', 'filter', '-P', 'FORWARD', 'ACCEPT'],
    ['-t', 'nat', '-D', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DOCKER'],
    ['-t', 'nat', '-D', 'POSTROUTING', '-s', '172.17.0.0/16', '!', '-o', 'docker0', '-j', 'MASQUERADE'],
    ['-t', 'filter', '-F', 'DOCKER'], ['-t', 'filter', '-F', 'DOCKER-ISOLATION-STAGE-2'], ['-t', 'nat', '-F', 'DOCKER'],
    ['-t', 'filter', '-X', 'DOCKER'], ['-t', 'filter', '-X', 'DOCKER-ISOLATION-STAGE-2'], ['-t', 'nat', '-X', 'DOCKER'],
  ]);
});

test('nothing to undo when Docker\'s chains were there before (a dockerd somebody else runs), or nothing changed', () => {
  assert.equal(dockerRuleCleanup(AFTER, AFTER), []);
  assert.equal(dockerRuleCleanup(BEFORE, BEFORE), []);
});

test.run();
