/**
 * Admission of chunk PUTs: at most `perClientMax` in flight per client address (more are refused
 * with THROTTLED before a byte of the body is read), and a count of all PUTs in flight for /health.
 * Pure bookkeeping; the route enters before the body and releases when the PUT ends either way.
 */
import { RedCloudError } from '../common/errors.js';

export interface PutAdmission {
  /** Admits a PUT from `client` or throws THROTTLED; the returned function releases it (idempotent). */
  enter(client: string): () => void;
  inFlight(): number;
}

export function createPutAdmission(perClientMax: number): PutAdmission {
  const byClient = new Map<string, number>();
  let total = 0;
  return {
    enter(client) {
      const n = byClient.get(client) ?? 0;
      if (n >= perClientMax) {
        throw new RedCloudError('THROTTLED', `Too many chunk uploads in flight from ${client} (PUTS_PER_CLIENT_MAX is ${perClientMax})`, { retryAfterMs: 1000 });
      }
      byClient.set(client, n + 1);
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (byClient.get(client) ?? 1) - 1;
        if (left > 0) byClient.set(client, left);
        else byClient.delete(client);
      };
    },
    inFlight: () => total,
  };
}
