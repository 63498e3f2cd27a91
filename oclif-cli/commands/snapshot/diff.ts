/** `redcloud snapshot diff A [B]`: what changed from snapshot A to snapshot B (or to the live tree). */
import { Args } from '@oclif/core';
import type { SnapshotChange } from '../../../src/common/snapshot-api.js';
import { BaseCommand } from '../../base.js';

const MARK = { added: 'A', removed: 'D', modified: 'M', renamed: 'R' } as const;

export default class SnapshotDiff extends BaseCommand<typeof SnapshotDiff> {
  static override summary = 'List what changed between two snapshots.';
  static override description = 'One line per change, paths relative to the snapshots\' root: A added, D removed, M modified (content, mode or target), R renamed (old -> new; RM renamed and modified). Without B, compares A with the live directory A was taken of.';
  static override examples = ['<%= config.bin %> snapshot diff nightly-1 nightly-2', '<%= config.bin %> snapshot diff before-cleanup   # against the live tree'];
  static override args = {
    a: Args.string({ description: 'The older snapshot.', required: true }),
    b: Args.string({ description: 'The newer snapshot (default: the live tree).' }),
  };

  async run(): Promise<{ changes: SnapshotChange[] }> {
    const { client } = await this.client();
    const changes = await client.diffSnapshots(this.args.a, this.args.b, { signal: this.signal });
    for (const c of changes) {
      this.log(c.change === 'renamed' ? `R${c.modified ? 'M' : ''}\t${c.from} -> ${c.path}` : `${MARK[c.change]}\t${c.path}`);
    }
    return { changes };
  }
}
