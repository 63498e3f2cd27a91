/**
 * The controller daemon's entry point: loads the configuration, resolves the node id, logs
 * `RedCloud distributed controller <id> starting` with the redacted config, listens on
 * BIND_ADDR:PORT advertising ADVERTISE_ADDR, and stops cleanly on SIGTERM/SIGINT.
 */
import { addressTowardPeers } from '../common/advertise-peers.js';
import { controllerSchema, loadConfig, redactConfig } from '../common/config.js';
import { toRedCloudError } from '../common/errors.js';
import { applySecurityOrExit } from '../common/daemon-start.js';
import { createLogger } from '../common/logger.js';
import { databasePath, resolveNodeId } from './node-id.js';
import { createController } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(controllerSchema);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  // bound to a wildcard without ADVERTISE_ADDR: advertise the address on the peers' network
  const toward = await addressTowardPeers(config);
  if (toward) config = { ...config, advertiseAddr: toward };
  const nodeId = resolveNodeId(config.nodeId, config.dataDir, Date.now());
  const log = createLogger({ node: nodeId, level: config.logLevel, role: 'controller' });
  log.info({ config: redactConfig(controllerSchema, config) }, `RedCloud distributed controller ${nodeId} starting`);
  applySecurityOrExit(config, log, 'redcloud-controller');
  const dbPath = databasePath(config.dataDir, nodeId);
  let controller;
  try {
    controller = createController({ config, logger: log, nodeId, dbPath });
  } catch (err) {
    const e = toRedCloudError(err);
    log.fatal({ code: e.code, dbPath, err: e.message }, e.code === 'INTEGRITY' ? 'Database failed its integrity check' : 'Controller could not start');
    process.stderr.write(`redcloud-controller: ${e.code}: ${e.message}\n`);
    process.exit(e.exitCode);
  }
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Controller stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await controller.stop();
      log.info('Controller stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'Controller did not stop cleanly');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  const url = await controller.start();
  log.info({ url, bind: `${config.bindAddr}:${config.port}` }, `Controller ${nodeId} listening on ${url}`);
}

main().catch((err) => {
  const e = toRedCloudError(err);
  process.stderr.write(`redcloud-controller: ${e.code}: ${e.message}\n`);
  process.exit(1);
});
