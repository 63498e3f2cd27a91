/** `redcloud cluster down`: unmounts and stops, by pid, every process `cluster up` recorded (and a foreground `cluster up`); --purge removes what it created. */
import { Command, Flags } from '@oclif/core';
import { downLocalCluster } from '../../../src/cluster/local.js';

export default class ClusterDown extends Command {
  static override summary = 'Stop the local cluster started by `redcloud cluster up` (or `npm start`).';
  static override description = 'Unmounts the filesystem and stops every process recorded in the state file of --data (SIGTERM, then SIGKILL after 5 s); a foreground `cluster up` / `npm start` that owns the cluster then exits too. Data stays unless --purge: '
    + 'that also removes the node directories, logs and state files under --data (and --data itself when nothing else is in it), the mount\'s cache directory (~/.cache/redcloud/<mountpoint>), the empty mountpoint, and the CLI\'s saved login (session.json) when it is the login for this cluster.';
  static override examples = [
    '<%= config.bin %> cluster down',
    '<%= config.bin %> cluster down --data /tmp/rc',
    '<%= config.bin %> cluster down --purge   # start afresh: no data, no cache, no saved login for this cluster',
  ];
  static override flags = {
    data: Flags.string({ summary: 'Directory given to `cluster up --data`.', default: './.redcloud' }),
    purge: Flags.boolean({ summary: 'Also remove the cluster\'s data and state, the mount cache and the CLI login the launcher saved for it.', default: false }),
  };

  async run(): Promise<{ stopped: number }> {
    const { flags } = await this.parse(ClusterDown);
    const stopped = await downLocalCluster({ dataDir: flags.data, print: (line) => this.log(line), purge: flags.purge });
    return { stopped };
  }
}
