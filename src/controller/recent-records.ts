/**
 * The records a store read or wrote last, parsed, in two generations of up to half the bound
 * each: a lookup finds the young one first and brings an old hit forward; when the young one is
 * full it becomes the old one. Every operation is O(1) (a Map used as an LRU by delete + set and
 * evicting its first key slows down as deleted slots pile up at its front: ~25 µs per write).
 * The store writes through it and empties it on a rollback; the objects are never modified.
 */
import type { MetaRecord } from '../meta/types.js';

export class RecentRecords {
  private young = new Map<string, MetaRecord>();
  private old = new Map<string, MetaRecord>();

  constructor(private readonly maxRecords: number) {}

  get(key: string): MetaRecord | undefined {
    const hit = this.young.get(key);
    if (hit) return hit;
    const aged = this.old.get(key);
    if (aged) this.put(aged);
    return aged;
  }

  put(r: MetaRecord): void {
    if (this.young.size >= Math.max(1, this.maxRecords >> 1) && !this.young.has(r.key)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(r.key, r);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
