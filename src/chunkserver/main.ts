/**
 * The chunkserver daemon's entry point: reads the configuration, resolves the node id, logs the
 * effective configuration (secrets redacted), starts the chunkserver and stops it cleanly on
 * SIGTERM/SIGINT.
 */
import { addressTowardPeers } from '../common/advertise-peers.js';
import { chunkserverSchema, loadConfig, redactConfig } from '../common/config.js';
import { RedCloudError } from '../common/errors.js';
import { applySecurityOrExit } from '../common/daemon-start.js';
import { createLogger } from '../common/logger.js';
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
  // bound to a wildcard without ADVERTISE_ADDR: advertise the address on the peers' network
  const toward = await addressTowardPeers(config);
  if (toward) config = { ...config, advertiseAddr: toward };
  const nodeId = await resolveNodeId(config.nodeId, config.dataDir, Date.now());
  const logger = createLogger({ node: nodeId, level: config.logLevel, role: 'chunkserver' });
  logger.info({ config: redactConfig(chunkserverSchema, config) }, 'Starting chunkserver');
  applySecurityOrExit(config, logger, 'redcloud-chunkserver');
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
