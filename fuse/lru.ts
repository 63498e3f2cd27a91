/**
 * A byte-bounded LRU map of chunk id → bytes (the read cache). Chunks are content-addressed, so
 * an entry never goes stale: the same id always means the same bytes. Pure, no I/O.
 */
export class ByteLru {
  private readonly map = new Map<string, Buffer>();
  private usedBytes = 0;

  constructor(readonly capacityBytes: number) {}

  get sizeBytes(): number {
    return this.usedBytes;
  }

  get count(): number {
    return this.map.size;
  }

  get(key: string): Buffer | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Stores `value` unless it alone exceeds the capacity; evicts least recently used entries. */
  set(key: string, value: Buffer): void {
    this.delete(key);
    if (value.length > this.capacityBytes) return;
    this.map.set(key, value);
    this.usedBytes += value.length;
    while (this.usedBytes > this.capacityBytes) {
      const oldest = this.map.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const value = this.map.get(key);
    if (value === undefined) return;
    this.map.delete(key);
    this.usedBytes -= value.length;
  }

  clear(): void {
    this.map.clear();
    this.usedBytes = 0;
  }
}
