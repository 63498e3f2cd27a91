/** `redcloud cluster status`: which recorded processes of the local cluster run and answer /health. */
import { Command, Flags } from '@oclif/core';
import { localClusterStatus } from '../../../src/cluster/local.js';

export default class ClusterStatus extends Command {
  static override summary = 'Show the processes of the local cluster.';
  static override description = 'Reads the state file of --data and checks each recorded process (pid alive, GET /health) and the mount.';
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --json', '<%= config.bin %> cluster stop chunkserver-2 && <%= config.bin %> cluster status   # exit 8: a node is stopped'];
  static override flags = {
    data: Flags.string({ summary: 'Directory given to `cluster up --data`.', default: './.redcloud' }),
    json: Flags.boolean({ summary: 'Print JSON.', default: false }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ClusterStatus);
    const status = await localClusterStatus(flags.data);
    if (flags.json) {
      this.log(JSON.stringify(status, null, 2));
      return status;
    }
    if (!status.state) {
      this.log(`No local cluster recorded in ${flags.data}.`);
      return status;
    }
    for (const n of status.nodes) {
      const health = !n.running ? (n.stopped ? 'stopped (cluster stop)' : 'stopped') : n.healthy ? 'healthy' : n.role === 'mount' ? 'not mounted' : 'not answering';
      this.log(`${n.role.padEnd(12)} ${n.id.padEnd(14)} ${(n.url ?? '').padEnd(24)} pid ${String(n.pid).padEnd(8)} ${health}`);
    }
    if (status.state.user) this.log(`user         ${status.state.user} (the mount and the CLI)`);
    if (status.state.mountDir) this.log(`mount        ${status.state.mountDir} ${status.mounted ? 'mounted' : 'not mounted'}`);
    if (status.nodes.some((n) => !n.running || !n.healthy)) this.exit(8);
    return status;
  }
}
