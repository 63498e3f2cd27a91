/**
 * The chunkserver daemon's entry point: reads the configuration, resolves the node id, logs the
 * effective configuration (secrets redacted), starts the chunkserver and stops it cleanly on
 * SIGTERM/SIGINT.
 */
import { chunkserverSchema, loadConfig, redactConfig } from '../common/config.js';
import { RedCloudError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { checkClusterSecret } from '../common/secret-policy.js';
import { applyClientTls } from '../common/tls.js';
import { resolveNodeId } from './node-id.js';
import { createChunkserver } from './server.js';

export async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(chunkserverSchema);
  } catch (err) {
    process.stderr.write(`redcloud-chunkserver: ${(err as Error).message}\n`);
    process.exit(err instanceof RedCloudError ? err.exitCode : 1);
  }
  const nodeId = await resolveNodeId(config.nodeId, config.dataDir, Date.now());
  const logger = createLogger({ node: nodeId, level: config.logLevel, role: 'chunkserver' });
  logger.info({ config: redactConfig(chunkserverSchema, config) }, 'Starting chunkserver');
  let secretWarnings: string[];
  try {
    secretWarnings = checkClusterSecret(config);
  } catch (err) {
    logger.fatal({ bindAddr: config.bindAddr }, (err as Error).message);
    process.stderr.write(`redcloud-chunkserver: ${(err as Error).message}\n`);
    process.exit(2);
  }
  for (const w of secretWarnings) logger.warn(w);
  try {
    applyClientTls(config);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const server = createChunkserver({ config, nodeId, logger });
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: sig }, 'Stopping chunkserver');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'Unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await server.start();
  } catch (err) {
    logger.fatal({ err }, 'Chunkserver could not start');
    process.exit(err instanceof RedCloudError ? err.exitCode : 1);
  }
}

await main();
