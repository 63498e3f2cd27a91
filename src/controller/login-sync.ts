/**
 * Login-throttle state shared by the controllers (the shell around throttle.ts). Every
 * SYNC_INTERVAL_MS, the attempts this controller counted since the last send go to every known
 * peer (`POST /internal/login-attempts`, cluster-authenticated); every LOCK_RESEND_MS the keys
 * still locked here go too, so a controller that was unreachable (partitioned, restarted) learns a
 * lock that is still running. A receiver adds the counts to its own and extends its locks: a key
 * locked on one controller is locked on all within one interval, and attempts spread over several
 * controllers add up. Only counts of local attempts are sent (no relaying), so nothing is counted
 * twice. This is soft state on purpose: locks expire within minutes, so they are not written to
 * the replicated store (an attacker's guesses at random names would otherwise fill its log).
 */
import type { FastifyInstance } from 'fastify';
import { clusterAuth } from '../common/http-server.js';
import { requestJson } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import { clusterSigner } from '../common/cluster-auth.js';
import type { Signer } from '../common/tokens.js';
import type { KeyDelta, LoginThrottle } from './throttle.js';

export const SYNC_INTERVAL_MS = 100;
export const LOCK_RESEND_MS = 2_000;
export const MAX_SYNC_KEYS = 1_000;
const KEY_RE = '^(u:[A-Za-z0-9][A-Za-z0-9._-]{0,63}|a:[0-9A-Fa-f:.]{1,64})$';
const KEY = new RegExp(KEY_RE);

export interface LoginSyncDeps {
  throttle: LoginThrottle;
  /** URLs of the other controllers */
  peers: () => string[];
  signer: Signer;
  nodeId: string;
  logger: Logger;
  now: () => number;
  requestTimeoutMs: number;
  /** the longest lock a peer may impose (a bigger one is cut to it) */
  maxWindowMs: number;
}

export interface LoginSync {
  registerRoutes(app: FastifyInstance): void;
  start(): void;
  stop(): void;
  /** one send now (tests) */
  flush(withLocks?: boolean): Promise<void>;
}

export function createLoginSync(d: LoginSyncDeps): LoginSync {
  const log = d.logger.child({ component: 'login-sync' });
  const shutdown = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let sending = false;

  async function flush(withLocks = false): Promise<void> {
    if (sending) return;
    const peers = d.peers();
    const entries = d.throttle.drain(MAX_SYNC_KEYS, withLocks).filter((e) => KEY.test(e.key)); // invalid names stay local
    if (entries.length === 0 || peers.length === 0) return;
    sending = true;
    try {
      await Promise.all(peers.map((url) => requestJson<unknown>(`${url}/internal/login-attempts`, {
        method: 'POST', body: { from: d.nodeId, entries }, timeoutMs: d.requestTimeoutMs, signal: shutdown.signal,
        sign: clusterSigner(d.signer, 'controller', d.nodeId, d.now),
      }).catch((err: unknown) => log.debug({ peer: url, err: (err as Error).message }, 'Could not send login attempts to a peer'))));
    } finally {
      sending = false;
    }
  }

  return {
    registerRoutes(app) {
      const delta = {
        type: 'object', required: ['key', 'add', 'lockedForMs'], additionalProperties: false,
        properties: {
          key: { type: 'string', pattern: KEY_RE },
          add: { type: 'integer', minimum: 0, maximum: 1_000_000 },
          lockedForMs: { type: 'integer', minimum: 0, maximum: d.maxWindowMs },
          reset: { type: 'boolean' },
        },
      };
      const schema = {
        body: {
          type: 'object', required: ['from', 'entries'], additionalProperties: false,
          properties: { from: { type: 'string', maxLength: 128 }, entries: { type: 'array', maxItems: MAX_SYNC_KEYS, items: delta } },
        },
      };
      app.post<{ Body: { from: string; entries: KeyDelta[] } }>('/internal/login-attempts', { ...clusterAuth(d.signer, log, d.now), schema },
        async (req, reply) => {
          for (const e of req.body.entries) d.throttle.absorb(e);
          return reply.code(204).send();
        });
    },
    start() {
      const every = (ms: number, fn: () => Promise<void>): void => {
        const t = setInterval(() => void fn().catch((err: unknown) => log.error({ err }, 'Login sync failed')), ms);
        t.unref();
        timers.push(t);
      };
      every(SYNC_INTERVAL_MS, () => flush(false));
      every(LOCK_RESEND_MS, () => flush(true));
    },
    stop() {
      for (const t of timers) clearInterval(t);
      shutdown.abort();
    },
    flush,
  };
}
