/**
 * Login throttling, pure logic (the clock is passed in). Attempts are counted per key (a user name
 * and a remote address are separate keys with their own thresholds) when they arrive, before the
 * password is hashed, so a burst cannot outrun the count: once a key reaches its threshold it is
 * locked for a window that doubles with every further attempt (capped), and while any of a
 * request's keys is locked the login is refused with THROTTLED and a retry-after, even with the
 * right password. At most `userMaxConcurrent` / `addressMaxConcurrent` attempts of a key are
 * checked at once; the others are refused (and still counted). A success clears the user's key and
 * takes its attempt back from the address's count; idle keys are forgotten; the table is bounded.
 *
 * Other controllers' failed (or refused) attempts arrive through `absorb` (login-sync.ts): they
 * add to the same counts, a lock they report extends the local one, so a key locked anywhere is
 * locked on every controller that hears of it, and a user's successful login resets the user's
 * count everywhere. Successful attempts are not sent (an address's many logins lock nothing).
 */
import { RedCloudError } from '../common/errors.js';

export interface ThrottleOptions {
  /** attempts of one user name before it is locked */
  userMaxFailures: number;
  /** attempts from one remote address (any user) before it is locked */
  addressMaxFailures: number;
  /** attempts of one user name being checked at once */
  userMaxConcurrent: number;
  /** attempts from one remote address being checked at once */
  addressMaxConcurrent: number;
  /** first lock window (LOGIN_LOCK); each further attempt doubles it */
  baseWindowMs: number;
  maxWindowMs: number;
  /** a key without attempts for this long starts from zero again */
  forgetAfterMs: number;
  /** bound of the table; the stalest keys are dropped first */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  userMaxFailures: 5, addressMaxFailures: 20, userMaxConcurrent: 2, addressMaxConcurrent: 8,
  baseWindowMs: 5_000, maxWindowMs: 15 * 60_000, forgetAfterMs: 15 * 60_000, maxKeys: 100_000,
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

/** An admitted attempt: call `done` once the password was checked. */
export interface Admission {
  /** keys (`u:<user>`, `a:<address>`) this attempt locked: log them (once per lock) */
  locked: string[];
  done(ok: boolean): void;
}

/** One key's count change, as sent to other controllers. */
export interface KeyDelta {
  key: string;
  /** attempts counted here since the last report */
  add: number;
  /** how much longer the key is locked here (0: not locked) */
  lockedForMs: number;
  /** the user logged in here: forget the key's count before adding `add` */
  reset?: boolean;
}

export interface LoginThrottle {
  /** Counts the attempt; throws THROTTLED (info.retryAfterMs; `lockedKeys`: locks this attempt started) if it must not be checked. */
  begin(a: LoginAttempt): Admission;
  /** Merges what another controller counted (login-sync.ts). */
  absorb(delta: KeyDelta): void;
  /** What was counted here since the last call (and with `withLocks` every key still locked), at most `limit`. */
  drain(limit: number, withLocks?: boolean): KeyDelta[];
  /** How long the attempt's user or address is still locked (0: not locked); counts nothing. */
  lockedForMs(a: LoginAttempt): number;
  /** keys currently tracked (for tests and metrics) */
  size(): number;
  /** keys locked now (metrics: redcloud_login_locked_keys) */
  lockedCount(): number;
}

export const userKeyOf = (user: string): string => `u:${user}`;
export const addressKeyOf = (address: string): string => `a:${address}`;

export function createLoginThrottle(now: () => number, options: Partial<ThrottleOptions> = {}): LoginThrottle {
  const o = { ...DEFAULT_THROTTLE, ...options };
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, number>();
  /** keys counted here since the last drain → failed or refused attempts (successes are not sent), and a reset */
  const pending = new Map<string, { add: number; reset: boolean }>();
  const queue = (key: string, change: 'add' | 'reset'): void => {
    const p = pending.get(key) ?? { add: 0, reset: false };
    if (change === 'reset') pending.set(key, { add: 0, reset: true });
    else pending.set(key, { ...p, add: p.add + 1 });
  };
  const limits = (a: LoginAttempt): [string, number, number][] => [
    [userKeyOf(a.user), o.userMaxFailures, o.userMaxConcurrent], [addressKeyOf(a.address), o.addressMaxFailures, o.addressMaxConcurrent],
  ];
  const maxOf = (key: string): number => (key.startsWith('u:') ? o.userMaxFailures : o.addressMaxFailures);

  const live = (key: string, nowMs: number): Entry | undefined => {
    const e = entries.get(key);
    if (e && nowMs - e.lastFailureMs >= o.forgetAfterMs && e.lockedUntilMs <= nowMs) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };

  const touch = (key: string, e: Entry): void => {
    entries.delete(key);
    entries.set(key, e);
    // Map iteration is insertion order and counting re-inserts: the first keys are the stalest.
    for (const k of entries.keys()) {
      if (entries.size <= o.maxKeys) break;
      entries.delete(k);
    }
  };

  /** Adds `n` attempts to `key`; true if that locked it (it was not locked before). */
  const count = (key: string, n: number, nowMs: number): boolean => {
    const e = live(key, nowMs) ?? { failures: 0, lastFailureMs: nowMs, lockedUntilMs: 0 };
    const wasLocked = e.lockedUntilMs > nowMs;
    e.failures += n;
    e.lastFailureMs = nowMs;
    const max = maxOf(key);
    if (n > 0 && e.failures >= max) {
      const windowMs = Math.min(o.maxWindowMs, o.baseWindowMs * 2 ** Math.min(30, e.failures - max));
      e.lockedUntilMs = Math.max(e.lockedUntilMs, nowMs + windowMs);
    }
    touch(key, e);
    return !wasLocked && e.lockedUntilMs > nowMs;
  };

  const lockedFor = (a: LoginAttempt, nowMs: number): number => {
    let ms = 0;
    for (const [key] of limits(a)) {
      const e = live(key, nowMs);
      if (e && e.lockedUntilMs > nowMs) ms = Math.max(ms, e.lockedUntilMs - nowMs);
    }
    return ms;
  };

  /** `lockedKeys` rides on the error for the log, not in its details (which go to the client). */
  const refuse = (message: string, retryAfterMs: number, locked: string[]): never => {
    throw Object.assign(new RedCloudError('THROTTLED', message, { retryAfterMs }), { lockedKeys: locked });
  };

  return {
    begin(a) {
      const nowMs = now();
      const keys = limits(a);
      const retryAfterMs = lockedFor(a, nowMs);
      if (retryAfterMs > 0) refuse(`Too many failed logins: try again in ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs, []);
      const locked: string[] = [];
      for (const [key] of keys) if (count(key, 1, nowMs)) locked.push(key);
      const busy = keys.some(([key, , maxConcurrent]) => (inflight.get(key) ?? 0) >= maxConcurrent);
      if (busy) for (const [key] of keys) queue(key, 'add');
      if (busy) refuse('Too many logins at once for this user or address: try again in 1 s', 1000, locked);
      for (const [key] of keys) inflight.set(key, (inflight.get(key) ?? 0) + 1);
      let finished = false;
      return {
        locked,
        done(ok) {
          if (finished) return;
          finished = true;
          for (const [key] of keys) {
            const n = (inflight.get(key) ?? 1) - 1;
            if (n > 0) inflight.set(key, n);
            else inflight.delete(key);
          }
          if (!ok) {
            for (const [key] of keys) queue(key, 'add');
            return;
          }
          entries.delete(userKeyOf(a.user));
          queue(userKeyOf(a.user), 'reset');
          const addr = entries.get(addressKeyOf(a.address));
          if (addr) addr.failures = Math.max(0, addr.failures - 1);
        },
      };
    },
    absorb(delta) {
      const nowMs = now();
      if (delta.reset) entries.delete(delta.key);
      if (delta.add > 0) count(delta.key, delta.add, nowMs);
      if (delta.lockedForMs > 0) {
        const e = live(delta.key, nowMs) ?? { failures: 0, lastFailureMs: nowMs, lockedUntilMs: 0 };
        e.lockedUntilMs = Math.max(e.lockedUntilMs, nowMs + Math.min(o.maxWindowMs, delta.lockedForMs));
        touch(delta.key, e);
      }
    },
    drain(limit, withLocks = false) {
      const nowMs = now();
      const out = new Map<string, KeyDelta>();
      for (const [key, p] of pending) {
        if (out.size >= limit) break;
        out.set(key, { key, add: p.add, lockedForMs: Math.max(0, (live(key, nowMs)?.lockedUntilMs ?? 0) - nowMs), ...(p.reset ? { reset: true } : {}) });
        pending.delete(key);
      }
      for (const [key, e] of withLocks ? entries : []) {
        if (out.size >= limit) break;
        if (!out.has(key) && e.lockedUntilMs > nowMs) out.set(key, { key, add: 0, lockedForMs: e.lockedUntilMs - nowMs });
      }
      return [...out.values()];
    },
    lockedForMs: (a) => lockedFor(a, now()),
    size: () => entries.size,
    lockedCount() {
      const nowMs = now();
      let n = 0;
      for (const e of entries.values()) if (e.lockedUntilMs > nowMs) n++;
      return n;
    },
  };
}

/**
 * Registrations per remote address: at most `max` in any `windowMs` (a sliding log per address,
 * bounded table). Pure; the clock is passed in.
 */
export function createRateLimit(now: () => number, max: number, windowMs: number, maxKeys = 10_000): { take(key: string): void } {
  const log = new Map<string, number[]>();
  return {
    take(key) {
      const nowMs = now();
      const recent = (log.get(key) ?? []).filter((t) => nowMs - t < windowMs);
      if (recent.length >= max) {
        const retryAfterMs = windowMs - (nowMs - recent[0]!);
        throw new RedCloudError('THROTTLED', `Too many registrations from this address: try again in ${Math.ceil(retryAfterMs / 1000)} s`, { retryAfterMs });
      }
      recent.push(nowMs);
      log.delete(key);
      log.set(key, recent);
      for (const k of log.keys()) {
        if (log.size <= maxKeys) break;
        log.delete(k);
      }
    },
  };
}
