/** `redcloud rm NAME [-r]`: removes a file, an empty directory, or (with -r) a tree. */
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';
import { remotePath } from '../lib/remote.js';

export default class Rm extends BaseCommand<typeof Rm> {
  static override summary = 'Remove a file or directory.';
  static override description = 'Removes NAME. A non-empty directory needs -r.';
  static override examples = ['<%= config.bin %> rm report.pdf', '<%= config.bin %> rm -r /old'];
  static override args = { name: Args.string({ description: 'Remote path (relative to "/").', required: true }) };
  static override flags = {
    recursive: Flags.boolean({ char: 'r', description: 'Remove directories and their contents.' }),
    snapshot: Flags.string({ description: 'Refused: snapshots are read-only (remove a whole snapshot with `redcloud snapshot rm NAME`).' }),
  };

  async run(): Promise<{ path: string; removed: number }> {
    const { client } = await this.client();
    const path = remotePath(this.args.name);
    const removed = await client.remove(path, { recursive: this.flags.recursive });
    this.log(`Removed ${path}${removed > 1 ? ` (${removed} entries)` : ''}`);
    return { path, removed };
  }
}
