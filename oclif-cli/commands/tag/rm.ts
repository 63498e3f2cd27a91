/** `redcloud tag rm NAME TAG…`: removes tags from a file. */
import { Args } from '@oclif/core';
import type { EntryInfo } from '../../../src/common/api.js';
import { errors } from '../../../src/common/errors.js';
import { BaseCommand } from '../../base.js';
import { remotePath } from '../../lib/remote.js';

export default class TagRm extends BaseCommand<typeof TagRm> {
  static override summary = 'Remove tags from a file.';
  static override description = 'Removes every TAG from NAME (tags it does not carry are ignored).';
  static override examples = ['<%= config.bin %> tag rm report.pdf work 2024'];
  static override strict = false;
  static override args = {
    name: Args.string({ description: 'Remote path (relative to "/").', required: true }),
    tags: Args.string({ description: 'Tags to remove (one or more).', required: true }),
  };

  async run(): Promise<EntryInfo> {
    const { client } = await this.client();
    const [name, ...tags] = this.rest;
    if (tags.length === 0) throw errors.invalid('Give at least one tag');
    const entry = await client.tag(remotePath(name!), { remove: tags });
    this.log(`${entry.path}: ${entry.tags.join(', ')}`);
    return entry;
  }
}
