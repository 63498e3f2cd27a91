/** `redcloud snapshot restore NAME [--to PATH]`: copies a snapshot back into the live tree. */
import { Args, Flags } from '@oclif/core';
import type { EntryInfo } from '../../../src/common/api.js';
import { BaseCommand } from '../../base.js';
import { remotePath } from '../../lib/remote.js';

export default class SnapshotRestore extends BaseCommand<typeof SnapshotRestore> {
  static override summary = 'Restore a snapshot as a new directory tree.';
  static override description = 'Copies snapshot NAME to the path it was taken of, or to --to PATH; the target must not exist (nothing is overwritten). Files share the snapshot\'s chunks: no bytes are copied. The snapshot stays.';
  static override examples = [
    '<%= config.bin %> snapshot restore before-cleanup --to /photos-restored',
    '<%= config.bin %> rm -r /photos && <%= config.bin %> snapshot restore before-cleanup',
  ];
  static override args = { name: Args.string({ description: 'Snapshot name.', required: true }) };
  static override flags = { to: Flags.string({ description: 'Where to restore (default: the snapshot\'s source path).' }) };

  async run(): Promise<EntryInfo> {
    const { client } = await this.client();
    const entry = await client.restoreSnapshot(this.args.name, this.flags.to !== undefined ? remotePath(this.flags.to) : undefined, { signal: this.signal });
    this.log(`Restored snapshot ${this.args.name} to ${entry.path}`);
    return entry;
  }
}
