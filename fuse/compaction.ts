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

/**
 * Inline chunks (src/meta/inline.ts) at an extent commit: which fresh chunks travel inside the
 * inode record, and whether the record's inline chunks must be folded onto chunkservers. `spans`
 * is the file as it will be committed; `oldInline` says which of its chunks the record already
 * holds inline, `fresh` which are new in this commit (bytes known). Inline bytes count whole
 * chunks (a partly overwritten inline chunk still takes its size in the record).
 * - Every fresh chunk of at most `chunkMaxBytes` is inlined when the record's inline bytes (the
 *   old inline chunks still used plus those) stay within `recordMaxBytes`.
 * - Otherwise `fold`: none is inlined, and the live bytes of the old inline chunks and of those
 *   small fresh chunks are packed into new chunks stored on chunkservers (packInline), so the
 *   record sheds its inline bytes in one commit of about `recordMaxBytes` instead of growing.
 * Pure.
 */
export function inlineChoice<C extends { id: string; size: number }>(
  spans: readonly Span<C>[], oldInline: (c: C) => boolean, fresh: (c: C) => boolean, limits: { chunkMaxBytes: number; recordMaxBytes: number },
): { inline: C[]; fold: boolean } {
  const seen = new Set<string>();
  let oldBytes = 0;
  let freshBytes = 0;
  const small: C[] = [];
  for (const s of spans) {
    if (seen.has(s.chunk.id)) continue;
    seen.add(s.chunk.id);
    if (oldInline(s.chunk)) oldBytes += s.chunk.size;
    else if (fresh(s.chunk) && s.chunk.size <= limits.chunkMaxBytes) {
      small.push(s.chunk);
      freshBytes += s.chunk.size;
    }
  }
  if (oldBytes + freshBytes <= limits.recordMaxBytes) return { inline: small, fold: false };
  return { inline: [], fold: oldBytes + freshBytes > 0 };
}

/** A span moved into a pack: its bytes are bytes [packOff, packOff + span.len) of pack `pack`. */
export interface Packed<C> {
  span: Span<C>;
  pack: number;
  packOff: number;
}

/**
 * The spans whose chunk is `selected` (in file order), laid end to end into packs of at most
 * `packMaxBytes` each (CHUNK_SIZE): what a fold stores as new chunks. Each selected span goes whole
 * into one pack (a span longer than `packMaxBytes` gets a pack of its own). Pure.
 */
export function packInline<C>(spans: readonly Span<C>[], selected: (c: C) => boolean, packMaxBytes: number): { packed: Packed<C>[]; packBytes: number[] } {
  const packed: Packed<C>[] = [];
  const packBytes: number[] = [];
  for (const span of spans) {
    if (!selected(span.chunk)) continue;
    const last = packBytes.length - 1;
    if (last < 0 || packBytes[last]! + span.len > packMaxBytes) packBytes.push(0);
    const pack = packBytes.length - 1;
    packed.push({ span, pack, packOff: packBytes[pack]! });
    packBytes[pack] = packBytes[pack]! + span.len;
  }
  return { packed, packBytes };
}
