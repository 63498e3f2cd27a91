/**
 * Pure capacity arithmetic of a chunk store: how many bytes new chunks may still take given the
 * quota (CAPACITY_BYTES, 0 = the disk), the disk's free space and MIN_FREE_BYTES, and whether a
 * write of a given size fits. A store is reported full (no more placements) as soon as the
 * largest chunk it holds would no longer fit, not only at zero bytes.
 */

export interface CapacityInput {
  /** CAPACITY_BYTES; 0 means "the disk" */
  quotaBytes: number;
  minFreeBytes: number;
  /** bytes of stored chunks */
  usedBytes: number;
  /** bytes being written right now (reserved by in-flight puts) */
  reservedBytes: number;
  /** free space of the disk, as statfs reports it to unprivileged users */
  diskFreeBytes: number;
  /** the largest chunk stored so far (0 when none): "one more chunk" for the full flag */
  largestChunkBytes?: number;
}

export interface Capacity {
  capacityBytes: number;
  freeBytes: number;
  full: boolean;
}

/** Bytes that new chunks may still take (never negative). */
export function availableBytes(c: CapacityInput): number {
  const byDisk = c.diskFreeBytes - c.minFreeBytes - c.reservedBytes;
  const byQuota = c.quotaBytes > 0 ? c.quotaBytes - c.usedBytes - c.reservedBytes : Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(byDisk, byQuota));
}

export function capacityOf(c: CapacityInput): Capacity {
  const freeBytes = availableBytes(c);
  const capacityBytes = c.quotaBytes > 0 ? c.quotaBytes : c.usedBytes + Math.max(0, c.diskFreeBytes);
  return { capacityBytes, freeBytes, full: freeBytes <= 0 || freeBytes < (c.largestChunkBytes ?? 0) };
}

/** True when `sizeBytes` more bytes fit. */
export function fits(c: CapacityInput, sizeBytes: number): boolean {
  return sizeBytes <= availableBytes(c);
}
