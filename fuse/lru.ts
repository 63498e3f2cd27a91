/**
 * A byte-bounded LRU map, least recently used first, with each value's size given by `sizeOf`.
 * The mount's RAM read cache keeps chunk bytes in it (chunks are content-addressed: an entry never
 * goes stale); the disk cache keeps only the bookkeeping of its files (size, verified flag) and
 * deletes the files of the keys `set` evicts. Pure, no I/O.
 */
export class SizedLru<V> {
  private readonly map = new Map<string, V>();
  private usedBytes = 0;

  constructor(
    readonly capacityBytes: number,
    private readonly sizeOf: (value: V) => number,
    /** called with each entry `set` evicts to make room (not for `delete` or `clear`) */
    private readonly onEvict?: (key: string, value: V) => void,
  ) {}

  get sizeBytes(): number {
    return this.usedBytes;
  }

  get count(): number {
    return this.map.size;
  }

  /** Keys, least recently used first. */
  keys(): string[] {
    return [...this.map.keys()];
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** The value, made the most recently used. */
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** The value, without changing the order. */
  peek(key: string): V | undefined {
    return this.map.get(key);
  }

  /**
   * Stores `value` as the most recently used (replacing an earlier one), then evicts the least
   * recently used entries until the total fits. A value larger than the capacity is not stored
   * and its key is itself returned as evicted. Returns the evicted keys, oldest first.
   */
  set(key: string, value: V): string[] {
    this.delete(key);
    const size = this.sizeOf(value);
    if (size > this.capacityBytes) return [key];
    this.map.set(key, value);
    this.usedBytes += size;
    const evicted: string[] = [];
    while (this.usedBytes > this.capacityBytes) {
      const oldest = this.map.keys().next().value as string;
      const value = this.map.get(oldest)!;
      this.delete(oldest);
      evicted.push(oldest);
      this.onEvict?.(oldest, value);
    }
    return evicted;
  }

  delete(key: string): boolean {
    const value = this.map.get(key);
    if (value === undefined) return false;
    this.map.delete(key);
    this.usedBytes -= this.sizeOf(value);
    return true;
  }

  clear(): void {
    this.map.clear();
    this.usedBytes = 0;
  }
}

/** What the disk cache knows of one cached file: its size, and whether its bytes were checked. */
export interface SizedEntry {
  sizeBytes: number;
  /** false for files found at start (an earlier mount, maybe torn by a crash) until hashed once */
  verified: boolean;
}
