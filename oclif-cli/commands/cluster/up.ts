/**
 * `redcloud cluster up`: starts a local cluster (controllers on 127.0.0.11.., chunkservers on
 * 127.0.0.21..) with the daemon variables of its environment and --env, logs the CLI in as one user
 * (the saved login, --user, or demo) and mounts that user's tree; with --foreground it stays, exits
 * when its cluster goes away, and Ctrl-C stops everything and unmounts. The work is in src/cluster/.
 */
import { Command, Flags } from '@oclif/core';
import { downLocalCluster, upLocalCluster } from '../../../src/cluster/local.js';
import { foregroundVerdict } from '../../../src/cluster/owner.js';
import { isOurProcess, readState } from '../../../src/cluster/state.js';
import { RedCloudError } from '../../../src/common/errors.js';
import { promptPassword } from '../../lib/prompt.js';

export default class ClusterUp extends Command {
  static override summary = 'Start a local RedCloud cluster on loopback addresses.';
  static override description =
    'Starts N controllers (127.0.0.11.. port 8000) and M chunkservers (127.0.0.21.. port 9000) as separate processes with data and logs under --data, and mounts the filesystem at --mount as the same user the CLI is logged in as: the CLI\'s saved login if there is one (kept, never replaced silently), else --user, else the user demo (password demo-password, created if missing). '
    + 'Every controller and chunkserver variable of the configuration table set in the environment reaches the daemons (--env KEY=VALUE adds one-off settings); all are validated before any process starts, and a bad value stops it naming the variable. '
    + 'Stop it with `redcloud cluster down` (or Ctrl-C with --foreground); one node with `redcloud cluster stop|start|restart NODE`.';
  static override examples = [
    '<%= config.bin %> cluster up --foreground',
    '<%= config.bin %> cluster up --controllers 1 --chunkservers 3 --no-mount',
    'HEARTBEAT_TIMEOUT=10s REPAIR_INTERVAL=20s <%= config.bin %> cluster up   # daemon settings from the environment',
    '<%= config.bin %> cluster up --env REPLICATION_FACTOR=2 --env LOG_LEVEL=debug',
    'REDCLOUD_PASSWORD=... <%= config.bin %> cluster up --user alice   # mount and log in as alice (an existing account)',
    '<%= config.bin %> cluster up --tls-cert node.pem --tls-key node.key --tls-ca ca.pem   # HTTPS everywhere; then export TLS_CA=ca.pem',
  ];
  static override flags = {
    controllers: Flags.integer({ summary: 'Number of controllers.', default: 3, min: 1, max: 9 }),
    chunkservers: Flags.integer({ summary: 'Number of chunkservers.', default: 5, min: 1, max: 9 }),
    data: Flags.string({ summary: 'Directory for data, logs and the state file.', default: './.redcloud' }),
    mount: Flags.string({ summary: 'Where to mount the filesystem.', default: './mnt' }),
    'no-mount': Flags.boolean({ summary: 'Do not mount.', default: false }),
    foreground: Flags.boolean({ summary: 'Stay in the foreground; Ctrl-C stops the cluster.', default: false }),
    net: Flags.string({ summary: 'First three octets of the loopback addresses (controllers .11.., chunkservers .21..).', default: '127.0.0' }),
    json: Flags.boolean({ summary: 'Print the cluster state as JSON.', default: false }),
    env: Flags.string({ summary: 'A daemon variable for this cluster, KEY=VALUE (repeatable; wins over the environment).', multiple: true }),
    user: Flags.string({ summary: 'Mount as and log the CLI in as this user (default: the saved login, else demo); needs its password unless it is demo.' }),
    'tls-cert': Flags.string({ summary: 'Serve HTTPS with this PEM certificate (IP SANs of every node address); needs --tls-key and --tls-ca.', dependsOn: ['tls-key', 'tls-ca'] }),
    'tls-key': Flags.string({ summary: 'PEM private key of --tls-cert.', dependsOn: ['tls-cert'] }),
    'tls-ca': Flags.string({ summary: 'PEM CA bundle that signed --tls-cert; every node, the CLI and the mount verify HTTPS against it.', dependsOn: ['tls-cert'] }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ClusterUp);
    const print = (line: string): void => {
      if (!flags.json) this.log(line);
    };
    let state;
    const askPassword = process.env.REDCLOUD_PASSWORD !== undefined
      ? async () => process.env.REDCLOUD_PASSWORD
      : process.stdin.isTTY ? async (user: string) => promptPassword(`Password of ${user}: `) : undefined;
    try {
      state = await upLocalCluster({
        controllers: flags.controllers, chunkservers: flags.chunkservers, dataDir: flags.data,
        mountDir: flags['no-mount'] ? undefined : flags.mount, print, net: flags.net,
        tls: flags['tls-cert'] ? { cert: flags['tls-cert'], key: flags['tls-key']!, ca: flags['tls-ca']! } : undefined,
        env: process.env, envFlags: flags.env ?? [], user: flags.user, askPassword,
        ...(flags.foreground ? { ownerPid: process.pid } : {}),
      });
    } catch (err) {
      this.error(`${(err as Error).message}`, { exit: err instanceof RedCloudError ? err.exitCode : 1 });
    }
    if (flags.json) this.log(JSON.stringify(state, null, 2));
    print('');
    if (state.tlsCa) print(`The cluster serves HTTPS: give the CLI its CA with  export TLS_CA=${state.tlsCa}`);
    print('RedCloud is running. Try:');
    if (state.mountDir) print(`  cp README.md ${state.mountDir}/ && ls -l ${state.mountDir}`);
    print('  node bin/redcloud.js upload README.md docs readme');
    print('  node bin/redcloud.js ls');
    print('  node bin/redcloud.js find docs');
    print('  node bin/redcloud.js status');
    print(`Logs: ${state.dataDir}/logs/`);
    if (!flags.foreground) {
      print('Stop it with: node bin/redcloud.js cluster down');
      return state;
    }
    print('Press Ctrl-C to stop the cluster.');
    const code = await new Promise<number>((resolveStop) => {
      // The daemons are detached: this timer keeps the foreground process alive, reports deaths and
      // notices a cluster that went away (`cluster down` elsewhere), which ends this launcher.
      const reported = new Set<string>();
      const mine = { dataDir: state.dataDir, startedAtMs: state.startedAtMs };
      const finish = (exitCode: number): void => {
        clearInterval(watch);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolveStop(exitCode);
      };
      const watch = setInterval(() => {
        const verdict = foregroundVerdict(mine, readState(state.dataDir), (n) => isOurProcess(n.pid, n.bin), reported);
        if (verdict.kind === 'running') {
          for (const line of verdict.report) print(line);
          return;
        }
        process.stderr.write(`${verdict.message}\n`);
        if (verdict.kind === 'gone') return finish(1);
        clearInterval(watch);
        downLocalCluster({ dataDir: state.dataDir, print, onlyStartedAtMs: state.startedAtMs }).then(() => finish(1), () => finish(1));
      }, 1_000);
      const stop = (): void => {
        clearInterval(watch);
        print('\nStopping…');
        downLocalCluster({ dataDir: state.dataDir, print, onlyStartedAtMs: state.startedAtMs }).then(() => finish(0), () => finish(1));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    if (code !== 0) this.exit(code);
    return state;
  }
}
