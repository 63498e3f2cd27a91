/**
 * Login throttling, pure logic (the clock is passed in): failed logins are counted per key (a user
 * name and a remote address are separate keys with their own thresholds). Once a key reaches its
 * threshold it is locked for a window that doubles with every further failure (capped); while any
 * of a request's keys is locked the login is refused with THROTTLED and a retry-after, even with
 * the right password. A success clears the user's key; idle keys are forgotten; the table is bounded.
 */
import { RedCloudError } from '../common/errors.js';

export interface ThrottleOptions {
  /** failures of one user name before it is locked */
  userMaxFailures: number;
  /** failures from one remote address (any user) before it is locked */
  addressMaxFailures: number;
  /** first lock window; each further failure doubles it */
  baseWindowMs: number;
  maxWindowMs: number;
  /** a key without failures for this long starts from zero again */
  forgetAfterMs: number;
  /** bound of the table; the stalest keys are dropped first */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  userMaxFailures: 5, addressMaxFailures: 20, baseWindowMs: 5_000, maxWindowMs: 15 * 60_000, forgetAfterMs: 15 * 60_000, maxKeys: 100_000,
};

interface Entry {
  failures: number;
  lastFailureMs: number;
  lockedUntilMs: number;
}

export interface LoginAttempt {
  user: string;
  address: string;
}

export interface LoginThrottle {
  /** Throws THROTTLED (details.retryAfterMs) if the user or the address is locked now. */
  check(a: LoginAttempt): void;
  recordFailure(a: LoginAttempt): void;
  recordSuccess(a: LoginAttempt): void;
  /** keys currently tracked (for tests and metrics) */
  size(): number;
}

export function createLoginThrottle(now: () => number, options: Partial<ThrottleOptions> = {}): LoginThrottle {
  const o = { ...DEFAULT_THROTTLE, ...options };
  const entries = new Map<string, Entry>();
  const keysOf = (a: LoginAttempt): [string, number][] => [[`u:${a.user}`, o.userMaxFailures], [`a:${a.address}`, o.addressMaxFailures]];

  const live = (key: string, nowMs: number): Entry | undefined => {
    const e = entries.get(key);
    if (e && nowMs - e.lastFailureMs >= o.forgetAfterMs && e.lockedUntilMs <= nowMs) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };

  const evict = (): void => {
    // Map iteration is insertion order and failures re-insert: the first keys are the stalest.
    for (const key of entries.keys()) {
      if (entries.size <= o.maxKeys) break;
      entries.delete(key);
    }
  };

  return {
    check(a) {
      const nowMs = now();
      let retryAfterMs = 0;
      for (const [key] of keysOf(a)) {
        const e = live(key, nowMs);
        if (e && e.lockedUntilMs > nowMs) retryAfterMs = Math.max(retryAfterMs, e.lockedUntilMs - nowMs);
      }
      if (retryAfterMs > 0) {
        throw new RedCloudError('THROTTLED', `Too many failed logins: try again in ${Math.ceil(retryAfterMs / 1000)} s`, { retryAfterMs });
      }
    },
    recordFailure(a) {
      const nowMs = now();
      for (const [key, max] of keysOf(a)) {
        const e = live(key, nowMs) ?? { failures: 0, lastFailureMs: nowMs, lockedUntilMs: 0 };
        e.failures += 1;
        e.lastFailureMs = nowMs;
        if (e.failures >= max) {
          const windowMs = Math.min(o.maxWindowMs, o.baseWindowMs * 2 ** Math.min(30, e.failures - max));
          e.lockedUntilMs = nowMs + windowMs;
        }
        entries.delete(key);
        entries.set(key, e);
      }
      evict();
    },
    recordSuccess(a) {
      entries.delete(`u:${a.user}`);
    },
    size: () => entries.size,
  };
}
