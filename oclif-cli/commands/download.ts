/** `redcloud download NAME [DEST|-]`: downloads a file (verified, written atomically), or to stdout with "-". */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { clientSchema, loadConfig } from '../../src/common/config.js';
import type { EntryInfo } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { progressBar } from '../lib/progress.js';
import { baseName, remotePath } from '../lib/remote.js';
import { downloadToStream } from '../lib/to-stream.js';
import { errors } from '../../src/common/errors.js';

export default class Download extends BaseCommand<typeof Download> {
  static override summary = 'Download a file.';
  static override description = 'Downloads NAME to DEST (default ./<basename>, or $REDCLOUD_DOWNLOAD_DIR/<basename> when that directory exists; into DEST/<basename> when DEST is a directory); DEST "-" writes the bytes to stdout (progress, if any, on stderr). Chunks are verified by hash and fetched from another replica when one is bad; DEST appears only once the whole file is there.';
  static override examples = ['<%= config.bin %> download report.pdf', '<%= config.bin %> download /docs/report.pdf ~/Downloads/', '<%= config.bin %> download notes.txt - | less', '<%= config.bin %> download --snapshot before-cleanup /photos/cat.jpg old-cat.jpg'];
  static override flags = {
    snapshot: Flags.string({ description: 'Read snapshot NAME (see `redcloud snapshot ls`) instead of the live tree; paths are relative to its root.' }),
  };
  static override args = {
    name: Args.string({ description: 'Remote file to download, relative to "/".', required: true }),
    dest: Args.string({ description: 'Local file or directory, or "-" for stdout.' }),
  };

  async run(): Promise<EntryInfo & { localPath: string }> {
    const { client } = await this.client();
    const from = remotePath(this.args.name);
    if (this.args.dest === '-') return this.toStdout(client, from);
    let dest = this.args.dest ?? (await defaultDest(baseName(from)));
    const st = await stat(dest).catch(() => undefined);
    if (st?.isDirectory()) dest = join(dest, baseName(from));
    const bar = progressBar(this.interactive(), baseName(from));
    try {
      const entry = await client.downloadFile(from, dest, { onProgress: bar.update, signal: this.signal });
      bar.stop();
      this.log(`Downloaded ${entry.path} to ${dest} (${entry.size} bytes)`);
      return { ...entry, localPath: dest };
    } finally {
      bar.stop();
    }
  }

  /** The bytes on stdout, nothing else there: the bar goes to stderr when that is a terminal. */
  private async toStdout(client: Parameters<typeof downloadToStream>[0], from: string): Promise<EntryInfo & { localPath: string }> {
    if (this.jsonEnabled()) throw errors.invalid('--json cannot be combined with DEST "-" (the file\'s bytes go to stdout)');
    const bar = progressBar(Boolean(process.stderr.isTTY) && !process.stdout.isTTY, baseName(from), process.stderr);
    try {
      const entry = await downloadToStream(client, from, process.stdout, { onProgress: bar.update, signal: this.signal });
      return { ...entry, localPath: '-' };
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
