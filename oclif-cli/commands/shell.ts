/**
 * `redcloud shell`: an interactive prompt `> ` taking the same verbs as the CLI (`login alice`,
 * `ls`, `tag add f t`…). On a terminal it behaves like a shell: Ctrl-C cancels the running
 * command (an upload stops before its commit: nothing is written) or clears the typed line;
 * Ctrl-D on an empty line or `exit` quits; `help CMD` and `CMD --help` show a command's help;
 * up/down walk the history (saved in the CLI's config dir); Tab completes verbs and paths.
 * When stdin is not a terminal it reads lines until EOF.
 *
 * On a terminal the line editor exists only while the prompt is shown (one readline per line),
 * so a command that asks for a password has the terminal to itself, and while a command runs the
 * terminal is in cooked mode: Ctrl-C is a real SIGINT, which aborts the command's signal.
 */
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { loadHelpClass } from '@oclif/core';
import { sessionDir } from '../../src/client/session.js';
import { BaseCommand } from '../base.js';
import { setCommandSignal } from '../lib/interrupt.js';
import { complete, type Lister } from '../lib/shell-complete.js';
import { addToHistory, loadHistory, saveHistory } from '../lib/shell-history.js';
import { readTerminalLine } from '../lib/shell-line.js';
import { table } from '../lib/format.js';
import { tokenize } from '../lib/tokenize.js';

export { tokenize };

/** A completion waits this long for the controller's listing, then offers nothing. */
export const COMPLETION_TIMEOUT_MS = 1500;
/**
 * After Ctrl-C, how long a command that does not honour the signal (its request was sent; only
 * upload and download take the signal) gets to finish before the prompt comes back.
 */
export const CANCEL_GRACE_MS = 2000;

export default class Shell extends BaseCommand<typeof Shell> {
  static override summary = 'Interactive prompt with the same verbs.';
  static override description = 'Reads commands line by line at a "> " prompt, e.g. "login alice", "ls", "upload f.txt tag1", "tag add f.txt t2". '
    + 'On a terminal: Ctrl-C cancels the running command (an interrupted upload commits nothing, a password prompt is left) or clears the line; Ctrl-D or "exit" quits; '
    + '"help CMD" or "CMD --help" shows a command\'s help; up/down recall earlier lines (kept in $REDCLOUD_CONFIG_DIR/shell_history, '
    + 'lines with a password left out); Tab completes commands and remote paths. Works with piped input too.';
  static override examples = ['<%= config.bin %> shell', 'printf "login alice pw\\nls\\n" | <%= config.bin %> shell'];
  static override enableJsonFlag = false;

  private running: AbortController | undefined;

  async run(): Promise<void> {
    const globals = this.flags.controllers ? ['--controllers', this.flags.controllers] : [];
    // On a terminal, SIGINT comes only while a command runs (at the prompt readline has the
    // terminal in raw mode: Ctrl-C is a key). With piped input Ctrl-C quits, as before.
    const onSigint = (): void => {
      if (!process.stdin.isTTY) process.exit(130);
      this.running?.abort();
    };
    process.on('SIGINT', onSigint);
    try {
      process.exitCode = process.stdin.isTTY ? await this.interactiveLoop(globals) : await this.pipedLoop(globals);
    } finally {
      process.off('SIGINT', onSigint);
    }
  }

  /** Piped input: every line in order until EOF or `exit`. */
  private async pipedLoop(globals: string[]): Promise<number> {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false, prompt: '> ' });
    let lastExit = 0;
    rl.prompt();
    for await (const line of rl) {
      const words = tokenize(line.trim());
      if (words[0] === 'exit' || words[0] === 'quit') break;
      if (words.length > 0) lastExit = await this.runVerb(words, globals);
      rl.prompt();
    }
    rl.close();
    return lastExit;
  }

  private async interactiveLoop(globals: string[]): Promise<number> {
    const dir = sessionDir();
    let history = await loadHistory(dir);
    let lastExit = 0;
    for (;;) {
      const line = await readTerminalLine(history, (l) => complete(l, this.verbs(), this.lister()));
      if (line === undefined) {
        process.stdout.write('\n');
        break;
      }
      const next = addToHistory(history, line);
      if (next.length !== history.length || next[next.length - 1] !== history[history.length - 1]) {
        history = next;
        await saveHistory(dir, history).catch(() => undefined); // a read-only config dir costs only the history
      }
      const words = tokenize(line.trim());
      if (words[0] === 'exit' || words[0] === 'quit') break;
      if (words.length > 0) lastExit = await this.runVerb(words, globals);
    }
    return lastExit;
  }

  /** Command ids as typed (`tag add`), without the shell itself. */
  private verbs(): string[] {
    return this.config.commands.map((c) => c.id.replace(/:/g, ' ')).filter((id) => id !== 'shell').sort();
  }

  /** Remote directories from the controller (bounded by COMPLETION_TIMEOUT_MS), local ones from the disk. */
  private lister(): Lister {
    return async (kind, dir) => {
      if (kind === 'local') {
        const entries = await readdir(dir === '' ? '.' : dir, { withFileTypes: true });
        return entries.map((e) => ({ name: e.name, dir: e.isDirectory() }));
      }
      const { client } = await this.client();
      const entries = await client.list(dir, { signal: AbortSignal.timeout(COMPLETION_TIMEOUT_MS) });
      return entries.map((e) => ({ name: e.path.slice(e.path.lastIndexOf('/') + 1), dir: e.kind === 'dir' }));
    };
  }

  /** Runs one line's command; the longest known command id wins (`tag add` before `tag`). */
  private async runVerb(words: string[], globals: string[]): Promise<number> {
    process.exitCode = undefined;
    if (words[0] === 'help') return this.help(words.slice(1));
    for (let n = Math.min(words.length, 2); n >= 1; n--) {
      const id = words.slice(0, n).join(':');
      if (id === 'shell' || !this.config.findCommand(id)) continue;
      const args = words.slice(n);
      const dashDash = args.indexOf('--');
      if ((dashDash < 0 ? args : args.slice(0, dashDash)).some((a) => a === '--help' || a === '-h')) return this.help(words.slice(0, n));
      return this.runCommandLine(id, [...args, ...globals]);
    }
    // a topic alone (`tag`, `tag --help`): its subcommands
    if (this.config.topics.some((t) => t.name === words[0]) && words.slice(1).every((w) => w === '--help' || w === '-h')) return this.help([words[0]!]);
    process.stderr.write(`Error: Unknown command "${words.join(' ')}" (try "help")\n`);
    return 2;
  }

  /** Runs a command with a signal that Ctrl-C fires; the prompt comes back once it stopped (or after CANCEL_GRACE_MS). */
  private async runCommandLine(id: string, argv: string[]): Promise<number> {
    const ac = new AbortController();
    this.running = ac;
    setCommandSignal(this.config, ac.signal);
    const done = this.runInProcess(id, argv).then(
      () => undefined,
      (err: unknown) => {
        const exit = (err as { oclif?: { exit?: unknown } }).oclif?.exit;
        if (typeof exit === 'number' && (err as Error).message.startsWith('EEXIT')) {
          process.exitCode = exit; // this.exit(n) of a command
          return;
        }
        if (ac.signal.aborted) return;
        process.stderr.write(`Error: ${(err as Error).message.split('\n')[0]}\n`);
        process.exitCode = (process.exitCode as number | undefined) || 1;
      },
    );
    const cancelled = new Promise<'gave up'>((resolve) => {
      ac.signal.addEventListener('abort', () => {
        // a command with its own SIGINT handler (cluster up --foreground, mount --foreground) stops itself: wait for it
        if (process.listenerCount('SIGINT') <= 1) setTimeout(() => resolve('gave up'), CANCEL_GRACE_MS).unref();
      }, { once: true });
    });
    try {
      if ((await Promise.race([done, cancelled])) === 'gave up') {
        process.stderr.write('Cancelled (the request may still complete on the controller)\n');
        return 130;
      }
      return ac.signal.aborted ? 130 : Number(process.exitCode ?? 0);
    } finally {
      this.running = undefined;
      setCommandSignal(this.config, undefined);
      process.exitCode = undefined;
    }
  }

  /**
   * Runs a command on this shell's Config (config.runCommand → Command.run would load a new
   * Config per line: slower, and the command would not find its signal).
   */
  private async runInProcess(id: string, argv: string[]): Promise<void> {
    const loadable = this.config.findCommand(id);
    if (!loadable) throw new Error(`No command ${id}`);
    const Cmd = (await loadable.load()) as unknown as new (argv: string[], config: typeof this.config) => { id?: string; _run(): Promise<unknown> };
    const cmd = new Cmd(argv, this.config);
    cmd.id = id;
    await cmd._run();
  }

  /** `help`: every verb with its summary; `help CMD`: that command's (or topic's) own help. */
  private async help(subject: string[]): Promise<number> {
    if (subject.length === 0) {
      const rows = this.config.commands
        .filter((c) => c.id !== 'shell')
        .map((c) => [c.id.replace(/:/g, ' '), c.summary ?? ''])
        .sort((a, b) => a[0]!.localeCompare(b[0]!));
      process.stdout.write(`${table(['COMMAND', 'SUMMARY'], rows)}\n\nhelp CMD (or CMD --help) shows a command's help; exit or Ctrl-D quits; `
        + 'Ctrl-C cancels the running command or clears the line; Tab completes; up/down recall earlier lines.\n');
      return 0;
    }
    const id = subject.join(':');
    if (!this.config.findCommand(id)) {
      // a topic (`help tag`): its commands (oclif's topic help lists them only the first time in a process)
      const rows = this.config.commands.filter((c) => c.id.startsWith(`${id}:`)).map((c) => [c.id.replace(/:/g, ' '), c.summary ?? '']);
      if (rows.length === 0) {
        process.stderr.write(`Error: Unknown command "${subject.join(' ')}" (try "help")\n`);
        return 2;
      }
      process.stdout.write(`${table(['COMMAND', 'SUMMARY'], rows.sort((a, b) => a[0]!.localeCompare(b[0]!)))}\n`);
      return 0;
    }
    const Help = await loadHelpClass(this.config);
    await new Help(this.config).showHelp(subject);
    return 0;
  }
}
