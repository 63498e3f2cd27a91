// The status page's pure part (src/controller/status-view.ts): cluster view → view model (counts,
// health, ages against the controller's clock, byte units, repair progress, conflicts newest
// first), rendering that escapes every value, a view with parts missing, and the page's embedded
// script (status-page.ts PAGE_SCRIPT) computing the very same HTML in a fresh JS context.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runInNewContext } from 'node:vm';
import type { ClusterView } from '../../../src/common/api.js';
import { escapeHtml, formatAge, formatBytes, renderStatus, statusViewModel } from '../../../src/controller/status-view.js';
import { PAGE_SCRIPT } from '../../../src/controller/status-page.js';

const NOW = 1_700_000_000_000;
const GiB = 1024 ** 3;

function sampleView(): ClusterView {
  return {
    controller: 'ctl1', nowMs: NOW, heartbeatTimeoutMs: 3000,
    controllers: [
      { id: 'ctl1', url: 'http://127.0.42.11:8000', alive: true, lastSeenMs: NOW, lag: 0 },
      { id: 'ctl2', url: 'http://127.0.42.12:8000', alive: true, lastSeenMs: NOW - 400, lag: 3, behind: 1, lastExchangeMs: NOW - 400 },
      { id: 'ctl3', url: 'http://127.0.42.13:8000', alive: false, lastSeenMs: NOW - 95_000, lag: 12 },
    ],
    chunkservers: [
      { id: 'cs1', url: 'http://127.0.42.21:9000', healthy: true, lastHeartbeatMs: NOW - 300, capacityBytes: 2 * GiB, freeBytes: 1.5 * GiB, chunkCount: 7, full: false },
      { id: 'cs2', url: 'http://127.0.42.22:9000', healthy: true, lastHeartbeatMs: NOW - 200, capacityBytes: GiB, freeBytes: 0, chunkCount: 9, full: true },
      { id: 'cs3', url: 'http://127.0.42.23:9000', healthy: false, lastHeartbeatMs: NOW - 12_000, capacityBytes: 4 * GiB, freeBytes: 4 * GiB, chunkCount: 0, full: false },
    ],
    chunks: { total: 16, underReplicated: 4, replicationFactor: 2 },
    repair: {
      intervalMs: 2000, cycles: 5, replicated: 6, replicateFailed: 1, trimmed: 2, garbageDeleted: 3, garbageWaiting: 1,
      last: { atMs: NOW - 1500, durationMs: 42, underReplicated: 4, replicated: 3, replicateFailed: 1, noSource: 0, deferred: 0 },
    },
    conflicts: { total: 2, recent: [{ atMs: NOW - 60_000, peer: 'ctl2', kind: 'inode' }, { atMs: NOW - 5000, peer: 'ctl3', kind: 'link' }] },
    registration: { open: true },
  };
}

test('formatBytes and formatAge', () => {
  assert.is(formatBytes(0), '0 B');
  assert.is(formatBytes(1023), '1023 B');
  assert.is(formatBytes(1536), '1.5 KiB');
  assert.is(formatBytes(2 * GiB), '2.0 GiB');
  assert.is(formatBytes(300 * GiB), '300 GiB');
  assert.is(formatBytes(-1), '?');
  assert.is(formatBytes(Number.NaN), '?');
  assert.is(formatAge(NOW, NOW - 400), '0.4 s ago');
  assert.is(formatAge(NOW, NOW - 42_000), '42 s ago');
  assert.is(formatAge(NOW, NOW - 5 * 60_000), '5 min ago');
  assert.is(formatAge(NOW, NOW - 3 * 3_600_000), '3 h ago');
  assert.is(formatAge(NOW, NOW - 3 * 86_400_000), '3 d ago');
  assert.is(formatAge(NOW, 0), 'never');
  assert.is(formatAge(NOW, NOW + 5000), '0.0 s ago', 'a clock a little ahead is not a negative age');
});

test('view model: counts, health, capacity of the alive chunkservers, ages on the controller clock', () => {
  const vm = statusViewModel(sampleView());
  const card = (key: string) => vm.cards.find((c) => c.key === key)!;
  assert.equal([card('controllers-alive').text, card('controllers-alive').value, card('controllers-alive').health], ['2 / 3', 2, 'warn']);
  assert.equal([card('chunkservers-alive').text, card('chunkservers-alive').value, card('chunkservers-alive').health], ['2 / 3', 2, 'warn']);
  assert.equal([card('capacity').value, card('capacity').text], [3 * GiB, '3.0 GiB'], 'the failed cs3 is not counted');
  assert.equal([card('used').value, card('used').text], [1.5 * GiB, '1.5 GiB (1.5 GiB free)']);
  assert.equal([card('under-replicated').value, card('under-replicated').health], [4, 'warn']);
  assert.is(card('chunks').text, '16 (replication 2)');
  assert.equal(vm.controllers.map((r) => [r.id, r.health, r.state, r.lastSeen, r.lag, r.behind]), [
    ['ctl1', 'ok', 'this controller', 'now', '—', '—'],
    ['ctl2', 'ok', 'alive', '0.4 s ago', '3 updates', '1 updates'],
    ['ctl3', 'failed', 'down', '95 s ago', '12 updates', '?'],
  ]);
  assert.equal(vm.chunkservers.map((r) => [r.id, r.health, r.state, r.lastHeartbeat, r.capacity, r.used, r.usedPercent, r.chunks]), [
    ['cs1', 'ok', 'healthy', '0.3 s ago', '2.0 GiB', '512 MiB', '25 %', 7],
    ['cs2', 'warn', 'full', '0.2 s ago', '1.0 GiB', '1.0 GiB', '100 %', 9],
    ['cs3', 'failed', 'failed', '12 s ago', '4.0 GiB', '0 B', '0 %', 0],
  ]);
  assert.equal(vm.repair.progress, { fraction: 0.75, text: '3 of 4 copied in the last cycle' });
  assert.ok(vm.repair.lines.some((l) => l.label === 'Last cycle' && l.text.startsWith('1.5 s ago, took 42 ms: 4 under-replicated, 3 copied, 1 failed')));
  assert.equal(vm.conflicts, { total: 2, rows: [{ when: '5.0 s ago', peer: 'ctl3', kind: 'link' }, { when: '60 s ago', peer: 'ctl2', kind: 'inode' }] });
  assert.equal(vm.notes, []);
  assert.is(vm.heartbeatTimeout, '3 s');
});

test('a healthy cluster is all ok; closed registration and warnings become notes', () => {
  const v = sampleView();
  v.controllers = v.controllers.slice(0, 2);
  v.chunkservers = v.chunkservers.slice(0, 1);
  v.chunks.underReplicated = 0;
  v.registration = { open: false, reason: 'not in sync with a majority' };
  v.warnings = ['CLUSTER_SECRET is short'];
  const vm = statusViewModel(v);
  assert.ok(vm.cards.every((c) => c.health === 'ok'), JSON.stringify(vm.cards));
  assert.equal(vm.notes, ['Registration is closed here: not in sync with a majority', 'CLUSTER_SECRET is short']);
  assert.is(vm.repair.progress, undefined, 'nothing under-replicated: no progress bar');
});

test('a view with parts missing (an older controller) renders with empty sections', () => {
  const vm = statusViewModel({ controller: 'x', nowMs: NOW } as unknown as ClusterView);
  assert.equal([vm.controllers, vm.chunkservers, vm.repair.lines, vm.conflicts.rows], [[], [], [], []]);
  const html = renderStatus(vm);
  assert.match(html, 'none has sent a heartbeat');
  assert.is(vm.cards.find((c) => c.key === 'chunkservers-alive')!.health, 'failed');
});

test('everything rendered is escaped: hostile ids, addresses, peers and notes stay text', () => {
  const evil = '<img src=x onerror=alert(1)>"\'&`';
  const v = sampleView();
  v.controller = evil;
  v.controllers[1]!.id = evil;
  v.chunkservers[0]!.id = evil;
  v.chunkservers[0]!.url = `javascript:"><script>alert(2)</script>`;
  v.conflicts.recent[0]!.peer = evil;
  v.conflicts.recent[0]!.kind = '</td><script>x</script>';
  v.warnings = [evil];
  const html = renderStatus(statusViewModel(v));
  assert.not.match(html, /<img|<script|onerror=alert\(1\)>"|<\/td><script/);
  assert.ok(html.includes(escapeHtml(evil)));
  assert.is(escapeHtml(`<a href="x">'&\``), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#96;');
  // attribute values are quoted and escaped, so an id cannot close its attribute
  assert.ok(html.includes(`data-id="${escapeHtml(evil)}"`));
});

test('rendered rows carry their health and raw numbers for scripts (data-health, data-bytes, data-value)', () => {
  const html = renderStatus(statusViewModel(sampleView()));
  assert.match(html, `<tr class="failed" data-id="cs3" data-health="failed">`);
  assert.match(html, `data-bytes="${4 * GiB}"`);
  assert.match(html, `data-key="chunkservers-alive" data-value="2"`);
  assert.match(html, '<meter min="0" max="1" low="0.8" high="0.95" optimum="0" value="0.25">');
});

test("the page's embedded script defines the same pure functions: same HTML in a fresh context", () => {
  const pure = PAGE_SCRIPT.slice(0, PAGE_SCRIPT.indexOf('(function () {'));
  const view = sampleView();
  const inPage = runInNewContext(`${pure}\nrenderStatus(statusViewModel(view));`, { view: JSON.parse(JSON.stringify(view)) }) as string;
  assert.is(inPage, renderStatus(statusViewModel(view)));
  assert.not.match(PAGE_SCRIPT, /\bimport\b|\brequire\(|https?:\/\//, 'no module syntax and no external fetch in the page script');
});

test.run();
