/**
 * Garbage collection of chunks (pure bookkeeping): remembers when each chunk was first seen
 * unreferenced, forgets it as soon as it is referenced again (or no server holds it), and says
 * which ones have stayed unreferenced for longer than GC_GRACE. A restart forgets every timer,
 * which only delays collection. The service does the deletes, only for its share of chunks.
 */

export interface GcCandidate {
  chunkId: string;
  /** servers known to hold it */
  locations: readonly string[];
}

export class GcTracker {
  private readonly firstSeenMs = new Map<string, number>();

  constructor(private readonly graceMs: number) {}

  /**
   * Records the current unreferenced chunks at `nowMs` and returns those unreferenced for at
   * least the grace period (in the order given). Chunks missing from `candidates` are forgotten.
   */
  observe(candidates: readonly GcCandidate[], nowMs: number): GcCandidate[] {
    const current = new Set(candidates.map((c) => c.chunkId));
    for (const id of this.firstSeenMs.keys()) if (!current.has(id)) this.firstSeenMs.delete(id);
    const due: GcCandidate[] = [];
    for (const c of candidates) {
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
}
