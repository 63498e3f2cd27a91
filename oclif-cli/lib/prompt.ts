/** Reads a password: hidden on a terminal, one line from stdin otherwise; or from REDCLOUD_PASSWORD (obtainPassword). */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { errors } from '../../src/common/errors.js';

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
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      rl.once('close', () => resolve(undefined));
      rl.question(question, (a) => resolve(a));
      muted = tty;
    });
    if (tty) process.stderr.write('\n');
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
