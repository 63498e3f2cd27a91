/** How the trash commands print entries and durations. Pure. */
import type { TrashItem } from '../../src/common/api.js';
import { formatBytes } from './format.js';

/** 90_000 → "1m 30s", 86_400_000 → "24h" (the largest two units that are not zero). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const parts: string[] = [];
  let rest = Math.round(ms / 1000) * 1000;
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${u}`);
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith('0')).join(' ') || '0s';
}

/** Rows of `trash ls`: removed (UTC second, the .trash/ directory), expires in, size, path. */
export function trashRows(items: readonly TrashItem[], nowMs: number): string[][] {
  return items.map((i) => [i.time, formatDuration(i.expiresMs - nowMs), i.kind === 'dir' ? '-' : formatBytes(i.size), i.kind === 'dir' ? `${i.path}/` : i.path]);
}
