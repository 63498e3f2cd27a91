/**
 * Version vectors: per controller, the highest write sequence seen. Comparison tells whether one
 * version has seen everything the other has (before/after), both the same (equal), or neither
 * (concurrent). Pure.
 */
import type { VersionVector } from './types.js';

export type VvOrder = 'equal' | 'before' | 'after' | 'concurrent';

export function compareVV(a: VersionVector, b: VersionVector): VvOrder {
  let aBigger = false;
  let bBigger = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x > y) aBigger = true;
    else if (y > x) bBigger = true;
  }
  if (aBigger && bBigger) return 'concurrent';
  if (aBigger) return 'after';
  if (bBigger) return 'before';
  return 'equal';
}

/** Alias kept for callers that read better as `compare(a, b)`. */
export const compare = compareVV;

/** Pointwise maximum, keys sorted (canonical form). */
export function mergeVV(a: VersionVector, b: VersionVector): VersionVector {
  const out: VersionVector = {};
  for (const node of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    out[node] = Math.max(a[node] ?? 0, b[node] ?? 0);
  }
  return out;
}

/** True when `vv` has seen the write (node, seq). */
export function hasSeen(vv: VersionVector, node: string, seq: number): boolean {
  return (vv[node] ?? 0) >= seq;
}
