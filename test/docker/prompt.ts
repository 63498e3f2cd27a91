/**
 * Drives an interactive program through a terminal, as a person at the keyboard would: runs a
 * shell command under `script` (so `docker run -it` gets its TTY), waits for each `> ` prompt,
 * types the next line, and returns what the screen showed (ANSI codes and CRs removed).
 */
import { spawn } from 'node:child_process';

/** Screen text without terminal control sequences. */
export function plain(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Z0-9]/g, '').replace(/\r/g, '');
}

function promptCount(screen: string): number {
  return (plain(screen).match(/(^|\n)> /g) ?? []).length;
}

export interface PromptSession {
  /** the whole screen, plain */
  screen: string;
  /** per typed line, what appeared between typing it and the next prompt */
  answers: string[];
  exitCode: number;
}

/**
 * Runs `command` with bash in `cwd` under a pseudo-terminal and types `lines` at its `> ` prompts,
 * then `exit`. Each answer must arrive within `lineTimeoutMs`.
 */
export function drivePrompt(command: string, lines: string[], opts: { cwd: string; lineTimeoutMs?: number }): Promise<PromptSession> {
  const lineTimeoutMs = opts.lineTimeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
    let screen = '';
    const answers: string[] = [];
    const queue = [...lines, 'exit'];
    let typed = 0;
    let markAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no "> " prompt within ${lineTimeoutMs} ms after ${typed === 0 ? 'start' : JSON.stringify(queue[typed - 1])}; screen:\n${plain(screen).slice(-3000)}`));
      }, lineTimeoutMs);
    };
    const onData = (d: Buffer) => {
      screen += d.toString();
      // the (typed+1)-th prompt is on screen: the previous line was answered, type the next
      while (typed < queue.length && promptCount(screen) > typed) {
        if (typed > 0) answers.push(plain(screen.slice(markAt)).replace(/\n?> $/, ''));
        markAt = screen.length;
        child.stdin.write(`${queue[typed]}\r`);
        typed++;
        arm();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.stdin.on('error', () => {}); // EPIPE once the child is gone: 'close' reports what was typed
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (typed < queue.length) {
        reject(new Error(`exited ${code} before ${JSON.stringify(queue[typed])} was typed; screen:\n${plain(screen).slice(-3000)}`));
        return;
      }
      resolve({ screen: plain(screen), answers, exitCode: code ?? 1 });
    });
    arm();
  });
}
