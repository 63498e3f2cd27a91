/**
 * BaseCommand of every redcloud command: global flags --controllers and --json, parsed args and
 * flags on `this.args`/`this.flags`, a client from the saved session (`this.client()`), and one
 * error path: a single line `Error: <message>` on stderr and the RedCloudError's exit code.
 */
import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import type { RedCloudClientHandle } from '../src/client/client.js';
import { loadClient, saveSession, type Session } from '../src/client/session.js';
import { RedCloudError } from '../src/common/errors.js';
import { createLogger } from '../src/common/logger.js';
import { clientSchema, loadConfig } from '../src/common/config.js';
import { commandSignal } from './lib/interrupt.js';
import { missingArgMessage, withRetryHint, type ArgInfo } from './lib/usage.js';

export type CmdFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type CmdArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Exit code and one-line message of anything a command threw. */
export function describeError(err: unknown): { exitCode: number; code: string; message: string } {
  if (err instanceof RedCloudError) return { exitCode: err.exitCode, code: err.code, message: withRetryHint(oneLine(err.message), err.info?.retryAfterMs) };
  const e = err as { message?: string; oclif?: { exit?: number }; code?: string } | undefined;
  // oclif's own errors (missing argument, unknown flag…) are usage errors
  const exitCode = typeof e?.oclif?.exit === 'number' ? e.oclif.exit : 1;
  return { exitCode, code: exitCode === 2 ? 'INVALID' : 'INTERNAL', message: oneLine(e?.message ?? String(err)) };
}

function oneLine(message: string): string {
  return message.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('See more help')).join('; ');
}

/** oclif's RequiredArgsError (it carries the missing args' definitions) as a clear message. */
function missingArgs(err: unknown, bin: string, id: string | undefined): RedCloudError | undefined {
  const e = err as { args?: unknown; message?: unknown; oclif?: { exit?: number } };
  if (!Array.isArray(e?.args) || typeof e.message !== 'string' || !/^Missing \d+ required arg/.test(e.message)) return undefined;
  return new RedCloudError('INVALID', missingArgMessage(bin, id ?? '', e.args as ArgInfo[]));
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    controllers: Flags.string({
      summary: 'Controller URLs, comma-separated (overrides REDCLOUD_CONTROLLERS and the saved session).',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: CmdFlags<T>;
  protected args!: CmdArgs<T>;
  /** positional arguments as typed, for variadic commands */
  protected rest: string[] = [];

  public override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof BaseCommand;
    const { args, flags, argv } = await this.parse({
      flags: ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    });
    this.flags = flags as CmdFlags<T>;
    this.args = args as CmdArgs<T>;
    this.rest = (argv as string[]).filter((a) => a !== '--');
  }

  private loaded?: Awaited<ReturnType<typeof loadClient>>;

  /** A client for the resolved controllers and the saved token. */
  protected async client(): Promise<{ client: RedCloudClientHandle; session: Session }> {
    const flags = this.flags as { controllers?: string };
    // people read the one-line `Error:`; the client's retry warnings show only with LOG_LEVEL=info/debug
    const configured = loadConfig(clientSchema).logLevel;
    const level = configured === 'warn' ? 'error' : configured;
    this.loaded = await loadClient({
      controllers: flags.controllers ? [flags.controllers] : undefined,
      logger: createLogger({ node: 'cli', level, fd: 2 }),
    });
    // commands with a --snapshot flag read that snapshot (read-only) instead of the live tree
    const snapshot = (this.flags as { snapshot?: string }).snapshot;
    if (snapshot !== undefined) return { ...this.loaded, client: this.loaded.client.inSnapshot(snapshot) };
    return this.loaded;
  }

  /**
   * After a command that used the saved controller list: if the client failed over (or learned
   * controllers), save the list with the one that answered first, so the next command does not
   * wait on a dead controller again.
   */
  protected override async finally(err: Error | undefined): Promise<void> {
    const loaded = this.loaded;
    if (loaded && loaded.source === 'session' && loaded.session.token && loaded.client.token === loaded.session.token) {
      const now = loaded.client.controllers();
      if (now.join(',') !== loaded.session.controllers.join(',')) {
        await saveSession({ ...loaded.session, controllers: now }).catch(() => undefined);
      }
    }
    return super.finally(err);
  }

  /** Fired by Ctrl-C when the command runs inside `redcloud shell` (lib/interrupt.ts); pass it to long calls. */
  protected get signal(): AbortSignal | undefined {
    return commandSignal(this.config);
  }

  /** Progress bars and chatter only for people: stdout a TTY and no --json. */
  protected interactive(): boolean {
    return Boolean(process.stdout.isTTY) && !this.jsonEnabled();
  }

  /** Arguments after a literal `--` (e.g. `add a b -- t1 t2` → [t1, t2]) and before it. */
  protected splitOnDashDash(): { before: string[]; after: string[] } {
    const i = this.argv.indexOf('--');
    const afterCount = i < 0 ? 0 : this.argv.length - i - 1;
    return { before: this.rest.slice(0, this.rest.length - afterCount), after: this.rest.slice(this.rest.length - afterCount) };
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    if (this.signal?.aborted) {
      // Ctrl-C in the shell: whatever the command was doing stopped; the shell prints the prompt
      process.exitCode = 130;
      process.stderr.write('Cancelled\n');
      return;
    }
    const { exitCode, code, message } = describeError(missingArgs(err, this.config.bin, this.id) ?? err);
    process.exitCode = exitCode;
    process.stderr.write(`Error: ${message}\n`);
    if (this.jsonEnabled()) this.logJson({ error: { code, message } });
  }
}
