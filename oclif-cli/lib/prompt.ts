/** Reads a password: hidden on a terminal, one line from stdin otherwise. */
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
