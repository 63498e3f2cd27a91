/** `redcloud cluster start NODE`: one node (controller-N, chunkserver-N) of the cluster `cluster up` recorded; see src/cluster/node-control.ts. */
import { Args, Command, Flags } from '@oclif/core';
import { startNode } from '../../../src/cluster/node-control.js';
import { RedCloudError } from '../../../src/common/errors.js';

export default class ClusterStart extends Command {
  static override summary = 'Start a stopped node of the local cluster again.';
  static override description = 'Starts NODE again with the address, port, data directory and variables it was started with, and waits until it answers /health. NODE is a name of `redcloud cluster status`: controller-1.., chunkserver-1.. (c1, cs3 for short).';
  static override examples = ['<%= config.bin %> cluster start controller-1', '<%= config.bin %> cluster start chunkserver-3'];
  static override args = { node: Args.string({ description: 'Node name, e.g. controller-1 or chunkserver-3.', required: true }) };
  static override flags = {
    data: Flags.string({ summary: 'Directory given to `cluster up --data`.', default: './.redcloud' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ClusterStart);
    try {
      return await startNode(flags.data, args.node, (line) => this.log(line));
    } catch (err) {
      this.error((err as Error).message, { exit: err instanceof RedCloudError ? err.exitCode : 1 });
    }
  }
}
