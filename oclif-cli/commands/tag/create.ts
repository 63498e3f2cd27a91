/** `redcloud tag create TAG…`: declares tags no file carries yet (as `mkdir MOUNT/.tags/TAG` does). */
import { Args } from '@oclif/core';
import { declaredTagXattr } from '../../../src/common/declared-tags.js';
import { errors } from '../../../src/common/errors.js';
import { assertTag } from '../../../src/common/paths.js';
import { BaseCommand } from '../../base.js';

export default class TagCreate extends BaseCommand<typeof TagCreate> {
  static override summary = 'Declare tags before any file carries them.';
  static override description = 'Each TAG is listed by `redcloud tags` (0 files) and in the mount\'s .tags/ directory until removed with `rmdir MOUNT/.tags/TAG`.';
  static override examples = ['<%= config.bin %> tag create paperwork 2025', 'mkdir ~/cloud/.tags/paperwork   # the same through the mount'];
  static override strict = false;
  static override args = { tags: Args.string({ description: 'Tags to declare (one or more).', required: true }) };

  async run(): Promise<{ declared: string[] }> {
    if (this.rest.length === 0) throw errors.invalid('Give at least one tag');
    const tags = this.rest.map(assertTag);
    if (tags.some((t) => t === '.' || t === '..')) throw errors.invalid('A tag cannot be "." or ".."');
    const { client } = await this.client();
    for (const t of tags) await client.setXattr('/', declaredTagXattr(t), Buffer.alloc(0));
    this.log(`Declared ${tags.join(', ')}`);
    return { declared: tags };
  }
}
