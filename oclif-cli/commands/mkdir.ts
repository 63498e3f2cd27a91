/** `redcloud mkdir PATH [-p]`: creates a directory. */
import { Args, Flags } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { remotePath } from '../lib/remote.js';

export default class Mkdir extends BaseCommand<typeof Mkdir> {
  static override summary = 'Create a directory.';
  static override description = 'Creates PATH. With -p, missing parents are created and an existing directory is not an error.';
  static override examples = ['<%= config.bin %> mkdir photos', '<%= config.bin %> mkdir -p /photos/2024/summer'];
  static override args = { path: Args.string({ description: 'Remote directory (relative to "/").', required: true }) };
  static override flags = { parents: Flags.boolean({ char: 'p', description: 'Create parents; no error if it exists.' }) };

  async run(): Promise<EntryInfo> {
    const { client } = await this.client();
    const path = remotePath(this.args.path);
    const entry = await client.mkdir(path, { parents: this.flags.parents }).catch(async (err: unknown) => {
      if (!this.flags.parents || (err as { code?: string }).code !== 'EXISTS') throw err;
      const st = await client.stat(path);
      if (st.kind !== 'dir') throw err;
      return st;
    });
    this.log(`Created ${entry.path}`);
    return entry;
  }
}
