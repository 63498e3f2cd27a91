/**
 * The launcher's pure decisions: which daemon variables reach which role and how bad ones are
 * refused (daemon-env), node names (node-names), whose identity the mount and the CLI use
 * (identity), when a foreground launcher exits (owner) and what --purge removes (purge).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { daemonVariables, describeSettings, parseEnvFlags, selectDaemonEnv } from '../../../src/cluster/daemon-env.js';
import { planAfterRefusedLogin, planIdentity } from '../../../src/cluster/identity.js';
import { resolveNodeName } from '../../../src/cluster/node-names.js';
import { foregroundVerdict } from '../../../src/cluster/owner.js';
import { purgePlan } from '../../../src/cluster/purge.js';
import type { ClusterState, StateNode } from '../../../src/cluster/state.js';
import { RedCloudError } from '../../../src/common/errors.js';

const test = suite('launcher logic');

const thrown = (fn: () => unknown): RedCloudError => {
  try {
    fn();
  } catch (err) {
    return err as RedCloudError;
  }
  throw new Error('expected an error');
};

test('daemon variables: every controller and chunkserver variable, none of the client', () => {
  const names = daemonVariables();
  for (const n of ['HEARTBEAT_TIMEOUT', 'REPAIR_INTERVAL', 'HEARTBEAT_INTERVAL', 'REPLICATION_FACTOR', 'MIN_FREE_BYTES', 'CLUSTER_SECRET']) assert.ok(names.includes(n), n);
  assert.not.ok(names.includes('REDCLOUD_CONTROLLERS'));
  assert.not.ok(names.includes('PATH'));
});

test('selectDaemonEnv: each role gets the variables it reads; --env wins; launcher-owned ones are ignored', () => {
  const s = selectDaemonEnv(
    { HEARTBEAT_TIMEOUT: '10s', REPAIR_INTERVAL: '20s', MIN_FREE_BYTES: '0', PORT: '3000', DATA_DIR: '/x', HOME: '/root', REPLICATION_FACTOR: '3' },
    { REPLICATION_FACTOR: '2', LOG_LEVEL: 'debug' },
  );
  assert.equal(s.byRole.controller, { HEARTBEAT_TIMEOUT: '10s', REPAIR_INTERVAL: '20s', REPLICATION_FACTOR: '2', LOG_LEVEL: 'debug' });
  assert.equal(s.byRole.chunkserver, { HEARTBEAT_INTERVAL: '2s', MIN_FREE_BYTES: '0', LOG_LEVEL: 'debug' });
  assert.equal(s.ignored.sort(), ['DATA_DIR', 'PORT']);
  assert.is(selectDaemonEnv({ HEARTBEAT_INTERVAL: '1s' }, {}).byRole.chunkserver.HEARTBEAT_INTERVAL, '1s', 'the launcher default is overridable');
});

test('selectDaemonEnv: a bad value is INVALID naming the variable, all problems together', () => {
  const err = thrown(() => selectDaemonEnv({ HEARTBEAT_TIMEOUT: 'banana' }, { SCRUB_RATE: 'lots' }));
  assert.is(err.code, 'INVALID');
  assert.match(err.message, /HEARTBEAT_TIMEOUT: "banana" is not a duration/);
  assert.match(err.message, /SCRUB_RATE/);
  assert.match(err.message, /nothing was started/);
});

test('parseEnvFlags: KEY=VALUE (value may hold =); malformed, unknown and launcher-owned keys refused', () => {
  assert.equal(parseEnvFlags(['HEARTBEAT_TIMEOUT=10s', 'CLUSTER_SECRET=a=b']), { HEARTBEAT_TIMEOUT: '10s', CLUSTER_SECRET: 'a=b' });
  assert.match(thrown(() => parseEnvFlags(['HEARTBEAT_TIMEOUT'])).message, /expected KEY=VALUE/);
  assert.match(thrown(() => parseEnvFlags(['NOPE=1'])).message, /NOPE: not a controller or chunkserver variable/);
  assert.match(thrown(() => parseEnvFlags(['PORT=1'])).message, /PORT: set by the launcher/);
});

test('describeSettings hides secrets', () => {
  assert.is(describeSettings({ REPAIR_INTERVAL: '20s', CLUSTER_SECRET: 'x'.repeat(20) }), 'CLUSTER_SECRET=[redacted] REPAIR_INTERVAL=20s');
});

const nodes = [
  { id: 'controller-1', role: 'controller' }, { id: 'controller-2', role: 'controller' },
  { id: 'chunkserver-1', role: 'chunkserver' }, { id: 'chunkserver-3', role: 'chunkserver' }, { id: 'mount', role: 'mount' },
];

test('resolveNodeName: ids as cluster status shows them, short forms, helpful errors', () => {
  assert.is(resolveNodeName(nodes, 'controller-2').id, 'controller-2');
  assert.is(resolveNodeName(nodes, 'c1').id, 'controller-1');
  assert.is(resolveNodeName(nodes, 'cs3').id, 'chunkserver-3');
  assert.is(resolveNodeName(nodes, 'Chunkserver3').id, 'chunkserver-3');
  const missing = thrown(() => resolveNodeName(nodes, 'chunkserver-9'));
  assert.is(missing.code, 'NOT_FOUND');
  assert.match(missing.message, /its nodes are controller-1, controller-2, chunkserver-1, chunkserver-3/);
  assert.match(thrown(() => resolveNodeName(nodes, 'mount')).message, /umount/);
});

test('planIdentity: a saved login is kept; --user chooses; demo otherwise; replacing is said', () => {
  const alice = { user: 'alice', token: 't', controllers: [] };
  assert.equal(planIdentity({ controllers: [] }, { demoUser: 'demo' }), { kind: 'demo', user: 'demo' });
  assert.equal(planIdentity({ user: 'alice', controllers: [] }, { demoUser: 'demo' }), { kind: 'demo', user: 'demo' }, 'a user without a token is not logged in');
  assert.equal(planIdentity(alice, { demoUser: 'demo' }), { kind: 'keep', user: 'alice' });
  assert.equal(planIdentity(alice, { demoUser: 'demo', flagUser: 'alice' }), { kind: 'keep', user: 'alice' });
  assert.equal(planIdentity(alice, { demoUser: 'demo', flagUser: 'demo' }), { kind: 'demo', user: 'demo', replaces: 'alice' });
  assert.equal(planIdentity(alice, { demoUser: 'demo', flagUser: 'bob' }), { kind: 'login', user: 'bob', replaces: 'alice' });
  assert.equal(planIdentity({ controllers: [] }, { demoUser: 'demo', flagUser: 'bob' }), { kind: 'login', user: 'bob' });
  assert.equal(planIdentity({ user: 'demo', token: 't', controllers: [] }, { demoUser: 'demo' }), { kind: 'demo', user: 'demo' }, 'demo logs in afresh (registered if missing)');
});

test('planAfterRefusedLogin: demo logs in again; another user needs a password or gets told what to do', () => {
  assert.equal(planAfterRefusedLogin('demo', { demoUser: 'demo', passwordAvailable: false, why: 'expired' }), { kind: 'demo', user: 'demo' });
  assert.equal(planAfterRefusedLogin('alice', { demoUser: 'demo', passwordAvailable: true, why: 'expired' }), { kind: 'login', user: 'alice' });
  const r = planAfterRefusedLogin('alice', { demoUser: 'demo', passwordAvailable: false, why: 'token expired' });
  assert.ok('error' in r);
  if ('error' in r) {
    assert.match(r.error, /logged in as alice/);
    assert.match(r.error, /token expired/);
    assert.match(r.error, /REDCLOUD_PASSWORD/);
    assert.match(r.error, /--user demo/);
  }
});

const node = (id: string, pid: number, extra: Partial<StateNode> = {}): StateNode => ({ role: id === 'mount' ? 'mount' : 'chunkserver', id, pid, logFile: `/d/logs/${id}.log`, bin: 'b', ...extra });
const stateOf = (startedAtMs: number, list: StateNode[], extra: Partial<ClusterState> = {}): ClusterState => ({ version: 1, dataDir: '/d', startedAtMs, controllers: [], nodes: list, ...extra });

test('foregroundVerdict: gone when the state is removed, replaced or being stopped', () => {
  const mine = { dataDir: '/d', startedAtMs: 1 };
  const alive = (): boolean => true;
  assert.match((foregroundVerdict(mine, undefined, alive, new Set()) as { message: string }).message, /cluster down/);
  assert.is(foregroundVerdict(mine, stateOf(2, [node('cs-1', 5)]), alive, new Set()).kind, 'gone');
  assert.is(foregroundVerdict(mine, stateOf(1, [node('cs-1', 5)], { stopping: true }), alive, new Set()).kind, 'gone');
});

test('foregroundVerdict: reports a crashed node once (with its log), not one stopped on purpose; dead when all daemons are', () => {
  const mine = { dataDir: '/d', startedAtMs: 1 };
  const reported = new Set<string>();
  const s = stateOf(1, [node('cs-1', 5), node('cs-2', 6, { stopped: true }), node('cs-3', 7), node('mount', 8, { logFile: '' })]);
  const dead = new Set([5, 6, 8]);
  const isAlive = (n: StateNode): boolean => !dead.has(n.pid);
  const v = foregroundVerdict(mine, s, isAlive, reported);
  assert.equal(v, { kind: 'running', report: ['chunkserver cs-1 (pid 5) has exited; see /d/logs/cs-1.log', 'mount mount (pid 8) has exited'] });
  assert.equal(foregroundVerdict(mine, s, isAlive, reported), { kind: 'running', report: [] }, 'once');
  dead.add(7);
  assert.is(foregroundVerdict(mine, s, isAlive, reported).kind, 'dead');
});

test('purgePlan: the launcher\'s entries, the cache, the empty mountpoint and the login for this cluster only', () => {
  const record = { version: 1 as const, controllers: ['http://127.0.0.11:8000'], mountDir: '/m', mountCacheDir: '/h/.cache/redcloud/_m', sessionFile: '/h/.config/redcloud/session.json' };
  const { items, kept } = purgePlan({
    dataDir: '/d', dataEntries: ['controller-1', 'chunkserver-2', 'logs', 'cluster.json', 'launcher.json', 'cluster-secret', 'mine.txt'], record,
    sessionControllers: ['http://127.0.0.11:8000/'],
  });
  assert.equal(items.map((i) => `${i.how} ${i.path}`), [
    'tree /d/chunkserver-2', 'file /d/cluster-secret', 'file /d/cluster.json', 'tree /d/controller-1', 'file /d/launcher.json', 'tree /d/logs',
    'if-empty /d', 'tree /h/.cache/redcloud/_m', 'if-empty /m', 'file /h/.config/redcloud/session.json',
  ]);
  assert.is(kept.length, 1);
  assert.match(kept[0]!, /mine\.txt/);
  const other = purgePlan({ dataDir: '/d', dataEntries: [], record, sessionControllers: ['https://prod:8000'] });
  assert.not.ok(other.items.some((i) => i.path.endsWith('session.json')));
  assert.match(other.kept[0]!, /another cluster/);
});

test.run();
