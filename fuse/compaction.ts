/**
 * Partial compaction of a file in extents: when a commit would leave more fragments (extents that
 * are not whole chunks, src/meta/extents.ts fragments) than the bound, only the most fragmented
 * chunk-sized cells are rewritten whole, until the file is down to half the bound; the other cells
 * keep their extents. A 4 KiB overwrite + fsync of a large, randomly updated file (a database) then
 * costs one or a few chunks at a compaction, not every fragmented chunk of the file. Pure.
 */
import type { Span } from '../src/meta/extents.js';

/** Indexes of the cells (file bytes [i*cellBytes, (i+1)*cellBytes)) to rewrite whole, most fragments first; [] when within `maxFragments`. */
export function cellsToCompact(spans: readonly Span<{ size: number }>[], cellBytes: number, maxFragments: number): number[] {
  const perCell = new Map<number, number>();
  let total = 0;
  for (const s of spans) {
    if (s.off % cellBytes === 0 && s.chunkOff === 0 && s.len === s.chunk.size && s.len <= cellBytes) continue;
    const cell = Math.floor(s.off / cellBytes);
    perCell.set(cell, (perCell.get(cell) ?? 0) + 1);
    total++;
  }
  if (total <= maxFragments) return [];
  const order = [...perCell].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const out: number[] = [];
  for (const [cell, n] of order) {
    if (total <= Math.floor(maxFragments / 2)) break;
    out.push(cell);
    total -= n;
  }
  return out.sort((a, b) => a - b);
}
