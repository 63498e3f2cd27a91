/** `redcloud tag add NAME TAG…`: attaches tags to a file. */
import { Args } from '@oclif/core';
import type { EntryInfo } from '../../../src/common/api.js';
import { errors } from '../../../src/common/errors.js';
import { BaseCommand } from '../../base.js';
import { remotePath } from '../../lib/remote.js';
import { TAG_LIMITS_TEXT } from '../../lib/usage.js';

export default class TagAdd extends BaseCommand<typeof TagAdd> {
  static override summary = 'Add tags to a file.';
  static override description = `Attaches every TAG to NAME (tags already there stay). ${TAG_LIMITS_TEXT}`;
  static override examples = ['<%= config.bin %> tag add report.pdf work 2024'];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'Remote path (relative to "/").', required: true }),
    tags: Args.string({ description: 'Tags to add (one or more).', required: true }),
  };

  async run(): Promise<EntryInfo> {
    const { client } = await this.client();
    const [name, ...tags] = this.rest;
    if (tags.length === 0) throw errors.invalid('Give at least one tag');
    const entry = await client.tag(remotePath(name!), { add: tags });
    this.log(`${entry.path}: ${entry.tags.join(', ')}`);
    return entry;
  }
}
