/**
 * `redcloud cluster up`: starts a local cluster (controllers on 127.0.0.11.., chunkservers on
 * 127.0.0.21..), creates the demo user, logs the CLI in and mounts it; with --foreground it stays
 * and Ctrl-C stops everything and unmounts. The work is in src/cluster/local.ts.
 */
import { Command, Flags } from '@oclif/core';
import { downLocalCluster, upLocalCluster } from '../../../src/cluster/local.js';
import { isOurProcess } from '../../../src/cluster/state.js';
import { RedCloudError } from '../../../src/common/errors.js';

export default class ClusterUp extends Command {
  static override summary = 'Start a local RedCloud cluster on loopback addresses.';
  static override description =
    'Starts N controllers (127.0.0.11.. port 8000) and M chunkservers (127.0.0.21.. port 9000) as separate processes with data and logs under --data, creates the user demo (password demo-password) if missing, logs the CLI in as demo and mounts the filesystem at --mount. Stop it with `redcloud cluster down` (or Ctrl-C with --foreground).';
  static override examples = [
    '<%= config.bin %> cluster up --foreground',
    '<%= config.bin %> cluster up --controllers 1 --chunkservers 3 --no-mount',
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
    try {
      state = await upLocalCluster({
        controllers: flags.controllers, chunkservers: flags.chunkservers, dataDir: flags.data,
        mountDir: flags['no-mount'] ? undefined : flags.mount, print, net: flags.net,
        tls: flags['tls-cert'] ? { cert: flags['tls-cert'], key: flags['tls-key']!, ca: flags['tls-ca']! } : undefined,
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
    await new Promise<void>((resolveStop) => {
      // The daemons are detached: this timer keeps the foreground process alive and reports deaths.
      const reported = new Set<number>();
      const watch = setInterval(() => {
        for (const n of state.nodes) {
          if (!reported.has(n.pid) && !isOurProcess(n.pid, n.bin)) {
            reported.add(n.pid);
            print(`${n.role} ${n.id} (pid ${n.pid}) has exited; see ${n.logFile}`);
          }
        }
      }, 2_000);
      const stop = (): void => {
        clearInterval(watch);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        print('\nStopping…');
        downLocalCluster({ dataDir: state.dataDir, print }).then(() => resolveStop(), () => resolveStop());
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return state;
  }
}
