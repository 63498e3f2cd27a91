/**
 * The status page's data shaping and rendering, pure: GET /v1/cluster-view's JSON → a view model
 * (statusViewModel) → HTML (renderStatus), every value escaped (escapeHtml). The controller
 * renders the first view with these, and the page's script re-renders with the very same
 * functions every ~2 s: status-page.ts embeds their source (Function.prototype.toString), so each
 * function here is self-contained — it may call the others listed in STATUS_VIEW_FUNCTIONS, but
 * nothing imported and no module-level value. Ages are computed against the answering
 * controller's clock (view.nowMs), never the browser's.
 */
import type { ClusterView } from '../common/api.js';

export type Health = 'ok' | 'warn' | 'failed';

export interface SummaryCard {
  key: string;
  label: string;
  text: string;
  /** the raw number behind the text (data-value), for scripts and tests */
  value: number;
  health: Health;
}

export interface ControllerRow {
  id: string;
  address: string;
  health: Health;
  state: string;
  lastSeen: string;
  lag: string;
  behind: string;
  lastExchange: string;
}

export interface ChunkserverRow {
  id: string;
  address: string;
  health: Health;
  state: string;
  lastHeartbeat: string;
  capacityBytes: number;
  usedBytes: number;
  capacity: string;
  used: string;
  /** 0..1 */
  usedFraction: number;
  usedPercent: string;
  chunks: number;
}

export interface StatusViewModel {
  controller: string;
  cards: SummaryCard[];
  controllers: ControllerRow[];
  chunkservers: ChunkserverRow[];
  repair: { lines: { label: string; text: string }[]; progress?: { fraction: number; text: string } };
  conflicts: { total: number; rows: { when: string; peer: string; kind: string }[] };
  notes: string[];
  /** "3 s": a chunkserver silent this long is failed (HEARTBEAT_TIMEOUT) */
  heartbeatTimeout: string;
}

/** Text for HTML content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1536 → "1.5 KiB" (binary units, one decimal under 10, none above); bad input → "?". */
export function formatBytes(bytes: number): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${Math.round(v)} B`;
  return `${v < 10 ? v.toFixed(1) : Math.round(v).toString()} ${units[i]}`;
}

/** How long ago `thenMs` was at `nowMs`: "0.4 s ago", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; 0 or less → "never". */
export function formatAge(nowMs: number, thenMs: number): string {
  if (typeof thenMs !== 'number' || !Number.isFinite(thenMs) || thenMs <= 0) return 'never';
  const ms = Math.max(0, nowMs - thenMs);
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s ago`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

/** The view model of one cluster view. Tolerates missing parts (an older controller) with empty ones. */
export function statusViewModel(view: ClusterView): StatusViewModel {
  const nowMs = Number(view.nowMs) || 0;
  const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const controllers = Array.isArray(view.controllers) ? view.controllers : [];
  const servers = Array.isArray(view.chunkservers) ? view.chunkservers : [];
  const chunks = view.chunks ?? { total: 0, underReplicated: 0, replicationFactor: '?' };
  const repair = view.repair;
  const conflicts = view.conflicts ?? { total: 0, recent: [] };

  const controllerRows: ControllerRow[] = controllers.map((c) => {
    const self = c.id === view.controller;
    const health: Health = self || c.alive ? 'ok' : 'failed';
    return {
      id: String(c.id), address: String(c.url), health,
      state: self ? 'this controller' : c.alive ? 'alive' : 'down',
      lastSeen: self ? 'now' : formatAge(nowMs, num(c.lastSeenMs)),
      lag: self ? '—' : c.lag === undefined ? '?' : `${num(c.lag)} updates`,
      behind: self ? '—' : c.behind === undefined ? '?' : `${num(c.behind)} updates`,
      lastExchange: self ? '—' : formatAge(nowMs, num(c.lastExchangeMs)),
    };
  });
  const serverRows: ChunkserverRow[] = servers.map((s) => {
    const capacityBytes = num(s.capacityBytes);
    const usedBytes = Math.max(0, capacityBytes - num(s.freeBytes));
    const usedFraction = capacityBytes > 0 ? Math.min(1, usedBytes / capacityBytes) : 0;
    const health: Health = !s.healthy ? 'failed' : s.full ? 'warn' : 'ok';
    return {
      id: String(s.id), address: String(s.url), health, state: !s.healthy ? 'failed' : s.full ? 'full' : 'healthy',
      lastHeartbeat: formatAge(nowMs, num(s.lastHeartbeatMs)), capacityBytes, usedBytes,
      capacity: formatBytes(capacityBytes), used: formatBytes(usedBytes), usedFraction,
      usedPercent: `${(usedFraction * 100).toFixed(usedFraction > 0 && usedFraction < 0.01 ? 2 : 0)} %`, chunks: num(s.chunkCount),
    };
  });

  const aliveControllers = controllerRows.filter((r) => r.health !== 'failed').length;
  const healthy = servers.filter((s) => s.healthy);
  const capacity = healthy.reduce((a, s) => a + num(s.capacityBytes), 0);
  const free = healthy.reduce((a, s) => a + num(s.freeBytes), 0);
  const under = num(chunks.underReplicated);
  const allOrSome = (alive: number, total: number): Health => (alive === total ? 'ok' : alive === 0 ? 'failed' : 'warn');
  const cards: SummaryCard[] = [
    { key: 'controllers-alive', label: 'Controllers alive', text: `${aliveControllers} / ${controllerRows.length}`, value: aliveControllers,
      health: allOrSome(aliveControllers, controllerRows.length) },
    { key: 'chunkservers-alive', label: 'Chunkservers alive', text: `${healthy.length} / ${servers.length}`, value: healthy.length,
      health: servers.length === 0 ? 'failed' : allOrSome(healthy.length, servers.length) },
    { key: 'capacity', label: 'Capacity (alive chunkservers)', text: formatBytes(capacity), value: capacity, health: 'ok' },
    { key: 'used', label: 'Used', text: `${formatBytes(Math.max(0, capacity - free))} (${formatBytes(free)} free)`, value: Math.max(0, capacity - free), health: 'ok' },
    { key: 'chunks', label: 'Chunks', text: `${num(chunks.total)} (replication ${String(chunks.replicationFactor)})`, value: num(chunks.total), health: 'ok' },
    { key: 'under-replicated', label: 'Under-replicated chunks', text: String(under), value: under, health: under > 0 ? 'warn' : 'ok' },
  ];

  const lines: { label: string; text: string }[] = [];
  let progress: { fraction: number; text: string } | undefined;
  if (repair) {
    lines.push({ label: 'Cycles since start', text: `${num(repair.cycles)} (every ${Math.round(num(repair.intervalMs) / 100) / 10} s and on membership change)` });
    const last = repair.last;
    if (last) {
      lines.push({ label: 'Last cycle', text: `${formatAge(nowMs, num(last.atMs))}, took ${num(last.durationMs)} ms: ${num(last.underReplicated)} under-replicated, `
        + `${num(last.replicated)} copied, ${num(last.replicateFailed)} failed, ${num(last.noSource)} without a source, ${num(last.deferred)} deferred` });
      // the bar shows while chunks are short of copies now: how far the last cycle got with them
      if (under > 0 && num(last.underReplicated) > 0) {
        const fraction = Math.min(1, num(last.replicated) / num(last.underReplicated));
        progress = { fraction, text: `${num(last.replicated)} of ${num(last.underReplicated)} copied in the last cycle` };
      }
      if (last.gcPostponed) lines.push({ label: 'Garbage collection postponed', text: String(last.gcPostponed) });
    } else {
      lines.push({ label: 'Last cycle', text: 'none yet' });
    }
    lines.push({ label: 'Copies made since start', text: `${num(repair.replicated)} (${num(repair.replicateFailed)} failed)` });
    lines.push({ label: 'Surplus copies trimmed', text: String(num(repair.trimmed)) });
    lines.push({ label: 'Garbage chunks deleted / waiting', text: `${num(repair.garbageDeleted)} / ${num(repair.garbageWaiting)}` });
  }
  const recent = Array.isArray(conflicts.recent) ? conflicts.recent : [];
  const notes: string[] = [];
  if (view.registration && !view.registration.open) notes.push(`Registration is closed here: ${String(view.registration.reason ?? '')}`);
  for (const w of Array.isArray(view.warnings) ? view.warnings : []) notes.push(String(w));
  return {
    controller: String(view.controller), cards, controllers: controllerRows, chunkservers: serverRows,
    repair: progress ? { lines, progress } : { lines },
    conflicts: {
      total: num(conflicts.total),
      rows: recent.slice().reverse().map((c) => ({ when: formatAge(nowMs, num(c.atMs)), peer: String(c.peer), kind: String(c.kind) })),
    },
    notes,
    heartbeatTimeout: `${Math.round(num(view.heartbeatTimeoutMs) / 100) / 10} s`,
  };
}

/** The HTML of the page's live part (inside <main>); every value goes through escapeHtml. */
export function renderStatus(vm: StatusViewModel): string {
  const e = escapeHtml;
  const cell = (text: unknown, attrs = ''): string => `<td${attrs}>${e(text)}</td>`;
  const out: string[] = [];
  out.push(`<p class="answering">Answered by controller <b data-key="controller">${e(vm.controller)}</b></p>`);
  for (const n of vm.notes) out.push(`<p class="note warn">${e(n)}</p>`);
  out.push('<section class="cards" id="summary">');
  for (const c of vm.cards) {
    out.push(`<div class="card ${e(c.health)}" data-key="${e(c.key)}" data-value="${e(c.value)}"><span class="label">${e(c.label)}</span>`
      + `<span class="value">${e(c.text)}</span></div>`);
  }
  out.push('</section>');
  out.push('<h2>Controllers</h2><table id="controllers"><thead><tr><th>Id</th><th>Address</th><th>Health</th><th>Last seen</th>'
    + '<th>Gossip lag (they lack)</th><th>Behind (we lack)</th><th>Last exchange</th></tr></thead><tbody>');
  for (const r of vm.controllers) {
    out.push(`<tr class="${e(r.health)}" data-id="${e(r.id)}" data-health="${e(r.health)}">${cell(r.id)}${cell(r.address)}`
      + `${cell(r.state, ' class="state"')}${cell(r.lastSeen)}${cell(r.lag)}${cell(r.behind)}${cell(r.lastExchange)}</tr>`);
  }
  if (vm.controllers.length === 0) out.push('<tr><td colspan="7">none known</td></tr>');
  out.push('</tbody></table>');
  out.push('<h2>Chunkservers</h2><table id="chunkservers"><thead><tr><th>Id</th><th>Address</th><th>Health</th><th>Last heartbeat</th>'
    + '<th>Usage</th><th>Capacity</th><th>Chunks</th></tr></thead><tbody>');
  for (const r of vm.chunkservers) {
    out.push(`<tr class="${e(r.health)}" data-id="${e(r.id)}" data-health="${e(r.health)}">${cell(r.id)}${cell(r.address)}`
      + `${cell(r.state, ' class="state"')}${cell(r.lastHeartbeat)}`
      + `<td class="usage"><meter min="0" max="1" low="0.8" high="0.95" optimum="0" value="${e(r.usedFraction)}"></meter> `
      + `<span>${e(r.used)} · ${e(r.usedPercent)}</span></td>`
      + `${cell(r.capacity, ` class="capacity" data-bytes="${e(r.capacityBytes)}"`)}${cell(r.chunks)}</tr>`);
  }
  if (vm.chunkservers.length === 0) out.push('<tr><td colspan="7">none has sent a heartbeat</td></tr>');
  out.push(`</tbody></table><p class="hint">A chunkserver without a heartbeat for ${e(vm.heartbeatTimeout)} (HEARTBEAT_TIMEOUT) is failed.</p>`);
  out.push('<h2>Repair</h2><dl id="repair">');
  for (const l of vm.repair.lines) out.push(`<dt>${e(l.label)}</dt><dd>${e(l.text)}</dd>`);
  out.push('</dl>');
  if (vm.repair.progress) {
    out.push(`<p class="progress"><meter min="0" max="1" value="${e(vm.repair.progress.fraction)}"></meter> ${e(vm.repair.progress.text)}</p>`);
  }
  out.push(`<h2>Recent conflicts</h2><p>${e(vm.conflicts.total)} resolved by this controller since it started (record kind and peer only).</p>`);
  if (vm.conflicts.rows.length > 0) {
    out.push('<table id="conflicts"><thead><tr><th>When</th><th>Peer</th><th>Record</th></tr></thead><tbody>');
    for (const c of vm.conflicts.rows) out.push(`<tr>${cell(c.when)}${cell(c.peer)}${cell(c.kind)}</tr>`);
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

/** The functions the page's script needs, in an order that defines each before the page calls it. */
export const STATUS_VIEW_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [escapeHtml, formatBytes, formatAge, statusViewModel, renderStatus];
