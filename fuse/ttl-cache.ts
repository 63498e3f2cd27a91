/**
 * A small TTL map for attribute and directory caches (1 s by default): entries expire by the
 * injected clock and are invalidated by the driver's own writes. Bounded in entries. Pure.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; expiresAtMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly nowMs: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expiresAtMs <= this.nowMs()) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.map.delete(key);
    this.map.set(key, { value, expiresAtMs: this.nowMs() + this.ttlMs });
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }

  /** Replaces a live entry's value, keeping its expiry (a cached listing learning of our own change). */
  update(key: string, change: (value: V) => V): void {
    const hit = this.map.get(key);
    if (!hit) return;
    if (hit.expiresAtMs <= this.nowMs()) this.map.delete(key);
    else hit.value = change(hit.value);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops `key` and every key under `key/` (a renamed or removed directory). */
  deleteTree(key: string): void {
    const prefix = key === '/' ? '/' : `${key}/`;
    for (const k of this.map.keys()) if (k === key || k.startsWith(prefix)) this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }
}
