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

const KIND_CHAR: Record<EntryInfo['kind'], string> = { file: '-', dir: 'd', symlink: 'l', fifo: 'p', socket: 's', char: 'c', block: 'b' };

/** `drwxr-sr-x` as ls prints it, with setuid/setgid/sticky as s/S and t/T. */
export function modeString(e: Pick<EntryInfo, 'kind' | 'mode'>): string {
  const bits = 'rwxrwxrwx'.split('').map((c, i) => ((e.mode >> (8 - i)) & 1 ? c : '-'));
  const special = (i: number, flag: number, on: string): void => {
    if (e.mode & flag) bits[i] = bits[i] === 'x' ? on : on.toUpperCase();
  };
  special(2, 0o4000, 's');
  special(5, 0o2000, 's');
  special(8, 0o1000, 't');
  return KIND_CHAR[e.kind] + bits.join('');
}

/** `name` (dirs with a trailing "/"), or with `long` the ls -l style line. */
export function entryLine(e: EntryInfo, long: boolean, name: string = e.path): string {
  const shown = e.kind === 'dir' ? `${name}/` : e.kind === 'symlink' && e.target ? `${name} -> ${e.target}` : name;
  if (!long) return shown;
  const tags = e.tags.length > 0 ? ` [${e.tags.join(',')}]` : '';
  const owners = `${String(e.nlink ?? 1).padStart(3)} ${String(e.uid ?? 0).padStart(5)} ${String(e.gid ?? 0).padStart(5)}`;
  return `${modeString(e)} ${owners} ${String(e.size).padStart(12)} ${new Date(e.mtimeMs).toISOString()} ${shown}${tags}`;
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: (string | number)[][]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
