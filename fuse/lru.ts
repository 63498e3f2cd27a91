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

/** What the disk tier knows of one cached file: its size, and whether its bytes were checked. */
export interface SizedEntry {
  sizeBytes: number;
  /** false for files found at start (an earlier mount, maybe torn by a crash) until hashed once */
  verified: boolean;
}

/**
 * The bookkeeping of a byte-bounded LRU whose values live elsewhere (files of the disk chunk
 * cache): key → size and verified flag, least recently used first. `add` returns the keys it
 * evicted so the caller can delete their files. Pure, no I/O.
 */
export class SizeLru {
  private readonly map = new Map<string, SizedEntry>();
  private usedBytes = 0;

  constructor(readonly capacityBytes: number) {}

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

  /** The entry, made the most recently used. */
  touch(key: string): SizedEntry | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry;
  }

  /**
   * Records `key` as the most recently used (replacing an earlier record), then evicts the least
   * recently used entries until the total fits. An entry larger than the capacity is not added
   * and is itself returned as evicted. Returns the evicted keys, oldest first.
   */
  add(key: string, sizeBytes: number, verified: boolean): string[] {
    this.delete(key);
    if (sizeBytes > this.capacityBytes) return [key];
    this.map.set(key, { sizeBytes, verified });
    this.usedBytes += sizeBytes;
    const evicted: string[] = [];
    while (this.usedBytes > this.capacityBytes) {
      const oldest = this.map.keys().next().value as string;
      this.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  markVerified(key: string): void {
    const entry = this.map.get(key);
    if (entry) entry.verified = true;
  }

  delete(key: string): boolean {
    const entry = this.map.get(key);
    if (entry === undefined) return false;
    this.map.delete(key);
    this.usedBytes -= entry.sizeBytes;
    return true;
  }
}
