/**
 * Entry of the mount process (bin/redcloud-mount.js): parse flags, build the client from the
 * saved session (loadClient), run the mount until a signal or an external unmount. Exit codes
 * come from the error table; a failure before mounting leaves no mount behind.
 */
import { loadClient } from '../src/client/session.js';
import { clientSchema, loadConfig } from '../src/common/config.js';
import { toRedCloudError } from '../src/common/errors.js';
import { createLogger, type LogLevel } from '../src/common/logger.js';
import { restrictUmask } from '../src/common/private-files.js';
import { parseMountArgs } from './args.js';
import { runMount } from './run.js';

export async function main(argv: string[]): Promise<number> {
  restrictUmask(); // whatever the mount writes locally (cache, staging) is the user's alone
  let logger = createLogger({ node: 'mount', level: 'info', role: 'fuse', fd: 2 });
  try {
    const args = parseMountArgs(argv, { tagsDir: loadConfig(clientSchema).tagsDir });
    if (args.logLevel) logger = createLogger({ node: 'mount', level: args.logLevel as LogLevel, role: 'fuse', fd: 2 });
    const { client } = await loadClient({ ...(args.controllers ? { controllers: args.controllers } : {}), logger });
    const running = await runMount({ client, logger }, args);
    await running.done;
    return 0;
  } catch (err) {
    const e = toRedCloudError(err);
    logger.error({ code: e.code, err: e }, e.message);
    process.stderr.write(`redcloud-mount: ${e.message}\n`);
    return e.exitCode;
  }
}
