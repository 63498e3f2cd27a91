/**
 * The status page every controller serves (STATUS_PAGE): GET /ui, a self-contained read-only page
 * (inline CSS and script, no external fetch) under a strict Content-Security-Policy whose script
 * and style are allowed by hash only; GET / redirects to it; GET /v1/cluster-view is its JSON,
 * polled every 2 s. The view holds cluster health only — nodes, capacity, chunk counts, repair,
 * gossip lag, conflict counts by record kind — never a file name, user name or key.
 * STATUS_PAGE=public: no login; login: the JSON needs a session token of an account STATUS_PAGE_USERS
 * admits (status-access.ts; the page asks for a login and keeps the token in memory only); off: none
 * of the three routes exist.
 * The view is assembled at most once per VIEW_CACHE_MS, however many pages poll.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, onRequestHookHandler } from 'fastify';
import type { ClusterStatus, ClusterView } from '../common/api.js';
import type { PeerDigestInfo, GossipService } from './gossip/service.js';
import type { RepairService } from './repair/service.js';
import { schemas } from './schemas.js';
import { ANY_ACCOUNT, viewerCheck } from './status-access.js';
import { STATUS_VIEW_FUNCTIONS, escapeHtml, renderStatus, statusViewModel } from './status-view.js';

export type StatusPageMode = 'public' | 'login' | 'off';

/** A view is reused for this long (many open pages cost one assembly per second). */
export const VIEW_CACHE_MS = 1000;
/** The page polls the JSON this often. */
export const POLL_INTERVAL_MS = 2000;

export interface ClusterViewSources {
  now: () => number;
  heartbeatTimeoutMs: number;
  repairIntervalMs: number;
  /** what GET /v1/status answers (routes.ts clusterStatus) */
  status: () => ClusterStatus;
  digests: () => PeerDigestInfo[];
  repair: Pick<RepairService, 'stats' | 'lastCycle' | 'gcState'>;
  conflicts: GossipService['conflicts'];
  /** start-up warnings are shown to logged-in viewers only (they may name a weak secret) */
  includeWarnings: boolean;
}

/** Assembles the cluster view from the controller's in-memory state; copies only the fields the page may show. */
export function clusterView(s: ClusterViewSources): ClusterView {
  const st = s.status();
  const digests = s.digests();
  const totals = s.repair.stats();
  const last = s.repair.lastCycle();
  const conflicts = s.conflicts();
  return {
    controller: st.controller,
    nowMs: s.now(),
    heartbeatTimeoutMs: s.heartbeatTimeoutMs,
    controllers: st.controllers.map((c) => {
      const d = digests.find((x) => x.url === c.url || x.id === c.id);
      return {
        id: c.id, url: c.url, alive: c.alive, lastSeenMs: c.lastSeenMs, ...(c.lag !== undefined ? { lag: c.lag } : {}),
        ...(d && c.id !== st.controller ? { behind: d.behindUpdates, lastExchangeMs: d.atMs } : {}),
      };
    }),
    chunkservers: st.chunkservers.map((c) => ({
      id: c.id, url: c.url, healthy: c.healthy, lastHeartbeatMs: c.lastHeartbeatMs, capacityBytes: c.capacityBytes, freeBytes: c.freeBytes,
      chunkCount: c.chunkCount, full: c.full,
    })),
    chunks: { ...st.chunks },
    repair: {
      intervalMs: s.repairIntervalMs, ...totals, garbageWaiting: s.repair.gcState().waiting,
      ...(last ? {
        last: {
          atMs: last.atMs, durationMs: last.result.durationMs, underReplicated: last.result.underReplicated, replicated: last.result.replicated,
          replicateFailed: last.result.replicateFailed, noSource: last.result.noSource, deferred: last.result.deferred,
          ...(last.result.gcPostponed ? { gcPostponed: last.result.gcPostponed } : {}),
        },
      } : {}),
    },
    conflicts: { total: conflicts.total, recent: conflicts.recent.map((c) => ({ atMs: c.atMs, peer: c.peer, kind: c.kind })) },
    ...(st.registration ? { registration: { ...st.registration } } : {}),
    ...(s.includeWarnings && st.warnings ? { warnings: [...st.warnings] } : {}),
  };
}

const CSS = `
:root { color-scheme: light; font: 14px/1.4 system-ui, sans-serif; color: #1d1d1f; background: #f6f7f9; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.4rem; margin: .2rem 0; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
#state { font-size: .9rem; } #state.ok { color: #1e6b35; } #state.failed { color: #a1161f; font-weight: 600; } #state.warn { color: #8a5a00; }
.answering { color: #555; margin: .3rem 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: .6rem; }
.card { background: #fff; border: 1px solid #d8dbe0; border-left: 5px solid #2e9b4f; border-radius: 6px; padding: .5rem .7rem; }
.card.warn { border-left-color: #e0a100; } .card.failed { border-left-color: #c62828; }
.card .label { display: block; color: #555; font-size: .8rem; } .card .value { font-size: 1.15rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #d8dbe0; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e6e8eb; white-space: nowrap; }
th { background: #eef0f3; font-weight: 600; font-size: .85rem; }
tr.ok td.state { color: #1e6b35; font-weight: 600; }
tr.warn { background: #fff3cd; } tr.warn td.state { color: #8a5a00; font-weight: 600; }
tr.failed { background: #f8d7da; color: #721c24; } tr.failed td.state { font-weight: 700; }
meter { width: 8rem; vertical-align: middle; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: #fff; border: 1px solid #d8dbe0; padding: .6rem .8rem; margin: 0; }
dt { color: #555; } dd { margin: 0; }
.note.warn { background: #fff3cd; border: 1px solid #e0a100; padding: .4rem .6rem; border-radius: 4px; }
form { background: #fff; border: 1px solid #d8dbe0; padding: .8rem; display: flex; gap: .5rem; align-items: center; margin: 1rem 0; }
form[hidden] { display: none; }
footer { margin-top: 2rem; color: #777; font-size: .8rem; }
.hint { color: #666; font-size: .85rem; margin: .3rem 0 0; }
`;

/** The page's own loop: poll, re-render with the embedded pure functions, ask for a login on 401. */
const CLIENT_LOOP = `
(function () {
  'use strict';
  var main = document.getElementById('status');
  var state = document.getElementById('state');
  var form = document.getElementById('login');
  var token = '';
  var timer = 0;
  var polls = 0;
  function schedule(ms) { clearTimeout(timer); timer = setTimeout(poll, ms); }
  function show(text, cls) { state.textContent = text; state.className = cls; }
  function poll() {
    if (document.hidden) { schedule(${POLL_INTERVAL_MS}); return; }
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    fetch('/v1/cluster-view', { headers: headers, cache: 'no-store', credentials: 'omit', signal: AbortSignal.timeout(5000) })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) {
          token = '';
          form.hidden = false;
          show(res.status === 401 ? 'Log in to see the cluster' : 'This account may not see the cluster (STATUS_PAGE_USERS); log in as one that may', 'warn');
          return;
        }
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json().then(function (view) {
          main.innerHTML = renderStatus(statusViewModel(view));
          form.hidden = true;
          polls += 1;
          document.body.setAttribute('data-polls', String(polls));
          show('Live: updated ' + new Date().toLocaleTimeString() + ', every ${POLL_INTERVAL_MS / 1000} s', 'ok');
          schedule(${POLL_INTERVAL_MS});
        });
      })
      .catch(function (err) {
        show('Controller unreachable (' + (err && err.message) + '); retrying every ${POLL_INTERVAL_MS / 1000} s', 'failed');
        schedule(${POLL_INTERVAL_MS});
      });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var body = JSON.stringify({ user: form.elements.user.value, password: form.elements.password.value });
    fetch('/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body, credentials: 'omit', signal: AbortSignal.timeout(10000) })
      .then(function (res) {
        return res.json().then(function (answer) {
          if (!res.ok) throw new Error(answer && answer.message ? answer.message : 'HTTP ' + res.status);
          token = answer.token;
          form.elements.password.value = '';
          schedule(0);
        });
      })
      .catch(function (err) { show('Login failed: ' + (err && err.message), 'failed'); });
  });
  schedule(document.body.getAttribute('data-rendered') === 'yes' ? ${POLL_INTERVAL_MS} : 0);
})();
`;

/** The page's whole script: the pure view functions (status-view.ts) and the loop. */
export const PAGE_SCRIPT = `${STATUS_VIEW_FUNCTIONS.map((f) => f.toString()).join('\n')}\n${CLIENT_LOOP}`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Only the page's own script and style run; it may talk to its own origin and nothing else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", `script-src ${sha256(PAGE_SCRIPT)}`, `style-src ${sha256(CSS)}`, "connect-src 'self'", "img-src 'none'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** The whole page; with `view` (public mode) the first render is in it, so it shows data without the script too. */
export function statusPageHtml(nodeId: string, mode: StatusPageMode, view?: ClusterView): string {
  const e = escapeHtml;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>RedCloud status · ${e(nodeId)}</title><style>${CSS}</style></head>
<body data-mode="${e(mode)}" data-rendered="${view ? 'yes' : 'no'}" data-polls="0">
<header><h1>RedCloud cluster status</h1><div id="state" class="warn">${view ? 'Loaded; live updates start in a moment' : 'Loading…'}</div></header>
<form id="login" hidden><label>User <input name="user" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label><button type="submit">Log in</button></form>
<main id="status">${view ? renderStatus(statusViewModel(view)) : ''}</main>
<footer>Read-only view of controller ${e(nodeId)} · cluster health only, no file names or user data · JSON: <code>/v1/cluster-view</code></footer>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

export interface StatusPageDeps {
  mode: StatusPageMode;
  nodeId: string;
  now: () => number;
  view: () => ClusterView;
  /** the session check of login mode (auth.ts bearerAuth) */
  auth: onRequestHookHandler;
  /** login mode: STATUS_PAGE_USERS, the accounts that may see the view (`*`: any); default any */
  viewers?: readonly string[];
}

function secureHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

export function registerStatusPage(app: FastifyInstance, d: StatusPageDeps): void {
  if (d.mode === 'off') return;
  let cached: { atMs: number; view: ClusterView } | undefined;
  const view = (): ClusterView => {
    const nowMs = d.now();
    if (!cached || nowMs - cached.atMs >= VIEW_CACHE_MS || nowMs < cached.atMs) cached = { atMs: nowMs, view: d.view() };
    return cached.view;
  };
  const noQuery = { querystring: schemas.emptyQuery };
  app.get('/', { schema: noQuery }, async (_req, reply) => reply.redirect('/ui', 302));
  app.get('/ui', { schema: noQuery }, async (_req, reply) => {
    const html = statusPageHtml(d.nodeId, d.mode, d.mode === 'public' ? view() : undefined);
    return secureHeaders(reply).header('content-security-policy', CONTENT_SECURITY_POLICY).type('text/html; charset=utf-8').send(html);
  });
  const loginHooks = { onRequest: [d.auth, viewerCheck(d.viewers ?? [ANY_ACCOUNT]) as onRequestHookHandler] };
  app.get('/v1/cluster-view', { schema: noQuery, ...(d.mode === 'login' ? loginHooks : {}) }, async (_req, reply): Promise<ClusterView> => {
    secureHeaders(reply);
    return view();
  });
}
