/**
 * Group commit: the controller acknowledges a write only once it is on stable storage, and
 * concurrent writes share one sync. `durable()` resolves when a sync that started after every
 * write made so far has finished: a sync already running that covers them is joined, otherwise
 * one more sync is queued behind it, shared by every caller that arrives meanwhile. So N writes
 * arriving together cost at most two syncs, and a quiet store costs none.
 *
 * Pure logic over two injected functions: `mark()` counts the writes made so far (monotonic), and
 * `sync()` makes everything written before its call durable (store.ts: fdatasync of the WAL).
 */
export class GroupCommit {
  /** mark() covered by the last sync that succeeded */
  private synced: number;
  private running: { covers: number; done: Promise<void> } | undefined;
  private queued: Promise<void> | undefined;
  /** how many syncs ran (metrics, tests) */
  syncs = 0;

  constructor(private readonly mark: () => number, private readonly sync: () => Promise<void>) {
    this.synced = mark();
  }

  /** Resolves once every write made before this call is durable; rejects if that sync failed. */
  durable(): Promise<void> {
    const target = this.mark();
    if (target <= this.synced) return Promise.resolve();
    if (this.running && this.running.covers >= target) return this.running.done;
    if (!this.queued) {
      const after = this.running ? this.running.done.catch(() => undefined) : Promise.resolve();
      this.queued = after.then(() => {
        this.queued = undefined;
        return this.start();
      });
    }
    return this.queued;
  }

  private start(): Promise<void> {
    const covers = this.mark();
    this.syncs += 1;
    const done = this.sync().then(() => {
      this.synced = Math.max(this.synced, covers);
    });
    const running = { covers, done };
    this.running = running;
    const clear = (): void => {
      if (this.running === running) this.running = undefined;
    };
    done.then(clear, clear);
    return done;
  }
}
