/**
 * Waiting for a daemon: poll `GET /health` until it answers 200, with a deadline, each probe with
 * its own short timeout, and an early failure when the process is known to have died. An https
 * daemon is verified against `tlsCa` (its TLS_CA), which this process then trusts for every call.
 */
import { errors } from '../common/errors.js';
import { request } from '../common/http-client.js';
import { applyClientTls } from '../common/tls.js';

export interface WaitHealthyOptions {
  timeoutMs: number;
  /** interval between probes */
  pollMs?: number;
  signal?: AbortSignal;
  /** returns why the process is dead, or undefined while it runs */
  isDead?: () => string | undefined;
  /** the node id /health must report (when it reports one): catches a stale process on the address */
  expectNode?: string;
  /** context for the error message (e.g. the log tail) */
  describe?: () => string;
  /** PEM CA file an https daemon's certificate is verified against (its TLS_CA); trusted process-wide from then on */
  tlsCa?: string;
}

/** Resolves when `${baseUrl}/health` answers 2xx; throws TIMEOUT or UNAVAILABLE (with `describe()`). */
export async function waitHealthy(baseUrl: string, opts: WaitHealthyOptions): Promise<void> {
  const deadlineMs = Date.now() + opts.timeoutMs;
  const pollMs = opts.pollMs ?? 100;
  if (opts.tlsCa) applyClientTls({ tlsCa: opts.tlsCa });
  let last = 'no answer yet';
  for (;;) {
    if (opts.signal?.aborted) throw errors.aborted(`Waiting for ${baseUrl} was aborted`);
    const dead = opts.isDead?.();
    if (dead) throw errors.unavailable(`${baseUrl} ${dead} before it was healthy: ${opts.describe?.() ?? ''}`);
    try {
      const res = await request(`${baseUrl}/health`, { timeoutMs: Math.min(2_000, Math.max(100, deadlineMs - Date.now())), signal: opts.signal });
      const body = (await res.json().catch(() => ({}))) as { node?: unknown };
      if (opts.expectNode !== undefined && typeof body.node === 'string' && body.node !== opts.expectNode) {
        throw errors.exists(`${baseUrl} is answered by node ${body.node}, not ${opts.expectNode}: another process (an earlier cluster?) holds this address`);
      }
      // The answer may come from a process that is not ours if ours died on EADDRINUSE.
      const deadNow = opts.isDead?.();
      if (deadNow) throw errors.unavailable(`${baseUrl} ${deadNow} although something answers there: ${opts.describe?.() ?? ''}`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code === 'EXISTS' || (err as Error).message.includes('although something answers')) throw err;
      last = (err as Error).message;
    }
    if (Date.now() + pollMs > deadlineMs) {
      throw errors.timeout(`${baseUrl} not healthy after ${opts.timeoutMs} ms (last: ${last}): ${opts.describe?.() ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
