/**
 * Throttling of clients' bad-replica reports (POST /v1/fs/report-bad), pure logic with the clock
 * passed in. Each report may cost a chunkserver a whole-chunk hash, so: a caller may report at
 * most `perCallerMax` times per `callerWindowMs` (more: THROTTLED with a retry-after), and one
 * replica (chunk, server) is verified at most once per `replicaIntervalMs`, further reports of it
 * being accepted and coalesced into that verification. Both tables are bounded.
 */
import { RedCloudError } from '../common/errors.js';

export interface ReportThrottleOptions {
  perCallerMax: number;
  callerWindowMs: number;
  replicaIntervalMs: number;
  /** bound of each table; the oldest keys are dropped first */
  maxKeys: number;
}

export const DEFAULT_REPORT_THROTTLE: ReportThrottleOptions = { perCallerMax: 30, callerWindowMs: 60_000, replicaIntervalMs: 10 * 60_000, maxKeys: 100_000 };

export interface ReportThrottle {
  /** 'verify': ask the chunkserver; 'coalesced': a verification of this replica is recent. Throws THROTTLED. */
  admit(caller: string, chunkId: string, serverId: string): 'verify' | 'coalesced';
}

/** Drops the oldest keys (Map insertion order) beyond `max`. */
function bound<V>(map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

export function createReportThrottle(now: () => number, o: ReportThrottleOptions = DEFAULT_REPORT_THROTTLE): ReportThrottle {
  const callers = new Map<string, { windowStartMs: number; count: number }>();
  const verified = new Map<string, number>();
  return {
    admit(caller, chunkId, serverId) {
      const t = now();
      let c = callers.get(caller);
      if (!c || t - c.windowStartMs >= o.callerWindowMs) {
        callers.delete(caller);
        c = { windowStartMs: t, count: 0 };
        callers.set(caller, c);
        bound(callers, o.maxKeys);
      }
      if (c.count >= o.perCallerMax) {
        const retryAfterMs = c.windowStartMs + o.callerWindowMs - t;
        throw new RedCloudError('THROTTLED', `Too many bad-replica reports (at most ${o.perCallerMax} per ${Math.round(o.callerWindowMs / 1000)} s); try again later`,
          { retryAfterMs });
      }
      c.count++;
      const key = `${chunkId}\0${serverId}`;
      const last = verified.get(key);
      if (last !== undefined && t - last < o.replicaIntervalMs) return 'coalesced';
      verified.delete(key);
      verified.set(key, t);
      bound(verified, o.maxKeys);
      return 'verify';
    },
  };
}
