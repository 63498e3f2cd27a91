/** `redcloud mv FROM TO`: renames a file or directory. */
import { Args } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { remotePath } from '../lib/remote.js';

export default class Mv extends BaseCommand<typeof Mv> {
  static override summary = 'Rename or move a file or directory.';
  static override description = 'Moves FROM to TO; an existing file at TO is replaced, as with POSIX rename.';
  static override examples = ['<%= config.bin %> mv draft.txt final.txt', '<%= config.bin %> mv /a/report.pdf /b/report.pdf'];
  static override args = {
    from: Args.string({ description: 'Remote source (relative to "/").', required: true }),
    to: Args.string({ description: 'Remote destination (relative to "/").', required: true }),
  };

  async run(): Promise<EntryInfo> {
    const { client } = await this.client();
    const entry = await client.rename(remotePath(this.args.from), remotePath(this.args.to));
    this.log(`Moved ${remotePath(this.args.from)} to ${entry.path}`);
    return entry;
  }
}
