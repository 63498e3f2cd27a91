/**
 * Garbage collection of chunks (pure bookkeeping): remembers when each chunk was first seen
 * unreferenced, forgets it as soon as it is referenced again (or no server holds it), and says
 * which ones have stayed unreferenced for longer than GC_GRACE. Chunks about to be written (a
 * placement was handed out) are held: their grace period starts only when the hold ends, so an
 * upload in progress, or one that found the chunk already stored, never loses it before commit.
 * A restart forgets every timer, which only delays collection. The service does the deletes,
 * only for its share of chunks.
 */

export interface GcCandidate {
  chunkId: string;
  /** servers known to hold it */
  locations: readonly string[];
}

export class GcTracker {
  private readonly firstSeenMs = new Map<string, number>();
  private readonly heldUntilMs = new Map<string, number>();

  constructor(private readonly graceMs: number) {}

  /** Holds chunks (a placement for them was issued) until `untilMs`; their grace starts then. */
  hold(chunkIds: readonly string[], untilMs: number): void {
    for (const id of chunkIds) this.heldUntilMs.set(id, Math.max(untilMs, this.heldUntilMs.get(id) ?? 0));
  }

  /**
   * Records the current unreferenced chunks at `nowMs` and returns those unreferenced for at
   * least the grace period (in the order given). Chunks missing from `candidates` are forgotten.
   */
  observe(candidates: readonly GcCandidate[], nowMs: number): GcCandidate[] {
    const current = new Set(candidates.map((c) => c.chunkId));
    for (const id of this.firstSeenMs.keys()) if (!current.has(id)) this.firstSeenMs.delete(id);
    for (const [id, until] of this.heldUntilMs) if (until <= nowMs && !current.has(id)) this.heldUntilMs.delete(id);
    const due: GcCandidate[] = [];
    for (const c of candidates) {
      const held = this.heldUntilMs.get(c.chunkId);
      if (held !== undefined) {
        if (held > nowMs) {
          this.firstSeenMs.set(c.chunkId, held);
          continue;
        }
        this.heldUntilMs.delete(c.chunkId);
        this.firstSeenMs.set(c.chunkId, Math.max(held, this.firstSeenMs.get(c.chunkId) ?? held));
      }
      const first = this.firstSeenMs.get(c.chunkId);
      if (first === undefined) this.firstSeenMs.set(c.chunkId, nowMs);
      else if (nowMs - first >= this.graceMs) due.push(c);
    }
    return due;
  }

  /** Forgets a chunk (deleted everywhere, or referenced again). */
  forget(chunkId: string): void {
    this.firstSeenMs.delete(chunkId);
  }

  /** Chunks currently waiting out the grace period. */
  size(): number {
    return this.firstSeenMs.size;
  }

  /** Chunks currently held for writes in progress. */
  held(): number {
    return this.heldUntilMs.size;
  }

  /** When the longest-waiting chunk was first seen unreferenced (its grace ends GC_GRACE later); undefined when none waits. */
  earliestFirstSeenMs(): number | undefined {
    let min: number | undefined;
    for (const ms of this.firstSeenMs.values()) if (min === undefined || ms < min) min = ms;
    return min;
  }
}

export interface NextCollectionInput {
  /** GcTracker.earliestFirstSeenMs(); undefined: no chunk waits yet */
  earliestFirstSeenMs: number | undefined;
  /** unreferenced chunks known now (a chunk not yet observed starts its grace at the next cycle) */
  garbageChunks: number;
  graceMs: number;
  /** when the next periodic repair cycle runs */
  nextCycleMs: number;
  /** REPAIR_INTERVAL */
  intervalMs: number;
}

/**
 * When garbage is next deleted (pure): the first periodic cycle at or after the earliest end of a
 * grace period. Chunks not yet observed start their grace at the next cycle. Undefined: no garbage.
 * A cycle triggered early (membership change) may collect sooner; a GC gate may postpone it.
 */
export function nextCollectionMs(i: NextCollectionInput): number | undefined {
  const dueMs = i.earliestFirstSeenMs !== undefined ? i.earliestFirstSeenMs + i.graceMs
    : i.garbageChunks > 0 ? i.nextCycleMs + i.graceMs : undefined;
  if (dueMs === undefined) return undefined;
  if (dueMs <= i.nextCycleMs || i.intervalMs <= 0) return Math.max(dueMs, i.nextCycleMs);
  return i.nextCycleMs + Math.ceil((dueMs - i.nextCycleMs) / i.intervalMs) * i.intervalMs;
}
