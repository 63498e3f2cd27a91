/** `redcloud cluster restart NODE`: one node (controller-N, chunkserver-N) of the cluster `cluster up` recorded; see src/cluster/node-control.ts. */
import { Args, Command, Flags } from '@oclif/core';
import { restartNode } from '../../../src/cluster/node-control.js';
import { RedCloudError } from '../../../src/common/errors.js';

export default class ClusterRestart extends Command {
  static override summary = 'Restart one node of the local cluster.';
  static override description = 'Stops NODE and starts it again on the same data (same address, port and variables), then waits until it answers /health. NODE is a name of `redcloud cluster status`: controller-1.., chunkserver-1.. (c1, cs3 for short).';
  static override examples = ['<%= config.bin %> cluster restart controller-1', '<%= config.bin %> cluster restart chunkserver-3 --data /tmp/rc'];
  static override args = { node: Args.string({ description: 'Node name, e.g. controller-1 or chunkserver-3.', required: true }) };
  static override flags = {
    data: Flags.string({ summary: 'Directory given to `cluster up --data`.', default: './.redcloud' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ClusterRestart);
    try {
      return await restartNode(flags.data, args.node, (line) => this.log(line));
    } catch (err) {
      this.error((err as Error).message, { exit: err instanceof RedCloudError ? err.exitCode : 1 });
    }
  }
}
