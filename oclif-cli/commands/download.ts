/** `redcloud download NAME [DEST]`: downloads a file (verified, written atomically). */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Args } from '@oclif/core';
import { clientSchema, loadConfig } from '../../src/common/config.js';
import type { EntryInfo } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { progressBar } from '../lib/progress.js';
import { baseName, remotePath } from '../lib/remote.js';

export default class Download extends BaseCommand<typeof Download> {
  static override summary = 'Download a file.';
  static override description = 'Downloads NAME to DEST (default ./<basename>, or $REDCLOUD_DOWNLOAD_DIR/<basename> when that directory exists; into DEST/<basename> when DEST is a directory). Chunks are verified by hash and fetched from another replica when one is bad; DEST appears only once the whole file is there.';
  static override examples = ['<%= config.bin %> download report.pdf', '<%= config.bin %> download /docs/report.pdf ~/Downloads/'];
  static override args = {
    name: Args.string({ description: 'Remote file (relative to "/").', required: true }),
    dest: Args.string({ description: 'Local file or directory.' }),
  };

  async run(): Promise<EntryInfo & { localPath: string }> {
    const { client } = await this.client();
    const from = remotePath(this.args.name);
    let dest = this.args.dest ?? (await defaultDest(baseName(from)));
    const st = await stat(dest).catch(() => undefined);
    if (st?.isDirectory()) dest = join(dest, baseName(from));
    const bar = progressBar(this.interactive(), baseName(from));
    try {
      const entry = await client.downloadFile(from, dest, { onProgress: bar.update });
      bar.stop();
      this.log(`Downloaded ${entry.path} to ${dest} (${entry.size} bytes)`);
      return { ...entry, localPath: dest };
    } finally {
      bar.stop();
    }
  }
}

/** ./<basename>, or <REDCLOUD_DOWNLOAD_DIR>/<basename> when that directory exists (the CLI image's /downloads). */
async function defaultDest(base: string): Promise<string> {
  const dir = loadConfig(clientSchema).downloadDir;
  if (dir && (await stat(dir).catch(() => undefined))?.isDirectory()) return join(dir, base);
  return base;
}
