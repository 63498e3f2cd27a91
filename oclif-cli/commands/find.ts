/** `redcloud find TAG…`: files carrying every given tag. */
import { Args, Flags } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { errors } from '../../src/common/errors.js';
import { BaseCommand } from '../base.js';
import { entryLine } from '../lib/format.js';
import { remotePath } from '../lib/remote.js';

export default class Find extends BaseCommand<typeof Find> {
  static override summary = 'Find files by tags.';
  static override description = 'Lists the files (under --under, default "/") that carry every TAG.';
  static override examples = ['<%= config.bin %> find work', '<%= config.bin %> find work 2024 --long'];
  static override strict = false;
  static override args = { tags: Args.string({ description: 'Tags the files must all carry.', required: true }) };
  static override flags = {
    under: Flags.string({ description: 'Only below this directory.', default: '/' }),
    long: Flags.boolean({ char: 'l', description: 'Mode, size, modification time and tags.' }),
  };

  async run(): Promise<EntryInfo[]> {
    const { client } = await this.client();
    if (this.rest.length === 0) throw errors.invalid('Give at least one tag');
    const entries = await client.find(this.rest, { under: remotePath(this.flags.under) });
    for (const e of entries) this.log(entryLine(e, Boolean(this.flags.long)));
    return entries;
  }
}
