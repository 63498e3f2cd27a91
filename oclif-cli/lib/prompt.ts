/**
 * Reads a password: hidden on a terminal, one line from stdin otherwise; or from REDCLOUD_PASSWORD
 * (obtainPassword). Ctrl-C at a terminal's prompt (a key while readline has the terminal in raw
 * mode, not a signal) closes the prompt, which gives the terminal back with echo on, shows `^C`
 * and throws ABORTED ("Cancelled at the password prompt", exit 130): the one-shot CLI exits with
 * that message, `redcloud shell` prints it and shows its prompt again.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { RedCloudError, errors } from '../../src/common/errors.js';

export const PROMPT_CANCELLED = 'Cancelled at the password prompt (Ctrl-C)';

export async function promptPassword(question: string): Promise<string> {
  const tty = Boolean(process.stdin.isTTY);
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: tty });
  let cancelled = false;
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('close', () => resolve(undefined));
      // without a listener readline would only pause stdin: the prompt would hang, muted, in raw mode
      rl.once('SIGINT', () => {
        cancelled = true;
        rl.close();
      });
      rl.question(question, (a) => resolve(a));
      muted = tty;
    });
    if (tty) process.stderr.write(cancelled ? '^C\n' : '\n');
    if (cancelled) throw new RedCloudError('ABORTED', PROMPT_CANCELLED);
    if (answer === undefined || answer === '') throw errors.invalid('No password given');
    return answer;
  } finally {
    rl.close();
  }
}

/** Where the password comes from, most private first being the default. */
export const PASSWORD_SOURCES = 'asked for on a terminal (hidden), one line of stdin when piped, or $REDCLOUD_PASSWORD';

/**
 * The password of `login`/`register`/`account delete`: one given as an argument (visible to every
 * local user in `ps` and kept in shell history) is used with a warning on stderr; otherwise
 * $REDCLOUD_PASSWORD; otherwise asked for (hidden on a terminal, one line from stdin otherwise).
 */
export async function obtainPassword(given: string | undefined): Promise<string> {
  if (given !== undefined) {
    process.stderr.write('Warning: a password on the command line is visible to other users (ps, shell history); '
      + 'leave it out to be asked, pipe it on stdin or set REDCLOUD_PASSWORD\n');
    return given;
  }
  const env = process.env.REDCLOUD_PASSWORD;
  if (env) return env;
  return promptPassword('Password: ');
}
