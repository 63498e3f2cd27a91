/**
 * Running ordinary programs for programs.test.ts, always in child processes (a synchronous fs call
 * on the mount from the process that serves it would deadlock): TZ=UTC and LC_ALL=C so `stat` and
 * error messages read the same everywhere; which programs are missing and the apt packages that
 * bring them; and what a user compares after a copy — a tree's `stat` lines, its `getfattr -d -R`
 * dump in path order, and `diff -r` (whose "is a fifo while file … is a fifo" lines are no
 * difference: diff cannot compare fifos even on one disk).
 */
import { spawn, spawnSync } from 'node:child_process';

const MiB = 1024 * 1024;
export const SH_ENV: Record<string, string> = { ...(process.env as Record<string, string>), TZ: 'UTC', LC_ALL: 'C' };

export interface ShResult {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): ShResult {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 64 * MiB, env: SH_ENV, input: opts.input,
  });
  const timedOut = r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? ` (killed after ${opts.timeoutMs ?? 120_000} ms)` : '';
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + timedOut, ms: performance.now() - t0 };
}

/** Runs and returns stdout; throws with the command, its exit code and output when it fails. */
export function ok(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): string {
  const r = run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`\`${[cmd, ...args].join(' ')}\` exited ${r.code}: ${r.err.slice(0, 2000)}${r.out.slice(0, 2000)}`);
  return r.out;
}

export const bash = (script: string, opts: { cwd?: string; timeoutMs?: number } = {}): ShResult => run('bash', ['-c', script], opts);
export const bashOk = (script: string, opts: { cwd?: string; timeoutMs?: number } = {}): string => ok('bash', ['-c', script], opts);

/** A shell word for `s`. */
export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A child process that runs alongside others (fifo ends, load workers); killed after timeoutMs. */
export function spawnAsync(cmd: string, args: string[], timeoutMs: number): Promise<ShResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: SH_ENV });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { err += ` (killed after ${timeoutMs} ms)`; p.kill('SIGKILL'); }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: performance.now() - t0 });
    });
  });
}

/** The apt package of each program the suite runs (Debian/Ubuntu names). */
export const APT_PACKAGE: Record<string, string> = {
  tar: 'tar', rsync: 'rsync', setfattr: 'attr', getfattr: 'attr', setpriv: 'util-linux', diff: 'diffutils', find: 'findutils',
  bash: 'bash', stat: 'coreutils', ln: 'coreutils', mkfifo: 'coreutils', mknod: 'coreutils', touch: 'coreutils', sha256sum: 'coreutils',
  truncate: 'coreutils', dd: 'coreutils', mv: 'coreutils', chown: 'coreutils', readlink: 'coreutils',
};

/** The programs of `names` that are not on PATH. */
export function missingPrograms(names: string[]): string[] {
  return names.filter((n) => run('bash', ['-c', `command -v ${q(n)}`]).code !== 0);
}

export function skipReason(missing: string[]): string {
  const pkgs = [...new Set(missing.map((m) => APT_PACKAGE[m] ?? m))];
  return `missing program(s) ${missing.join(', ')} (apt-get install ${pkgs.join(' ')})`;
}

/**
 * One line per entry below `root` (itself included), in path order:
 * `path|type|mode uid gid nlink atime mtime|size|target`. Atime (%X) only for regular files and
 * fifos: on a local disk listing a directory or reading a symlink moves its atime (relatime), so
 * no copy tool can carry it; sizes not for directories (ext4 gives 4096 and up).
 */
export function describeTree(root: string): string[] {
  const script = [
    'cd "$1" || exit 1',
    'find . -print0 | LC_ALL=C sort -z | while IFS= read -r -d "" p; do',
    '  t=$(stat -c %F -- "$p")',
    '  case "$t" in',
    '    "regular file"|"regular empty file"|fifo) stat -c "%n|%F|%a %u %g %h %X %Y|%s|" -- "$p" ;;',
    '    directory) stat -c "%n|%F|%a %u %g %h - %Y||" -- "$p" ;;',
    '    "symbolic link") printf "%s%s\\n" "$(stat -c "%n|%F|%a %u %g %h - %Y|%s|" -- "$p")" "$(readlink -- "$p")" ;;',
    '    *) stat -c "%n|%F|%a %u %g %h - %Y|%s|%t,%T" -- "$p" ;;',
    '  esac',
    'done',
  ].join('\n');
  return ok('bash', ['-c', script, 'describe', root]).split('\n').filter(Boolean);
}

/** The same lines without the atime. */
export const withoutAtime = (lines: string[]): string[] => lines.map((l) => {
  const [p, t, attrs, ...rest] = l.split('|');
  const a = attrs!.split(' ');
  a[4] = '-';
  return [p, t, a.join(' '), ...rest].join('|');
});

/** `getfattr -d -R -h .` in `root`, its blocks sorted by path (readdir order differs between filesystems). */
export function xattrDump(root: string): string[] {
  const out = ok('getfattr', ['-d', '-R', '-h', '.'], { cwd: root });
  return out.split('\n\n').map((b) => b.trim()).filter(Boolean).sort();
}

/** `diff -r --no-dereference a b`: '' when equal (fifo-vs-fifo notes dropped), else its output. */
export function diffTrees(a: string, b: string): string {
  const r = run('diff', ['-r', '--no-dereference', a, b], { timeoutMs: 120_000 });
  if (r.code === 0) return '';
  const lines = `${r.out}${r.err}`.split('\n').filter(Boolean).filter((l) => !/^File .* is a fifo while file .* is a fifo$/.test(l));
  return r.code === 1 && lines.length === 0 ? '' : `diff exited ${r.code}:\n${lines.slice(0, 40).join('\n')}`;
}

/** Lines of `a` and `b` that differ, as "- a / + b" pairs, for failure messages. */
export function lineDiff(a: string[], b: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) out.push(`- ${a[i] ?? '(none)'}\n+ ${b[i] ?? '(none)'}`);
  }
  return out.slice(0, 30).join('\n');
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
