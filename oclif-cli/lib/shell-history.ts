/**
 * The shell's history: `shell_history` in the CLI's config dir (beside session.json, 0600), one
 * line per command, oldest first, at most HISTORY_MAX lines. Lines that would leak a password
 * (`login alice pw`, `register …`, `account delete …` with a password argument or flag) are kept
 * out of the file, as bash's HISTIGNORE would. Reading never fails the shell: a missing or
 * unreadable file is an empty history.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../../src/common/private-files.js';
import { tokenize } from './tokenize.js';

export const HISTORY_MAX = 1000;
export const HISTORY_FILE = 'shell_history';

/** True when the line carries a password (positional or flag) and must not be saved. */
export function holdsPassword(line: string): boolean {
  const w = tokenize(line);
  const verb = w[0] === 'account' ? `${w[0]} ${w[1] ?? ''}` : w[0];
  if (verb !== 'login' && verb !== 'register' && verb !== 'account delete') return false;
  if (w.some((x) => x === '-p' || x.startsWith('--password'))) return true;
  const positional = w.slice(verb === 'account delete' ? 2 : 1).filter((x) => !x.startsWith('-'));
  return positional.length >= 2;
}

/** The history after `line` was entered (oldest first; repeats of the last line not added). */
export function addToHistory(history: readonly string[], line: string, max = HISTORY_MAX): string[] {
  const l = line.trim();
  if (!l || holdsPassword(l) || history[history.length - 1] === l) return [...history];
  const out = [...history, l];
  return out.slice(Math.max(0, out.length - max));
}

export async function loadHistory(dir: string, max = HISTORY_MAX): Promise<string[]> {
  const text = await readFile(join(dir, HISTORY_FILE), 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(Math.max(0, lines.length - max));
}

export async function saveHistory(dir: string, history: readonly string[]): Promise<void> {
  await ensurePrivateDir(dir);
  await writeFile(join(dir, HISTORY_FILE), history.length > 0 ? `${history.join('\n')}\n` : '', { mode: PRIVATE_FILE_MODE });
}
