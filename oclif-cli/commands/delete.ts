/** `redcloud delete TAG…`: deletes every file carrying all the tags. */
import { Args } from '@oclif/core';
import { errors } from '../../src/common/errors.js';
import { BaseCommand } from '../base.js';

export default class Delete extends BaseCommand<typeof Delete> {
  static override summary = 'Delete the files carrying tags.';
  static override description = 'Deletes every file that carries all the TAGs given (at least one).';
  static override examples = ['<%= config.bin %> delete tmp', '<%= config.bin %> delete old 2019'];
  static override strict = false;
  static override args = { tags: Args.string({ description: 'Tags selecting the files.', required: true }) };

  async run(): Promise<{ deleted: string[] }> {
    if (this.rest.length === 0) throw errors.invalid('Give at least one tag');
    const { client } = await this.client();
    const deleted: string[] = [];
    for (const e of await client.find(this.rest)) {
      await client.remove(e.path);
      deleted.push(e.path);
      this.log(`Deleted ${e.path}`);
    }
    if (deleted.length === 0) this.log('No file carries all these tags');
    return { deleted };
  }
}
