/** `redcloud add FILE… -- TAG…`: uploads files, each tagged with every TAG. */
import { basename } from 'node:path';
import { Args } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { errors } from '../../src/common/errors.js';
import { BaseCommand } from '../base.js';
import { progressBar } from '../lib/progress.js';
import { remotePath } from '../lib/remote.js';
import { TAG_LIMITS_TEXT } from '../lib/usage.js';

export default class Add extends BaseCommand<typeof Add> {
  static override summary = 'Upload files with tags.';
  static override description = `Uploads each FILE to /<basename> and tags it with every TAG given after "--"; a file it replaces goes to the trash (redcloud trash ls). ${TAG_LIMITS_TEXT}`;
  static override examples = ['<%= config.bin %> add a.jpg b.jpg -- holiday 2024'];
  static override strict = false;
  static override args = { files: Args.string({ description: 'Local files, then "--", then tags.', required: true }) };

  async run(): Promise<EntryInfo[]> {
    const { before: files, after: tags } = this.splitOnDashDash();
    if (files.length === 0) throw errors.invalid('Give at least one file');
    const { client } = await this.client();
    const out: EntryInfo[] = [];
    for (const file of files) {
      const bar = progressBar(this.interactive(), basename(file));
      try {
        const entry = await client.uploadFile(file, remotePath(basename(file)), { tags, onProgress: bar.update, signal: this.signal });
        bar.stop();
        this.log(`Uploaded ${file} to ${entry.path}${tags.length ? ` [${tags.join(',')}]` : ''}`);
        out.push(entry);
      } finally {
        bar.stop();
      }
    }
    return out;
  }
}
