/**
 * Tells every known controller that a replica here was bad and has been removed
 * (POST /internal/report-bad, cluster auth), so repair copies it from a good replica. Best effort:
 * sent in parallel with a timeout each; the heartbeat's `removed` delta says the same later.
 */
import { toRedCloudError } from '../common/errors.js';
import { requestJson } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import { clusterSigner } from '../common/cluster-auth.js';
import type { Signer } from '../common/tokens.js';

export interface ReportDeps {
  controllers: () => string[];
  signer: Signer;
  nodeId: string;
  now: () => number;
  requestTimeoutMs: number;
  logger: Logger;
  shutdown: AbortSignal;
}

export type BadChunkReporter = (chunkId: string, reason: string) => Promise<void>;

export function createBadChunkReporter(deps: ReportDeps): BadChunkReporter {
  const log = deps.logger.child({ component: 'report-bad' });
  return async (chunkId, reason) => {
    const body = { chunkId, serverId: deps.nodeId, reason };
    await Promise.all(deps.controllers().map(async (url) => {
      try {
        await requestJson<void>(`${url}/internal/report-bad`, {
          method: 'POST', body, timeoutMs: deps.requestTimeoutMs, signal: deps.shutdown,
          sign: clusterSigner(deps.signer, 'chunkserver', deps.nodeId, deps.now),
        });
      } catch (err) {
        const e = toRedCloudError(err);
        log.warn({ chunkId, controller: url, code: e.code, err: e.message }, 'Could not report a bad chunk');
      }
    }));
  };
}
