/**
 * `redcloud umount DIR`: asks the mount process to upload what is still staged and unmount
 * (SIGTERM via its pid file), waits for the mount to go, and falls back to fusermount -u
 * (--force: lazy fusermount -uz) when no live process serves it.
 */
import { Args, Command, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { fusermount, isAlive, isMounted, pollUntil, readPidFile } from '../../fuse/mounts.js';

const STOP_TIMEOUT_MS = 130_000;

export default class Umount extends Command {
  static override summary = 'Unmount a RedCloud mount, uploading pending changes first.';
  static override examples = ['<%= config.bin %> umount ~/cloud', '<%= config.bin %> umount ~/cloud --force'];
  static override args = { dir: Args.string({ required: true, description: 'mountpoint' }) };
  static override flags = {
    force: Flags.boolean({ default: false, description: 'lazy unmount even if busy or the process is gone (pending changes may be lost)' }),
  };
  static override enableJsonFlag = true;

  async run(): Promise<{ mountpoint: string; unmounted: boolean }> {
    const { args, flags } = await this.parse(Umount);
    const dir = resolve(args.dir);
    if (!(await isMounted(dir))) this.error(`${dir} is not mounted`, { exit: 4 });
    const pid = await readPidFile(dir);
    if (pid !== undefined && isAlive(pid) && !flags.force) {
      process.kill(pid, 'SIGTERM');
      const gone = await pollUntil(async () => !(await isMounted(dir)), STOP_TIMEOUT_MS, 200);
      if (!gone) this.error(`Mount process ${pid} did not unmount ${dir}; retry with --force`, { exit: 8 });
    } else {
      try {
        await fusermount([flags.force ? '-uz' : '-u', dir]);
      } catch (err) {
        this.error(`${(err as Error).message}${flags.force ? '' : ' (busy? retry with --force)'}`, { exit: 8 });
      }
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGTERM');
    }
    this.log(`Unmounted ${dir}`);
    return { mountpoint: dir, unmounted: true };
  }
}
