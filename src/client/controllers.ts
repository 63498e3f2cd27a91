/**
 * The client's list of controllers, with failover. A call tries the controller that worked last,
 * and on UNAVAILABLE or TIMEOUT moves on to the next one: each controller at most once per round,
 * then one short backoff, then one more round (bounded). The one that answered becomes current.
 * New controllers are learned from the `controllers` field of login/whoami answers, only with the
 * scheme of the controller that answered (an http answer cannot point an https client at http).
 * A dead controller must cost little: a refused connection fails at once, and an attempt that
 * has not answered after `stallProbeAfterMs` gets a TCP connect check (`connectTimeoutMs`); a
 * controller that does not accept connections (down host, iptables DROP) is abandoned then,
 * instead of after the whole request timeout. A slow but connected controller is waited for.
 */
import { setMaxListeners } from 'node:events';
import { connect } from 'node:net';
import { RedCloudError, errors, toRedCloudError } from '../common/errors.js';
import { throwIfAborted } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';

export interface ControllerPoolOptions {
  controllers: string[];
  logger: Logger;
  /** pause between the two rounds, ms */
  backoffMs?: number;
  /** rounds over the whole list (1 = each controller once) */
  rounds?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** an attempt without an answer after this long gets a connect check, ms */
  stallProbeAfterMs?: number;
  /** the connect check's timeout, ms */
  connectTimeoutMs?: number;
  /** the connect check (default: a TCP connect to the URL's host and port) */
  probe?: (url: string, timeoutMs: number, signal: AbortSignal) => Promise<void>;
}

/** Defaults of the stall check: a blackholed controller costs about 0.25 + 1 s. */
export const STALL_PROBE_AFTER_MS = 250;
export const CONNECT_TIMEOUT_MS = 1000;

/** Resolves once a TCP connection to the URL's host:port opens; rejects on error or timeout. */
export function tcpProbe(url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (err?: Error): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = (): void => done(errors.aborted('Connect check aborted'));
    const timer = setTimeout(() => done(errors.timeout(`No connection to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `127.0.0.1:8000` → `http://127.0.0.1:8000`; trailing slashes dropped. */
export function normalizeControllerUrl(raw: string): string {
  const s = raw.trim();
  if (s === '') throw errors.invalid('Empty controller address');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `http://${s}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw errors.invalid(`Invalid controller address: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw errors.invalid(`Invalid controller address: ${raw}`);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** Errors after which another controller is worth trying. */
export function isFailoverError(err: RedCloudError): boolean {
  return err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT';
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(errors.aborted('Aborted while waiting to retry'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class ControllerPool {
  private urls: string[];
  private current = 0;
  private readonly log: Logger;
  private readonly backoffMs: number;
  private readonly rounds: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly stallProbeAfterMs: number;
  private readonly connectTimeoutMs: number;
  private readonly probe: (url: string, timeoutMs: number, signal: AbortSignal) => Promise<void>;

  constructor(opts: ControllerPoolOptions) {
    this.urls = [];
    this.log = opts.logger;
    this.backoffMs = opts.backoffMs ?? 250;
    this.rounds = opts.rounds ?? 2;
    this.sleep = opts.sleep ?? defaultSleep;
    this.stallProbeAfterMs = opts.stallProbeAfterMs ?? STALL_PROBE_AFTER_MS;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.probe = opts.probe ?? tcpProbe;
    this.learn(opts.controllers);
    if (this.urls.length === 0) throw errors.invalid('No controller given');
  }

  /** The list, the current (last working) controller first. */
  list(): string[] {
    return [...this.urls.slice(this.current), ...this.urls.slice(0, this.current)];
  }

  currentUrl(): string {
    return this.urls[this.current]!;
  }

  /**
   * Adds controllers not yet known (at the end); invalid addresses are logged and skipped. With
   * `from` (the controller that told us), only URLs of its scheme are taken.
   */
  learn(controllers: readonly string[] | undefined, from?: string): void {
    const scheme = from === undefined ? undefined : new URL(from).protocol;
    for (const raw of controllers ?? []) {
      let url: string;
      try {
        url = normalizeControllerUrl(raw);
      } catch {
        this.log.warn({ controller: raw }, 'Ignoring invalid controller address');
        continue;
      }
      if (scheme !== undefined && new URL(url).protocol !== scheme) {
        this.log.warn({ controller: url, from }, 'Ignoring a controller address of another scheme than the controller that gave it');
        continue;
      }
      if (!this.urls.includes(url)) {
        this.urls.push(url);
        if (this.urls.length > 1) this.log.debug({ controller: url }, 'Learned controller');
      }
    }
  }

  /**
   * Runs `fn` against controllers until one answers. Errors other than UNAVAILABLE/TIMEOUT are
   * answers too and are thrown at once. When every controller failed, throws UNAVAILABLE.
   * `fn` gets the attempt's signal (the caller's, plus the stall check's): pass it to the request.
   */
  async call<T>(fn: (baseUrl: string, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let last: RedCloudError | undefined;
    for (let round = 0; round < this.rounds; round++) {
      if (round > 0) await this.sleep(this.backoffMs, signal);
      const n = this.urls.length;
      const start = this.current;
      for (let i = 0; i < n; i++) {
        throwIfAborted(signal, 'Controller call');
        const index = (start + i) % n;
        const url = this.urls[index]!;
        try {
          const out = await this.attempt(url, fn, signal);
          if (this.current !== index) this.log.info({ controller: url }, 'Switched to controller');
          this.current = index;
          return out;
        } catch (err) {
          const e = toRedCloudError(err);
          if (!isFailoverError(e) || signal?.aborted) throw e;
          this.log.warn({ controller: url, code: e.code, err: e.message }, 'Controller unreachable, trying the next');
          last = e;
        }
      }
    }
    throw errors.unavailable(
      `No controller reachable (tried ${this.urls.join(', ')}): ${last?.message ?? 'no answer'}`,
      { controllers: [...this.urls] },
      last,
    );
  }

  /** One attempt; abandoned (UNAVAILABLE) if it stalls and the controller accepts no connection. */
  private async attempt<T>(url: string, fn: (baseUrl: string, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    // the attempt's signal fires on a stall or with the caller's (a forwarded listener: AbortSignal.any costs ~90 µs per call)
    const attemptAc = new AbortController();
    const probeAc = new AbortController();
    const attemptSignal = attemptAc.signal;
    const forward = (): void => attemptAc.abort(signal!.reason);
    if (signal?.aborted) forward();
    else if (signal) {
      setMaxListeners(0, signal); // one long-lived signal (an upload's) may back many concurrent calls
      signal.addEventListener('abort', forward, { once: true });
    }
    let stalled: RedCloudError | undefined;
    let onStall: (() => void) | undefined;
    const abandoned = new Promise<never>((_, reject) => {
      onStall = () => {
        if (stalled) reject(stalled);
      };
      attemptAc.signal.addEventListener('abort', onStall, { once: true });
    });
    abandoned.catch(() => undefined);
    let probing = false;
    const timer = setTimeout(() => {
      probing = true;
      this.probe(url, this.connectTimeoutMs, probeAc.signal).catch((err: unknown) => {
        if (probeAc.signal.aborted) return;
        stalled = errors.unavailable(`Controller ${url} accepts no connection: ${(err as Error).message}`, { url });
        attemptAc.abort(stalled);
      });
    }, this.stallProbeAfterMs);
    try {
      return await Promise.race([fn(url, attemptSignal), abandoned]);
    } catch (err) {
      throw stalled ?? err;
    } finally {
      clearTimeout(timer);
      // only a started probe has anything to stop (an abort builds a DOMException: ~30 µs per call)
      if (probing) probeAc.abort();
      if (onStall) attemptAc.signal.removeEventListener('abort', onStall);
      signal?.removeEventListener('abort', forward);
    }
  }
}
