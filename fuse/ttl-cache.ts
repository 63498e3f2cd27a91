/**
 * A small TTL map for attribute and directory caches (1 s by default): entries expire by the
 * injected clock and are invalidated by the driver's own writes. Bounded in entries. Pure.
 * Keys are paths: the cache counts the keys below each directory, so dropping a file's entry
 * (every create and unlink does) costs O(depth), and only a directory with cached keys below it
 * is scanned.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { value: V; expiresAtMs: number }>();
  /** directory path → how many keys of `map` are below it (at any depth) */
  private readonly below = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly nowMs: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expiresAtMs <= this.nowMs()) {
      this.drop(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    this.drop(key);
    this.map.set(key, { value, expiresAtMs: this.nowMs() + this.ttlMs });
    this.count(key, 1);
    if (this.map.size > this.maxEntries) this.drop(this.map.keys().next().value as string);
  }

  /** Replaces a live entry's value, keeping its expiry (a cached listing learning of our own change). */
  update(key: string, change: (value: V) => V): void {
    const hit = this.map.get(key);
    if (!hit) return;
    if (hit.expiresAtMs <= this.nowMs()) this.drop(key);
    else hit.value = change(hit.value);
  }

  delete(key: string): void {
    this.drop(key);
  }

  /** Drops `key` and every key under `key/` (a renamed or removed directory). */
  deleteTree(key: string): void {
    this.drop(key);
    if (!this.below.has(key)) return;
    const prefix = key === '/' ? '/' : `${key}/`;
    for (const k of [...this.map.keys()]) if (k.startsWith(prefix)) this.drop(k);
  }

  clear(): void {
    this.map.clear();
    this.below.clear();
  }

  private drop(key: string): void {
    if (this.map.delete(key)) this.count(key, -1);
  }

  /** Adds `by` to the below-count of every directory above `key`. */
  private count(key: string, by: number): void {
    for (let dir = parentKey(key); dir !== undefined; dir = parentKey(dir)) {
      const n = (this.below.get(dir) ?? 0) + by;
      if (n > 0) this.below.set(dir, n);
      else this.below.delete(dir);
    }
  }
}

/** '/a/b' → '/a', '/a' → '/', '/' and names without a slash → undefined. */
function parentKey(key: string): string | undefined {
  if (key === '/') return undefined;
  const i = key.lastIndexOf('/');
  if (i < 0) return undefined;
  return i === 0 ? '/' : key.slice(0, i);
}
