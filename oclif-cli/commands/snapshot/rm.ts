/** `redcloud snapshot rm NAME…`: removes snapshots (their chunks are freed by GC unless something else uses them). */
import { Args } from '@oclif/core';
import { BaseCommand } from '../../base.js';

export default class SnapshotRm extends BaseCommand<typeof SnapshotRm> {
  static override summary = 'Remove snapshots.';
  static override description = 'Removes each snapshot NAME. Chunks no file or other snapshot references are freed by the garbage collector after GC_GRACE.';
  static override examples = ['<%= config.bin %> snapshot rm before-cleanup', '<%= config.bin %> snapshot rm nightly-1 nightly-2'];
  static override strict = false;
  static override args = { name: Args.string({ description: 'Snapshot name (one or more).', required: true }) };

  async run(): Promise<{ removed: { name: string; entries: number }[] }> {
    const { client } = await this.client();
    const removed = [];
    for (const name of this.rest) {
      const entries = await client.removeSnapshot(name, { signal: this.signal });
      this.log(`Removed snapshot ${name} (${entries} entries)`);
      removed.push({ name, entries });
    }
    return { removed };
  }
}
