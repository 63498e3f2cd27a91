/** `redcloud snapshot ls`: the account's snapshots. */
import type { SnapshotInfo } from '../../../src/common/snapshot-api.js';
import { BaseCommand } from '../../base.js';

export default class SnapshotLs extends BaseCommand<typeof SnapshotLs> {
  static override summary = 'List snapshots.';
  static override description = 'One line per snapshot: name, when and where it was taken, its source directory and its entry count.';
  static override examples = ['<%= config.bin %> snapshot ls', '<%= config.bin %> snapshot ls --json'];

  async run(): Promise<{ snapshots: SnapshotInfo[] }> {
    const { client } = await this.client();
    const snapshots = await client.snapshots({ signal: this.signal });
    if (snapshots.length === 0) this.log('No snapshots');
    for (const s of snapshots) this.log(`${s.name}\t${new Date(s.takenAtMs).toISOString()}\t${s.node}\t${s.source}\t${s.entries} entries${s.complete ? '' : ' (incomplete: still being written, or cut short — snapshot rm it)'}`);
    return { snapshots };
  }
}
