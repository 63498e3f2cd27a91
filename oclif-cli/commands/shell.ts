/**
 * `redcloud shell`: an interactive prompt `> ` taking the same verbs as the CLI (`login alice pw`,
 * `ls`, `tag add f t`…); `exit` quits. Reads lines until EOF when stdin is not a terminal.
 */
import { createInterface } from 'node:readline';
import { BaseCommand } from '../base.js';

/** Splits a line like a shell would for simple cases: whitespace, '…' and "…" quotes, \ escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

export default class Shell extends BaseCommand<typeof Shell> {
  static override summary = 'Interactive prompt with the same verbs.';
  static override description = 'Reads commands line by line at a "> " prompt, e.g. "login alice pw", "ls", "upload f.txt tag1", "tag add f.txt t2"; "exit" or end of input quits. Works with piped input too.';
  static override examples = ['<%= config.bin %> shell', 'printf "login alice pw\\nls\\n" | <%= config.bin %> shell'];
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY), prompt: '> ' });
    let lastExit = 0;
    const globals = this.flags.controllers ? ['--controllers', this.flags.controllers] : [];
    rl.prompt();
    for await (const line of rl) {
      const words = tokenize(line.trim());
      if (words.length === 0) {
        rl.prompt();
        continue;
      }
      if (words[0] === 'exit' || words[0] === 'quit') break;
      lastExit = await this.runVerb(words, globals);
      rl.prompt();
    }
    rl.close();
    process.exitCode = lastExit;
  }

  /** Runs one line's command; the longest known command id wins (`tag add` before `tag`). */
  private async runVerb(words: string[], globals: string[]): Promise<number> {
    process.exitCode = undefined;
    if (words[0] === 'help') {
      const ids = this.config.commands.map((c) => c.id.replace(/:/g, ' ')).filter((id) => id !== 'shell').sort();
      process.stdout.write(`Commands: ${ids.join(', ')}, exit\n`);
      return 0;
    }
    for (let n = Math.min(words.length, 2); n >= 1; n--) {
      const id = words.slice(0, n).join(':');
      if (id === 'shell' || !this.config.findCommand(id)) continue;
      try {
        await this.config.runCommand(id, [...words.slice(n), ...globals]);
      } catch (err) {
        process.stderr.write(`Error: ${(err as Error).message.split('\n')[0]}\n`);
        process.exitCode = (process.exitCode as number | undefined) || 1;
      }
      const code = Number(process.exitCode ?? 0);
      process.exitCode = undefined;
      return code;
    }
    process.stderr.write(`Error: Unknown command "${words[0]}" (try "help")\n`);
    return 2;
  }
}
