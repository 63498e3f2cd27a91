/** `redcloud cluster down`: unmounts and stops, by pid, every process `cluster up` recorded. */
import { Command, Flags } from '@oclif/core';
import { downLocalCluster } from '../../../src/cluster/local.js';

export default class ClusterDown extends Command {
  static override summary = 'Stop the local cluster started by `redcloud cluster up`.';
  static override description = 'Unmounts the filesystem and stops every process recorded in the state file of --data (SIGTERM, then SIGKILL after 5 s). Data stays; delete the --data directory to start afresh.';
  static override examples = ['<%= config.bin %> cluster down', '<%= config.bin %> cluster down --data /tmp/rc'];
  static override flags = {
    data: Flags.string({ summary: 'Directory given to `cluster up --data`.', default: './.redcloud' }),
  };

  async run(): Promise<{ stopped: number }> {
    const { flags } = await this.parse(ClusterDown);
    const stopped = await downLocalCluster({ dataDir: flags.data, print: (line) => this.log(line) });
    return { stopped };
  }
}
