/** `redcloud trash restore PATH [--to DEST]`: brings back a removed file or directory tree. */
import { Args, Flags } from '@oclif/core';
import type { TrashItem } from '../../../src/common/api.js';
import { BaseCommand } from '../../base.js';
import { remotePath } from '../../lib/remote.js';

export default class TrashRestore extends BaseCommand<typeof TrashRestore> {
  static override summary = 'Bring back a removed file or directory (with everything that was in it).';
  static override description = 'Restores the newest trash entry at PATH and every entry that was below it, to where they were '
    + '(missing parent directories are made) or below --to DEST. If anything is in the way, nothing is restored and the '
    + 'command names it (exit 5): move it away, or restore elsewhere with --to.';
  static override examples = [
    '<%= config.bin %> trash restore /photos/2024',
    '<%= config.bin %> trash restore /notes.txt --to /notes-yesterday.txt',
    '<%= config.bin %> trash restore /photos --to /photos-restored',
  ];
  static override args = {
    path: Args.string({ description: 'The path it had when it was removed (see redcloud trash ls).', required: true }),
  };
  static override flags = {
    to: Flags.string({ description: 'Restore to this path instead of where it was.' }),
  };

  async run(): Promise<TrashItem[]> {
    const { client } = await this.client();
    const to = this.flags.to !== undefined ? remotePath(this.flags.to) : undefined;
    const restored = await client.trashRestore!(remotePath(this.args.path), { to });
    const files = restored.filter((i) => i.kind !== 'dir').length;
    this.log(`Restored ${remotePath(this.args.path)}${to ? ` to ${to}` : ''} (${files} file${files === 1 ? '' : 's'}, ${restored.length - files} director${restored.length - files === 1 ? 'y' : 'ies'})`);
    return restored;
  }
}
