/** `redcloud upload FILE [TAG…] [--to PATH]`: uploads a local file (default remote path /<basename>). */
import { basename } from 'node:path';
import { Args, Flags } from '@oclif/core';
import type { EntryInfo } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { progressBar } from '../lib/progress.js';
import { remotePath } from '../lib/remote.js';
import { TAG_CHARS_MAX, TAGS_PER_CALL_MAX } from '../../src/common/api.js';
import { TAG_LIMITS_TEXT } from '../lib/usage.js';

export default class Upload extends BaseCommand<typeof Upload> {
  static override summary = 'Upload a file, optionally with tags.';
  static override description = `Uploads FILE in chunks to the chunkservers and commits it at --to (default /<basename of FILE>), replacing any previous version only once every chunk is stored; the replaced version goes to the trash (redcloud trash ls, TRASH_TTL). Extra arguments are tags. ${TAG_LIMITS_TEXT} Ctrl-C stops it before the commit: nothing is replaced.`;
  static override examples = ['<%= config.bin %> upload report.pdf', '<%= config.bin %> upload report.pdf work 2024', '<%= config.bin %> upload report.pdf --to /docs/report.pdf'];
  static override strict = false;
  static override args = {
    file: Args.string({ description: 'Local file to upload.', required: true }),
    tags: Args.string({ description: `Tags to attach: up to ${TAGS_PER_CALL_MAX}, each 1 to ${TAG_CHARS_MAX} characters.` }),
  };
  static override flags = { to: Flags.string({ description: 'Remote path (relative to "/"); default /<basename>.' }) };

  async run(): Promise<EntryInfo> {
    const { client } = await this.client();
    const [file, ...tags] = this.rest;
    const to = remotePath(this.flags.to ?? basename(file!));
    const bar = progressBar(this.interactive(), basename(file!));
    try {
      const entry = await client.uploadFile(file!, to, { tags, onProgress: bar.update, signal: this.signal });
      bar.stop();
      this.log(`Uploaded ${file} to ${entry.path} (${entry.size} bytes)`);
      return entry;
    } finally {
      bar.stop();
    }
  }
}
