/** `redcloud trash ls`: what is in the trash, newest first. */
import type { TrashItem } from '../../../src/common/api.js';
import { BaseCommand } from '../../base.js';
import { table } from '../../lib/format.js';
import { trashRows } from '../../lib/trash-format.js';

export default class TrashLs extends BaseCommand<typeof TrashLs> {
  static override summary = 'List the trash: removed and replaced files and directories.';
  static override description = 'Removed (rm, rmdir) and replaced (mv over) files and directories stay in your trash for TRASH_TTL '
    + '(default 24h) before they are removed for good. Newest first: when (UTC; also the directory under the mount\'s .trash/), '
    + 'how long until it expires, size, and the path it had.';
  static override examples = [
    '<%= config.bin %> trash ls',
    '<%= config.bin %> trash ls --json',
  ];

  async run(): Promise<{ items: TrashItem[]; ttlMs: number }> {
    const { client } = await this.client();
    const res = await client.trashList!();
    if (res.ttlMs === 0 && res.items.length === 0) this.log('The trash is off on this controller (TRASH_TTL=0): removed files are gone at once.');
    else if (res.items.length === 0) this.log('The trash is empty.');
    else this.log(table(['REMOVED', 'EXPIRES IN', 'SIZE', 'PATH'], trashRows(res.items, Date.now())));
    return res;
  }
}
