/** `redcloud ls [PATH] [--tag T…] [--long]`: a directory's entries, or the files carrying tags. */
import { Args, Flags } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { entryLine } from '../lib/format.js';
import { baseName, remotePath } from '../lib/remote.js';

export default class Ls extends BaseCommand<typeof Ls> {
  static override summary = 'List a directory.';
  static override description = 'Lists the entries of PATH (default "/"). With --tag, lists the files under PATH that carry every given tag.';
  static override examples = ['<%= config.bin %> ls', '<%= config.bin %> ls /photos --long', '<%= config.bin %> ls --tag holiday --tag 2024', '<%= config.bin %> ls --snapshot before-cleanup /photos'];
  static override args = { path: Args.string({ description: 'Remote directory or file (relative to "/").', default: '/' }) };
  static override flags = {
    tag: Flags.string({ char: 't', description: 'Only files carrying this tag (repeatable).', multiple: true }),
    snapshot: Flags.string({ description: 'Read snapshot NAME (see `redcloud snapshot ls`) instead of the live tree; paths are relative to its root.' }),
    long: Flags.boolean({ char: 'l', description: 'Mode, links, owner uid and gid, size, modification time and tags (as ls -ln).' }),
  };

  async run(): Promise<EntryInfo[]> {
    const { client } = await this.client();
    const path = remotePath(this.args.path);
    let entries: EntryInfo[];
    let byPath = false;
    if (this.flags.tag && this.flags.tag.length > 0) {
      entries = await client.find(this.flags.tag, { under: path });
      byPath = true;
    } else {
      const st = await client.stat(path);
      entries = st.kind === 'dir' ? await client.list(path) : [st];
      byPath = st.kind !== 'dir';
    }
    for (const e of entries) this.log(entryLine(e, Boolean(this.flags.long), byPath ? e.path : baseName(e.path)));
    return entries;
  }
}
