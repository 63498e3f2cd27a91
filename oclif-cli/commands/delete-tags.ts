/** `redcloud delete-tags QUERY… -- TAG…`: removes tags from every file carrying all QUERY tags. */
import { Args } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { errors } from '../../src/common/errors.js';
import { BaseCommand } from '../base.js';

export default class DeleteTags extends BaseCommand<typeof DeleteTags> {
  static override summary = 'Remove tags from the files selected by tags.';
  static override description = 'Every file carrying all the QUERY tags (before "--") loses every TAG (after "--").';
  static override examples = ['<%= config.bin %> delete-tags holiday -- shared'];
  static override strict = false;
  static override args = { query: Args.string({ description: 'Query tags, then "--", then the tags to remove.', required: true }) };

  async run(): Promise<EntryInfo[]> {
    const { before: query, after: tags } = this.splitOnDashDash();
    if (query.length === 0 || tags.length === 0) throw errors.invalid('Usage: delete-tags QUERY... -- TAG...');
    const { client } = await this.client();
    const out: EntryInfo[] = [];
    for (const e of await client.find(query)) {
      const updated = await client.tag(e.path, { remove: tags });
      out.push(updated);
      this.log(`${updated.path}: ${updated.tags.join(', ')}`);
    }
    return out;
  }
}
