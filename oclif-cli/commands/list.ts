/** `redcloud list [TAG…]`: the files carrying every TAG (all files when none is given). */
import { Args } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { walkFiles } from '../lib/remote.js';

export default class List extends BaseCommand<typeof List> {
  static override summary = 'List files by tags.';
  static override description = 'Lists the files that carry every TAG; without tags, every file.';
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list holiday 2024'];
  static override strict = false;
  static override args = { tags: Args.string({ description: 'Tags the files must all carry.' }) };

  async run(): Promise<EntryInfo[]> {
    const { client } = await this.client();
    const entries = this.rest.length > 0 ? await client.find(this.rest) : await walkFiles(client, '/');
    for (const e of entries) this.log(`${e.path}${e.tags.length ? `  [${e.tags.join(',')}]` : ''}`);
    return entries;
  }
}
