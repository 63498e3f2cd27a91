/**
 * Last-writer-wins registers and the max-register of times: the building blocks of per-field
 * merge. A register written at the greater HLC stamp wins; equal stamps (only the same event can
 * have them) fall back to the canonical JSON of the value, so the merge is total, commutative,
 * associative and idempotent. Pure.
 */
import { compareHlc } from './hlc.js';
import type { Reg, Ts } from './types.js';

/** JSON with sorted object keys, for deterministic comparisons. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}

export function mergeReg<T>(a: Reg<T>, b: Reg<T>): Reg<T> {
  const order = compareHlc(a.at, b.at);
  if (order !== 0) return order > 0 ? a : b;
  return canonicalJson(a.v) >= canonicalJson(b.v) ? a : b;
}

export function compareTs(a: Ts, b: Ts): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

export const maxTs = (a: Ts, b: Ts): Ts => (compareTs(a, b) >= 0 ? a : b);

/** Milliseconds since the epoch → Ts. */
export function tsFromMs(ms: number): Ts {
  const sec = Math.floor(ms / 1000);
  return [sec, Math.round((ms - sec * 1000) * 1e6) % 1_000_000_000];
}

export const tsToMs = (t: Ts): number => t[0] * 1000 + Math.floor(t[1] / 1e6);
