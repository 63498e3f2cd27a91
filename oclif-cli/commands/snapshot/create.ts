/** `redcloud snapshot create PATH NAME`: an instant, read-only, point-in-time copy of a directory tree. */
import { Args } from '@oclif/core';
import type { SnapshotInfo } from '../../../src/common/snapshot-api.js';
import { BaseCommand } from '../../base.js';
import { remotePath } from '../../lib/remote.js';

export default class SnapshotCreate extends BaseCommand<typeof SnapshotCreate> {
  static override summary = 'Take a read-only snapshot of a directory tree.';
  static override description = 'Copies the metadata of PATH and everything below it as the controller answering holds it now, as snapshot NAME; the files\' chunks are shared, so it costs one record per entry and no bytes. Read it at MOUNT/.snapshots/NAME/ or with --snapshot NAME (ls, download).';
  static override examples = [
    '<%= config.bin %> snapshot create /photos before-cleanup',
    '<%= config.bin %> snapshot create / nightly-2026-12-01',
    'ls ~/cloud/.snapshots/before-cleanup/   # through the mount',
  ];
  static override args = {
    path: Args.string({ description: 'Remote directory to snapshot (relative to "/").', required: true }),
    name: Args.string({ description: 'Snapshot name: letters, digits, ".", "_", "-" (at most 64).', required: true }),
  };

  async run(): Promise<SnapshotInfo> {
    const { client } = await this.client();
    const s = await client.createSnapshot(remotePath(this.args.path), this.args.name, { signal: this.signal });
    this.log(`Snapshot ${s.name} of ${s.source}: ${s.entries} entries (taken on ${s.node} at ${new Date(s.takenAtMs).toISOString()})`);
    return s;
  }
}
