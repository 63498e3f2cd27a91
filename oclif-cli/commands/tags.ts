/** `redcloud tags`: every tag in use with the number of files carrying it. */
import { BaseCommand } from '../base.js';
import { table } from '../lib/format.js';

export default class Tags extends BaseCommand<typeof Tags> {
  static override summary = 'List tags in use.';
  static override description = 'Lists every tag on your files with how many files carry it.';
  static override examples = ['<%= config.bin %> tags', '<%= config.bin %> tags --json'];

  async run(): Promise<{ tag: string; count: number }[]> {
    const { client } = await this.client();
    const tags = await client.tags();
    if (tags.length > 0) this.log(table(['TAG', 'FILES'], tags.map((t) => [t.tag, t.count])));
    return tags;
  }
}
