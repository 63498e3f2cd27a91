/** `redcloud cluster stop NODE`: one node (controller-N, chunkserver-N) of the cluster `cluster up` recorded; see src/cluster/node-control.ts. */
import { Args, Command, Flags } from '@oclif/core';
import { stopNode } from '../../../src/cluster/node-control.js';
import { RedCloudError } from '../../../src/common/errors.js';

export default class ClusterStop extends Command {
  static override summary = 'Stop one node of the local cluster.';
  static override description = 'Stops NODE (SIGTERM, SIGKILL after 5 s) and marks it stopped in the state file; `cluster status` shows it stopped until `cluster start NODE`. NODE is a name of `redcloud cluster status`: controller-1.., chunkserver-1.. (c1, cs3 for short).';
  static override examples = ['<%= config.bin %> cluster stop controller-1', '<%= config.bin %> cluster stop chunkserver-3'];
  static override args = { node: Args.string({ description: 'Node name, e.g. controller-1 or chunkserver-3.', required: true }) };
  static override flags = {
    data: Flags.string({ summary: 'Directory given to `cluster up --data`.', default: './.redcloud' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ClusterStop);
    try {
      return await stopNode(flags.data, args.node, (line) => this.log(line));
    } catch (err) {
      this.error((err as Error).message, { exit: err instanceof RedCloudError ? err.exitCode : 1 });
    }
  }
}
