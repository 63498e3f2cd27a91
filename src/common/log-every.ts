/**
 * Rate limit for log lines that repeat in a running cluster (`Sent N updates to <peer>`,
 * `Received heartbeat`, `Heartbeat sent`): per key, the first event is logged and then at most one
 * per interval, carrying how many events and how much (e.g. updates) it stands for since the last
 * line. Pure: the clock is an argument, the caller logs.
 */
/** `Received heartbeat` / `Heartbeat sent`: one line per chunkserver-controller pair at most this often */
export const HEARTBEAT_LOG_EVERY_MS = 30_000;

export interface LogEveryLine {
  /** events since the last logged line, this one included */
  events: number;
  /** sum of the amounts of those events */
  total: number;
}

export interface LogEvery {
  /** Records one event of `amount` under `key`; returns what to log now, or null to stay quiet. */
  note(key: string, nowMs: number, amount?: number): LogEveryLine | null;
}

export function logEvery(intervalMs: number, maxKeys = 1024): LogEvery {
  const held = new Map<string, { lastMs: number; events: number; total: number }>();
  return {
    note(key, nowMs, amount = 1) {
      const h = held.get(key);
      if (!h || nowMs - h.lastMs >= intervalMs || nowMs < h.lastMs) {
        const line = { events: (h?.events ?? 0) + 1, total: (h?.total ?? 0) + amount };
        if (!h && held.size >= maxKeys) held.delete(held.keys().next().value as string);
        held.set(key, { lastMs: nowMs, events: 0, total: 0 });
        return line;
      }
      h.events += 1;
      h.total += amount;
      return null;
    },
  };
}
