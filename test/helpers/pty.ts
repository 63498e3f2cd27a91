/**
 * A program under a pseudo-terminal, driven key by key as a person would (util-linux `script`
 * makes the terminal, as in test/docker/prompt.ts): `type` sends keys (`\r` Enter, `\x03` Ctrl-C,
 * `\x04` Ctrl-D, `\t` Tab, `\x1b[A` up), `waitFor` polls the screen (ANSI codes and CRs removed)
 * for text that appears after a mark, `exited` resolves with the exit code. `kill()` ends it.
 */
import { spawn } from 'node:child_process';
import { plain } from '../docker/prompt.js';
import { waitFor } from './wait.js';

export { plain };

export interface PtySession {
  /** everything the terminal showed so far, plain */
  screen(): string;
  /** what the screen showed since `mark()` (or the start) */
  sinceMark(): string;
  /** a new starting point for sinceMark/waitFor */
  mark(): void;
  type(keys: string): void;
  /** Waits until the text since the mark matches; returns it. */
  waitFor(what: string, re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number>;
  kill(): void;
}

export function startPty(command: string, opts: { cwd: string; env: Record<string, string>; columns?: number }): PtySession {
  // stty gives the terminal a size (script's own stdin is a pipe, so it has none to copy)
  const sized = `stty cols ${opts.columns ?? 120} rows 40 2>/dev/null; exec ${command}`;
  const child = spawn('script', ['-qefc', sized, '/dev/null'], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...opts.env, TERM: 'xterm' } });
  let raw = '';
  let markAt = 0;
  const onData = (d: Buffer): void => {
    raw += d.toString();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitCode: number | undefined;
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code) => {
      exitCode = code ?? 1;
      resolve(exitCode);
    });
  });
  const s: PtySession = {
    screen: () => plain(raw),
    sinceMark: () => plain(raw.slice(markAt)),
    mark: () => {
      markAt = raw.length;
    },
    type: (keys) => {
      child.stdin.write(keys);
    },
    async waitFor(what, re, timeoutMs = 30_000) {
      try {
        return await waitFor(what, () => {
          const text = s.sinceMark();
          if (re.test(text)) return text;
          if (exitCode !== undefined) throw new Error(`the program exited (${exitCode})`);
          return undefined;
        }, { timeoutMs, pollMs: 50 });
      } catch (err) {
        throw new Error(`${(err as Error).message}; screen since the mark:\n${s.sinceMark().slice(-3000)}`);
      }
    },
    exited,
    kill: () => {
      if (exitCode === undefined) child.kill('SIGKILL');
    },
  };
  return s;
}
