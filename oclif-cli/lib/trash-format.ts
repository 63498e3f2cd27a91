/** How `redcloud trash ls` and `redcloud status` print the trash. Pure. */
import type { ClusterStatus, TrashItem } from '../../src/common/api.js';
import { formatBytes } from './format.js';
import { formatDuration } from './space-format.js';

/** Rows of `trash ls`: removed (UTC second, its .trash/ directory), expires in, size, path. */
export function trashRows(items: readonly TrashItem[], nowMs: number): string[][] {
  return items.map((i) => [i.time, formatDuration(Math.max(0, i.expiresMs - nowMs)), i.kind === 'dir' ? '-' : formatBytes(i.size), i.kind === 'dir' ? `${i.path}/` : i.path]);
}

/** `redcloud status`'s trash line: the user's entries, counted apart from the files. */
export function trashLine(t: NonNullable<ClusterStatus['trash']>): string {
  if (t.ttlMs === 0 && t.entries === 0) return 'Trash: off (TRASH_TTL=0: removed files are freed at once)';
  const what = t.entries === 0 ? 'empty' : `${t.entries} entr${t.entries === 1 ? 'y' : 'ies'}, ${formatBytes(t.bytes)} of files`;
  return `Trash: ${what} (kept ${formatDuration(t.ttlMs)}, TRASH_TTL; redcloud trash ls)`;
}
