/**
 * Hybrid logical clocks: a stamp (wallMs, logical, node) that follows the wall clock but never goes
 * backwards and always orders a received event before the next local one. Pure: the wall clock
 * reading is passed in.
 */
import type { Hlc, NodeId } from './types.js';

export const ZERO_HLC: Hlc = { wallMs: 0, logical: 0, node: '' };

/** Total order by (wallMs, logical, node). */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

export function maxHlc(a: Hlc, b: Hlc): Hlc {
  return compareHlc(a, b) >= 0 ? a : b;
}

/** The stamp of a new local event at `node`, after `prev`. */
export function tick(prev: Hlc, wallMs: number, node: NodeId): Hlc {
  if (wallMs > prev.wallMs) return { wallMs, logical: 0, node };
  return { wallMs: prev.wallMs, logical: prev.logical + 1, node };
}

/** The local clock after receiving `remote`: greater than both `local` and `remote`. */
export function receive(local: Hlc, remote: Hlc, wallMs: number): Hlc {
  const node = local.node;
  const maxWall = Math.max(local.wallMs, remote.wallMs, wallMs);
  if (maxWall === local.wallMs && maxWall === remote.wallMs) {
    return { wallMs: maxWall, logical: Math.max(local.logical, remote.logical) + 1, node };
  }
  if (maxWall === local.wallMs) return { wallMs: maxWall, logical: local.logical + 1, node };
  if (maxWall === remote.wallMs) return { wallMs: maxWall, logical: remote.logical + 1, node };
  return { wallMs: maxWall, logical: 0, node };
}

/** `hlc` if it is after `floor`, else the smallest stamp of `hlc.node` after `floor`. */
export function after(hlc: Hlc, floor: Hlc | undefined): Hlc {
  if (!floor || compareHlc(hlc, floor) > 0) return hlc;
  return { wallMs: floor.wallMs, logical: floor.logical + 1, node: hlc.node };
}
