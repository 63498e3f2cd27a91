/** `redcloud add-tags QUERY… -- TAG…`: adds tags to every file carrying all QUERY tags. */
import { Args } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { errors } from '../../src/common/errors.js';
import { BaseCommand } from '../base.js';
import { TAG_LIMITS_TEXT } from '../lib/usage.js';

export default class AddTags extends BaseCommand<typeof AddTags> {
  static override summary = 'Add tags to the files selected by tags.';
  static override description = `Every file carrying all the QUERY tags (before "--") gets every TAG (after "--"). ${TAG_LIMITS_TEXT}`;
  static override examples = ['<%= config.bin %> add-tags holiday -- shared family'];
  static override strict = false;
  static override args = { query: Args.string({ description: 'Query tags, then "--", then the tags to add.', required: true }) };

  async run(): Promise<EntryInfo[]> {
    const { before: query, after: tags } = this.splitOnDashDash();
    if (query.length === 0 || tags.length === 0) throw errors.invalid('Usage: add-tags QUERY... -- TAG...');
    const { client } = await this.client();
    const out: EntryInfo[] = [];
    for (const e of await client.find(query)) {
      const updated = await client.tag(e.path, { add: tags });
      out.push(updated);
      this.log(`${updated.path}: ${updated.tags.join(', ')}`);
    }
    return out;
  }
}
