/**
 * The client's list of controllers, with failover. A call tries the controller that worked last,
 * and on UNAVAILABLE or TIMEOUT moves on to the next one: each controller at most once per round,
 * then one short backoff, then one more round (bounded). The one that answered becomes current.
 * New controllers are learned from the `controllers` field of login/whoami answers.
 */
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

  constructor(opts: ControllerPoolOptions) {
    this.urls = [];
    this.log = opts.logger;
    this.backoffMs = opts.backoffMs ?? 250;
    this.rounds = opts.rounds ?? 2;
    this.sleep = opts.sleep ?? defaultSleep;
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

  /** Adds controllers not yet known (at the end); invalid addresses are logged and skipped. */
  learn(controllers: readonly string[] | undefined): void {
    for (const raw of controllers ?? []) {
      let url: string;
      try {
        url = normalizeControllerUrl(raw);
      } catch {
        this.log.warn({ controller: raw }, 'Ignoring invalid controller address');
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
   */
  async call<T>(fn: (baseUrl: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
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
          const out = await fn(url);
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
}
