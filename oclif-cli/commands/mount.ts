/**
 * `redcloud mount DIR`: mounts the logged-in user's tree. Without --foreground it starts
 * bin/redcloud-mount.js detached, waits until the mount is live (or the child failed) and returns;
 * a dead cluster gives a clear error, a non-zero exit and no mount left behind.
 */
import { Args, Command, Flags } from '@oclif/core';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheDir, MOUNT_FLAG_DEFAULTS } from '../../fuse/args.js';
import { main } from '../../fuse/main.js';
import { isMounted, pollUntil } from '../../fuse/mounts.js';

const MOUNT_BIN = fileURLToPath(new URL('../../../bin/redcloud-mount.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export default class Mount extends Command {
  static override summary = 'Mount your RedCloud tree as a local directory (FUSE).';
  static override examples = [
    '<%= config.bin %> mount ~/cloud',
    '<%= config.bin %> mount ~/cloud --cache-size 1GiB --read-ahead 8',
    '<%= config.bin %> mount ~/cloud --disk-cache-size 50GiB',
    '<%= config.bin %> mount /mnt/rc --foreground',
    'sudo <%= config.bin %> mount /srv/shared --allow-other   # other local users, checked by the kernel (mode, owner, group)',
    '<%= config.bin %> mount ~/cloud --kernel-attr-ttl 0      # every stat asks the mount (changes from other mounts show sooner)',
    '<%= config.bin %> mount ~/cloud && ls ~/cloud/.tags/holiday/2024   # files tagged holiday and 2024, as symlinks',
    '<%= config.bin %> mount ~/cloud --tags-dir _tags --tags-read-only',
  ];
  static override args = { dir: Args.string({ required: true, description: 'mountpoint (created if missing)' }) };
  static override flags = {
    foreground: Flags.boolean({ char: 'f', default: false, description: 'serve the mount in this process until Ctrl-C' }),
    'cache-size': Flags.string({ default: MOUNT_FLAG_DEFAULTS.cacheSize, description: 'bytes of the chunk read cache in RAM' }),
    'disk-cache-size': Flags.string({
      default: MOUNT_FLAG_DEFAULTS.diskCacheSize,
      description: 'bytes of the on-disk chunk cache under the cache dir, kept across mounts (0 disables it)',
    }),
    'read-ahead': Flags.string({ default: MOUNT_FLAG_DEFAULTS.readAhead, description: 'chunks fetched ahead of sequential reads' }),
    'write-behind': Flags.string({
      default: MOUNT_FLAG_DEFAULTS.writeBehind,
      description: 'whole chunks of a file being written that are uploaded in the background at once (0: upload everything at close)',
    }),
    'cache-dir': Flags.string({ description: 'directory of staged writes and the disk chunk cache (default ~/.cache/redcloud/<mountpoint>)' }),
    controllers: Flags.string({ description: 'controller URLs, comma-separated (overrides the saved list)' }),
    'allow-other': Flags.boolean({
      default: false,
      description: 'let other local users (and root) use the mount; the kernel checks their access against the stored mode, uid and gid (needs root or user_allow_other in /etc/fuse.conf)',
    }),
    'attr-ttl': Flags.string({ default: MOUNT_FLAG_DEFAULTS.attrTtl, description: "how long the mount caches a name's attributes and listings" }),
    'kernel-attr-ttl': Flags.string({
      description: 'how long the kernel caches attributes (default 1s; files with several names are never cached, so all their names show a change at once)',
    }),
    'tags-dir': Flags.string({
      description: 'name of the hidden tag-query directory at the root (default REDCLOUD_TAGS_DIR or .tags; "" turns it off)',
    }),
    'show-tags-dir': Flags.boolean({ default: false, description: 'list the tag directory in the root (by default only reached by name)' }),
    'tags-read-only': Flags.boolean({ default: false, description: 'ln -s, rm and mkdir in the tag directory are refused (EROFS) instead of changing tags' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<{ mountpoint: string; pid: number }> {
    const { args, flags } = await this.parse(Mount);
    const argv = [
      args.dir, '--cache-size', flags['cache-size'], '--disk-cache-size', flags['disk-cache-size'], '--read-ahead', flags['read-ahead'],
      '--write-behind', flags['write-behind'],
    ];
    if (flags['cache-dir']) argv.push('--cache-dir', flags['cache-dir']);
    if (flags.controllers) argv.push('--controllers', flags.controllers);
    argv.push('--attr-ttl', flags['attr-ttl']);
    if (flags['kernel-attr-ttl'] !== undefined) argv.push('--kernel-attr-ttl', flags['kernel-attr-ttl']);
    if (flags['allow-other']) argv.push('--allow-other');
    if (flags['tags-dir'] !== undefined) argv.push('--tags-dir', flags['tags-dir']);
    if (flags['tags-read-only']) argv.push('--tags-read-only');
    if (flags['show-tags-dir']) argv.push('--show-tags-dir');
    if (flags.foreground) {
      const code = await main(argv);
      if (code !== 0) this.exit(code);
      return { mountpoint: args.dir, pid: process.pid };
    }
    const cacheDir = flags['cache-dir'] ?? defaultCacheDir(args.dir);
    mkdirSync(cacheDir, { recursive: true });
    const logFile = join(cacheDir, 'mount.log');
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [MOUNT_BIN, ...argv], { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let exitCode: number | null = null;
    child.on('exit', (code) => { exitCode = code ?? 1; });
    const live = await pollUntil(async () => exitCode !== null || (await isMounted(args.dir)), START_TIMEOUT_MS);
    if (exitCode !== null || !live) {
      if (exitCode === null) child.kill('SIGTERM');
      const tail = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('redcloud-mount:')).slice(-1)[0];
      this.error(tail ?? `Mount of ${args.dir} did not come up within ${START_TIMEOUT_MS / 1000} s (log: ${logFile})`, { exit: exitCode || 1 });
    }
    child.unref();
    this.log(`Mounted ${args.dir} (pid ${child.pid}, log ${logFile})`);
    return { mountpoint: args.dir, pid: child.pid! };
  }
}
