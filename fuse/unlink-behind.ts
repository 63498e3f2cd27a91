/**
 * Unlinks answered before the controller has them, in bursts only (rm -r, a loop of unlinks). A
 * lone unlink is sent and awaited as before. One that comes within BURST_WINDOW_MS of the
 * previous one is answered at once and queued; the queue goes to the controller in batches of up
 * to REMOVE_MANY_MAX paths (POST /v1/fs/remove-many: one request and one transaction per batch),
 * one batch in flight at a time. The caller's cache already shows the names gone.
 *
 * Order: every other call of the mount to the controller waits until the queue is empty
 * (`ordered`), so a create, rename, listing or stat after an unlink finds it done. `drain` is
 * what fsync of a directory and unmount wait for.
 *
 * Durability, as ext4 without fsync of the directory: a mount killed while unlinks are queued
 * (usually one round trip) loses those unlinks, so the files stay; nothing written is lost. A
 * path the controller refuses (other than NOT_FOUND: already gone) is logged ("Deferred unlink
 * failed") and handed to `failed`, which drops the caller's cache so the file shows again.
 */
import { REMOVE_MANY_MAX, type RemoveOutcome } from '../src/common/api.js';
import { RedCloudError, errors, toRedCloudError } from '../src/common/errors.js';
import type { Logger } from '../src/common/logger.js';
import { retryUnavailable } from '../src/client/retry.js';

/** An unlink this soon after the previous one is part of a burst: answered at once, sent queued. */
export const BURST_WINDOW_MS = 50;
/** Queued unlinks at most; beyond it an unlink waits for its own answer (memory and loss stay bounded). */
export const MAX_QUEUED = 4096;

/** Time since the previous event of one kind (an unlink, a create): what tells a burst (also new-inos.ts). */
export class BurstClock {
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly nowMs: () => number) {}

  /** Records an event now; returns the ms since the previous one (Infinity for the first). */
  tick(): number {
    const now = this.nowMs();
    const since = now - this.lastMs;
    this.lastMs = now;
    return since;
  }
}

/** Whether an unlink now may be answered before it is sent. Pure. */
export function takesUnlink(o: { sinceLastMs: number; queued: number; routeKnownMissing: boolean }): boolean {
  return !o.routeKnownMissing && o.sinceLastMs <= BURST_WINDOW_MS && o.queued < MAX_QUEUED;
}

export interface UnlinkBehindDeps {
  /** client.unlinkMany */
  sendMany(paths: string[], signal: AbortSignal): Promise<RemoveOutcome[]>;
  /** client.unlink, for a controller without remove-many */
  sendOne(path: string, signal: AbortSignal): Promise<unknown>;
  /** the controller refused `path`: the caller drops what it cached of it */
  failed(path: string, err: RedCloudError): void;
  logger: Logger;
  nowMs: () => number;
}

/** Deadline of one batch, retries included: then its paths are logged as failed (the files stay). */
export const BATCH_TIMEOUT_MS = 60_000;

export class UnlinkBehind {
  private queue: string[] = [];
  private running: Promise<void> | undefined;
  private readonly clock: BurstClock;
  /** wrapped client methods, made once per name (`ordered`) */
  private readonly wrapped = new Map<PropertyKey, (...args: unknown[]) => unknown>();
  /** false once a controller answered that it has no remove-many route */
  private routeMissing = false;

  constructor(private readonly d: UnlinkBehindDeps) {
    this.clock = new BurstClock(d.nowMs);
  }

  /** Called for each unlink of a plain file: true if it is taken (queued; answer the kernel now). */
  offer(path: string): boolean {
    if (!takesUnlink({ sinceLastMs: this.clock.tick(), queued: this.queue.length, routeKnownMissing: this.routeMissing })) return false;
    this.queue.push(path);
    if (!this.running) this.running = this.pump().finally(() => { this.running = undefined; });
    return true;
  }

  /** Unlinks queued or in flight. */
  get pending(): boolean {
    return this.running !== undefined;
  }

  /** Resolves once every unlink taken so far has reached the controller (or failed and was logged). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * `client` whose calls (every method) first wait for the queue to drain: what the mount's
   * handlers use, so nothing overtakes an unlink already answered.
   */
  ordered<T extends object>(client: T): T {
    return new Proxy(client, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        let w = this.wrapped.get(prop);
        if (!w) {
          w = (...args: unknown[]) => (this.running ? this.drain().then(() => v.apply(target, args)) : v.apply(target, args));
          this.wrapped.set(prop, w);
        }
        return w;
      },
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, REMOVE_MANY_MAX);
      await this.send(batch);
    }
  }

  private async send(batch: string[]): Promise<void> {
    const signal = AbortSignal.timeout(BATCH_TIMEOUT_MS);
    let outcomes: RemoveOutcome[];
    try {
      outcomes = this.routeMissing ? await this.oneByOne(batch, signal)
        : await retryUnavailable(() => this.d.sendMany(batch, signal), { signal });
    } catch (err) {
      const e = toRedCloudError(err);
      if (e.code === 'NOT_FOUND' && !this.routeMissing) { // a controller older than the route
        this.routeMissing = true;
        this.d.logger.info({}, 'Controller has no remove-many route; unlinks go one by one');
        outcomes = await this.oneByOne(batch, signal);
      } else {
        outcomes = batch.map(() => ({ ok: false, code: e.code, message: e.message }));
      }
    }
    outcomes.forEach((o, i) => {
      if (o.ok || o.code === 'NOT_FOUND') return;
      const path = batch[i]!;
      const err = new RedCloudError(o.code as RedCloudError['code'], o.message, { path });
      this.d.logger.warn({ path, code: o.code, err: o.message }, 'Deferred unlink failed; the file stays');
      this.d.failed(path, err);
    });
  }

  private async oneByOne(batch: string[], signal: AbortSignal): Promise<RemoveOutcome[]> {
    const out: RemoveOutcome[] = [];
    for (const path of batch) {
      try {
        if (signal.aborted) throw errors.timeout(`Deferred unlink of ${path} timed out`, { path });
        await retryUnavailable(() => this.d.sendOne(path, signal), { signal });
        out.push({ ok: true });
      } catch (err) {
        const e = toRedCloudError(err);
        out.push({ ok: false, code: e.code, message: e.message });
      }
    }
    return out;
  }
}
