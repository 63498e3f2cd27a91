/**
 * Running the real CLI (`node bin/redcloud.js …`) with zx, with its own REDCLOUD_CONFIG_DIR and
 * controller list, never throwing on a non-zero exit: tests assert the exit code and messages.
 * Without `controllers` the CLI finds them as a user's would (saved login, `cluster up`);
 * `unsetEnv` drops variables of the test's own environment (e.g. HEARTBEAT_TIMEOUT, so a launcher
 * test sets its own); `unwrapErrors` joins oclif's error lines (wrapped at the terminal width
 * behind ` › `) into one, so a message can be matched whole.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { binPath, repoRoot } from '../../src/cluster/paths.js';
import { loginToken } from './http.js';

export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface Cli {
  configDir: string;
  env: Record<string, string>;
  /** `env`: extra variables for this run only */
  run(args: string[], opts?: { input?: string; timeoutMs?: number; cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Runs with --json and parses stdout; throws with stderr when the command fails. */
  json<T = unknown>(args: string[]): Promise<T>;
}

export interface CliOptions {
  configDir: string;
  controllers?: string[];
  unsetEnv?: string[];
  unwrapErrors?: boolean;
}

export function createCli(opts: CliOptions): Cli {
  const inherited = { ...(process.env as Record<string, string>) };
  for (const k of ['REDCLOUD_CONTROLLERS', ...(opts.unsetEnv ?? [])]) delete inherited[k];
  const env: Record<string, string> = {
    ...inherited,
    REDCLOUD_CONFIG_DIR: opts.configDir,
    ...(opts.controllers ? { REDCLOUD_CONTROLLERS: opts.controllers.join(',') } : {}),
    NO_COLOR: '1',
  };
  const bin = binPath('cli');
  const cli: Cli = {
    configDir: opts.configDir,
    env,
    async run(args, o = {}) {
      const p = await $({
        env: { ...env, ...o.env },
        cwd: o.cwd ?? repoRoot(),
        nothrow: true,
        quiet: true,
        input: o.input,
        timeout: `${o.timeoutMs ?? 120_000}ms`,
        timeoutSignal: 'SIGKILL',
      })`${process.execPath} ${bin} ${args}`;
      return { exitCode: p.exitCode, stdout: p.stdout, stderr: opts.unwrapErrors ? unwrapOclifErrors(p.stderr) : p.stderr };
    },
    async json<T>(args: string[]): Promise<T> {
      const r = await cli.run([...args, '--json']);
      if (r.exitCode !== 0) throw new Error(`redcloud ${args.join(' ')} --json exited ${r.exitCode}: ${r.stderr.trim()}`);
      try {
        return JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(`redcloud ${args.join(' ')} --json printed no JSON: ${r.stdout.slice(0, 300)}`);
      }
    },
  };
  return cli;
}

/** oclif wraps an error message at the terminal width behind ' › ': one line again. */
export function unwrapOclifErrors(stderr: string): string {
  return stderr.replace(/\s*\n\s*›\s*/g, ' ');
}

/** A CLI of its own (config dir `configDir`) for a newly registered and logged-in `user`. */
export async function signedUpCli(opts: { configDir: string; controllers: string[] }, user: string, password: string): Promise<Cli> {
  const cli = createCli(opts);
  const reg = await cli.run(['register', user, '--password', password]);
  if (reg.exitCode !== 0) throw new Error(`register ${user}: ${reg.stderr}`);
  const login = await cli.run(['login', user, password]);
  if (login.exitCode !== 0) throw new Error(`login ${user}: ${login.stderr}`);
  return cli;
}

/**
 * alice and bob signed up on a test cluster (dir and controllers of `tc`): a CLI each, a token each
 * from the first controller, and an empty `work` directory for their local files.
 */
export async function aliceAndBob(tc: { dir: string; controllerUrls: string[] }, pw: { alice: string; bob: string }) {
  const work = join(tc.dir, 'work');
  mkdirSync(work, { recursive: true });
  const cliOf = (user: 'alice' | 'bob') => signedUpCli({ configDir: join(tc.dir, `cli-${user}`), controllers: tc.controllerUrls }, user, pw[user]);
  return {
    work, alice: await cliOf('alice'), bob: await cliOf('bob'),
    aliceToken: await loginToken(tc.controllerUrls[0]!, 'alice', pw.alice),
    bobToken: await loginToken(tc.controllerUrls[0]!, 'bob', pw.bob),
  };
}

/** Finds, anywhere in a JSON answer, the entry object whose path (or name) is `path`. */
export function findEntryIn(json: unknown, path: string): Record<string, unknown> | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.path === path || (o.path === undefined && o.name === base)) return o;
      stack.push(...Object.values(o));
    }
  }
  return undefined;
}
