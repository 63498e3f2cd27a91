/**
 * The shared shape of `redcloud cluster stop|start|restart NODE`: one node (controller-N,
 * chunkserver-N, or c2, cs3) of the cluster `cluster up` recorded under --data. A subclass gives
 * only its help texts and its action from src/cluster/node-control.ts; errors are one line with the
 * RedCloudError's exit code.
 */
import { Args, Command, Flags } from '@oclif/core';
import { RedCloudError } from '../../src/common/errors.js';

export type NodeAction = (dataDir: string, node: string, print: (line: string) => void) => Promise<unknown>;

/** The end of every description: what NODE is. */
export const NODE_NAMES = 'NODE is a name of `redcloud cluster status`: controller-1.., chunkserver-1.. (c1, cs3 for short).';

export abstract class NodeCommand extends Command {
  static override args = { node: Args.string({ description: 'Node name, e.g. controller-1 or chunkserver-3.', required: true }) };
  static override flags = {
    data: Flags.string({ summary: 'Directory given to `cluster up --data`.', default: './.redcloud' }),
  };

  protected abstract readonly action: NodeAction;

  async run(): Promise<unknown> {
    // (parse spreads the class it is given, which would drop the inherited statics)
    const { args, flags } = await this.parse({ args: NodeCommand.args, flags: NodeCommand.flags });
    try {
      return await this.action(flags.data, args.node, (line) => this.log(line));
    } catch (err) {
      this.error((err as Error).message, { exit: err instanceof RedCloudError ? err.exitCode : 1 });
    }
  }
}
