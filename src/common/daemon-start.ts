/**
 * The start-up checks both daemons run once their logger exists: refuse the development
 * CLUSTER_SECRET where it is not allowed, log the secret warnings, and trust TLS_CA for outgoing
 * calls. Either failure is printed and exits with code 2.
 */
import type { Logger } from './logger.js';
import { restrictUmask } from './private-files.js';
import { checkClusterSecret, type SecretFacts } from './secret-policy.js';
import { applyClientTls } from './tls.js';

export function applySecurityOrExit(config: SecretFacts & { tlsCa: string }, logger: Logger, daemon: string): void {
  restrictUmask(); // chunk files and databases hold users' data: nothing this daemon writes is world-readable
  try {
    for (const w of checkClusterSecret(config)) logger.warn(w);
  } catch (err) {
    logger.fatal({ bindAddr: config.bindAddr }, (err as Error).message);
    process.stderr.write(`${daemon}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  try {
    applyClientTls(config);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`); // the message names TLS_CA and the file
    process.exit(2);
  }
}
