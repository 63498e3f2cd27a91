/**
 * One line of `redcloud shell` from the terminal: a readline that lives only while the prompt is
 * shown, with the history (oldest first in, newest first for readline) and a completer. Ctrl-C
 * shows `^C`, drops the typed text and prompts again, as bash does; Ctrl-D on an empty line
 * resolves undefined (quit). Closing it gives the terminal back in cooked mode, so a running
 * command gets Ctrl-C as SIGINT and a password prompt has the terminal to itself.
 */
import { createInterface, type Interface } from 'node:readline';
import { HISTORY_MAX } from './shell-history.js';

export type Completer = (line: string) => Promise<[string[], string]>;

export function readTerminalLine(history: readonly string[], completer: Completer): Promise<string | undefined> {
  const rl = createInterface({
    input: process.stdin, output: process.stdout, terminal: true, prompt: '> ',
    history: [...history].reverse(), historySize: HISTORY_MAX, removeHistoryDuplicates: true,
    completer: (line: string, cb: (err: null, result: [string[], string]) => void) => {
      completer(line).then((r) => cb(null, r), () => cb(null, [[], line]));
    },
  });
  return new Promise((resolve) => {
    let answered = false;
    rl.on('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.on('SIGINT', () => clearLine(rl));
    rl.on('close', () => {
      if (!answered) resolve(undefined);
    });
    rl.prompt();
  });
}

/** Ctrl-C at the prompt: the rest of the line is written again (cursor to its end), then `^C`, a new line and the prompt. */
function clearLine(rl: Interface): void {
  const r = rl as Interface & { line: string; cursor: number };
  process.stdout.write(`${r.line.slice(r.cursor)}^C\n`);
  r.line = '';
  r.cursor = 0;
  rl.prompt();
}
