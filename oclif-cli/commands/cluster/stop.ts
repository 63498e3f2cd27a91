/** `redcloud cluster stop NODE`: one node of the cluster `cluster up` recorded (oclif-cli/lib/node-command.ts, src/cluster/node-control.ts). */
import { stopNode } from '../../../src/cluster/node-control.js';
import { NODE_NAMES, NodeCommand } from '../../lib/node-command.js';

export default class ClusterStop extends NodeCommand {
  static override summary = 'Stop one node of the local cluster.';
  static override description = `Stops NODE (SIGTERM, SIGKILL after 5 s) and marks it stopped in the state file; \`cluster status\` shows it stopped until \`cluster start NODE\`. ${NODE_NAMES}`;
  static override examples = ['<%= config.bin %> cluster stop controller-1', '<%= config.bin %> cluster stop chunkserver-3'];
  protected readonly action = stopNode;
}
