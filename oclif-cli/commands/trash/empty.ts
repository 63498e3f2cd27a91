/** `redcloud trash empty [PATH]`: removes what is in the trash for good. */
import { Args } from '@oclif/core';
import { BaseCommand } from '../../base.js';
import { remotePath } from '../../lib/remote.js';

export default class TrashEmpty extends BaseCommand<typeof TrashEmpty> {
  static override summary = 'Remove everything in the trash for good (or what was at or below PATH).';
  static override description = 'The entries leave the trash at once; their chunks are freed by garbage collection (GC_GRACE) like any removed file\'s.';
  static override examples = ['<%= config.bin %> trash empty', '<%= config.bin %> trash empty /tmp-build'];
  static override args = {
    path: Args.string({ description: 'Only entries that were at or below this path.', required: false }),
  };

  async run(): Promise<{ removed: number }> {
    const { client } = await this.client();
    const path = this.args.path !== undefined ? remotePath(this.args.path) : undefined;
    const removed = await client.trashEmpty!({ path });
    this.log(`Removed ${removed} entr${removed === 1 ? 'y' : 'ies'} from the trash for good`);
    return { removed };
  }
}
