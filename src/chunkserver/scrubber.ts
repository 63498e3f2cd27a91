/**
 * The scrubber: re-verifies every stored chunk in the background at SCRUB_RATE bytes/s, one full
 * pass every SCRUB_INTERVAL. A chunk whose bytes no longer hash to its id is removed from the
 * store at once (so it is never served again and leaves the inventory as a `removed` delta),
 * logged and reported to the controllers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { toRedCloudError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ChunkserverMetrics } from './metrics.js';
import type { BadChunkReporter } from './report-bad.js';
import type { ChunkStore } from './store.js';

export interface ScrubberDeps {
  store: ChunkStore;
  logger: Logger;
  metrics: ChunkserverMetrics;
  report: BadChunkReporter;
  rateBytesPerSec: number;
  intervalMs: number;
  shutdown: AbortSignal;
}

export interface ScrubPassResult {
  checked: number;
  corrupt: string[];
  bytes: number;
}

export interface Scrubber {
  start(): void;
  stop(): Promise<void>;
  /** One full pass now (tests, and the background loop). */
  runPass(opts?: { signal?: AbortSignal }): Promise<ScrubPassResult>;
  /** Removes a chunk found corrupt elsewhere (a read-side check), logs and reports it. */
  quarantine(id: string, reason: string): Promise<void>;
}

export function createScrubber(deps: ScrubberDeps): Scrubber {
  const log = deps.logger.child({ component: 'scrubber' });
  const stopper = new AbortController();
  const signal = AbortSignal.any([deps.shutdown, stopper.signal]);
  let loop: Promise<void> | undefined;

  async function checkOne(id: string, throttle: (n: number) => Promise<void>, sig: AbortSignal, result: ScrubPassResult) {
    let good: boolean;
    try {
      good = await deps.store.verify(id, { signal: sig, onBytes: throttle });
    } catch (err) {
      const e = toRedCloudError(err);
      if (e.code === 'NOT_FOUND') return; // deleted meanwhile
      throw e;
    }
    result.checked++;
    deps.metrics.scrubbedChunks.inc({ result: good ? 'ok' : 'corrupt' });
    if (good) return;
    result.corrupt.push(id);
    await deps.store.delete(id);
    log.warn({ chunkId: id }, 'Scrubber found corrupt chunk');
    await deps.report(id, 'scrubber: content does not match its hash');
  }

  async function quarantine(id: string, reason: string): Promise<void> {
    if (!(await deps.store.delete(id))) return;
    deps.metrics.scrubbedChunks.inc({ result: 'corrupt' });
    log.warn({ chunkId: id, reason }, 'Found corrupt chunk on read');
    await deps.report(id, reason);
  }

  async function runPass(opts: { signal?: AbortSignal } = {}): Promise<ScrubPassResult> {
    const sig = opts.signal ? AbortSignal.any([signal, opts.signal]) : signal;
    const result: ScrubPassResult = { checked: 0, corrupt: [], bytes: 0 };
    const startedMs = performance.now();
    const throttle = async (n: number) => {
      result.bytes += n;
      deps.metrics.scrubbedBytes.inc(n);
      const aheadMs = (result.bytes / deps.rateBytesPerSec) * 1000 - (performance.now() - startedMs);
      if (aheadMs > 1) await sleep(aheadMs, undefined, { signal: sig });
    };
    for (const id of deps.store.list()) {
      if (sig.aborted) break;
      await checkOne(id, throttle, sig, result);
    }
    deps.metrics.scrubPasses.inc();
    log.info({ checked: result.checked, corrupt: result.corrupt.length, bytes: result.bytes, durationMs: Math.round(performance.now() - startedMs) }, 'Scrub pass complete');
    return result;
  }

  async function background(): Promise<void> {
    while (!signal.aborted) {
      const startedMs = performance.now();
      try {
        await runPass();
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ err: toRedCloudError(err).message }, 'Scrub pass failed; retrying next interval');
      }
      const waitMs = Math.max(0, deps.intervalMs - (performance.now() - startedMs));
      await sleep(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }

  return {
    start() {
      loop = background();
    },
    async stop() {
      stopper.abort();
      await loop;
    },
    runPass,
    quarantine,
  };
}
