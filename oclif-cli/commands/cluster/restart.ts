/** `redcloud cluster restart NODE`: one node of the cluster `cluster up` recorded (oclif-cli/lib/node-command.ts, src/cluster/node-control.ts). */
import { restartNode } from '../../../src/cluster/node-control.js';
import { NODE_NAMES, NodeCommand } from '../../lib/node-command.js';

export default class ClusterRestart extends NodeCommand {
  static override summary = 'Restart one node of the local cluster.';
  static override description = `Stops NODE and starts it again on the same data (same address, port and variables), then waits until it answers /health. ${NODE_NAMES}`;
  static override examples = ['<%= config.bin %> cluster restart controller-1', '<%= config.bin %> cluster restart chunkserver-3 --data /tmp/rc'];
  protected readonly action = restartNode;
}
