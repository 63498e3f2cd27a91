/** Text formatting for the CLI: sizes, entry lines, aligned tables. Pure. */
import type { EntryInfo } from '../../src/common/api.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

function modeString(e: EntryInfo): string {
  const kind = e.kind === 'dir' ? 'd' : e.kind === 'symlink' ? 'l' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => ((e.mode >> (8 - i)) & 1 ? c : '-')).join('');
  return kind + bits;
}

/** `name` (dirs with a trailing "/"), or with `long` the ls -l style line. */
export function entryLine(e: EntryInfo, long: boolean, name: string = e.path): string {
  const shown = e.kind === 'dir' ? `${name}/` : e.kind === 'symlink' && e.target ? `${name} -> ${e.target}` : name;
  if (!long) return shown;
  const tags = e.tags.length > 0 ? ` [${e.tags.join(',')}]` : '';
  return `${modeString(e)} ${String(e.size).padStart(12)} ${new Date(e.mtimeMs).toISOString()} ${shown}${tags}`;
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: (string | number)[][]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
