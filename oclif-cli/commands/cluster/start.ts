/** `redcloud cluster start NODE`: one node of the cluster `cluster up` recorded (oclif-cli/lib/node-command.ts, src/cluster/node-control.ts). */
import { startNode } from '../../../src/cluster/node-control.js';
import { NODE_NAMES, NodeCommand } from '../../lib/node-command.js';

export default class ClusterStart extends NodeCommand {
  static override summary = 'Start a stopped node of the local cluster again.';
  static override description = `Starts NODE again with the address, port, data directory and variables it was started with, and waits until it answers /health. ${NODE_NAMES}`;
  static override examples = ['<%= config.bin %> cluster start controller-1', '<%= config.bin %> cluster start chunkserver-3'];
  protected readonly action = startNode;
}
