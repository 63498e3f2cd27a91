/**
 * Inode ids this mount chooses for the files it creates in a burst (a loop of creates: tar, cp -r,
 * git checkout), so such a create is one controller request, its first commit, instead of an
 * empty mknod and then the commit. The id (`m` + 12 hex digits of this mount + `.` + a counter,
 * NEW_INO_RE) gives the inode number programs see from open on (keys.ts inoNumber, the same hash
 * the controller computes), and travels as CommitRequest.newIno. A lone create still asks the
 * controller first (mknod), so a name another client took meanwhile fails it with EEXIST.
 *
 * In a burst the name is checked against this mount's cache only: if another client created it
 * since, the commit writes into that file and the controller keeps the version it replaced in the
 * trash (nothing is lost). A commit answered with another number (a controller that keeps no
 * mount-chosen ids, a number taken, a name taken) turns the bursts off for this mount: the file's
 * number changes at that first commit, as it did with controllers that had no mknod.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../src/common/logger.js';
import { inoNumber } from '../src/meta/keys.js';
import { BURST_WINDOW_MS, BurstClock } from './unlink-behind.js';

export interface ChosenIno {
  id: string;
  /** the number stat shows (inoNumber of the id) */
  number: number;
}

export class NewInos {
  private readonly prefix = `m${randomBytes(6).toString('hex')}`;
  private counter = 0;
  private readonly clock: BurstClock;
  private off = false;

  constructor(nowMs: () => number, private readonly logger: Logger) {
    this.clock = new BurstClock(nowMs);
  }

  /** For a create now: an id when it comes within BURST_WINDOW_MS of the previous create (and bursts are on), else undefined. */
  take(): ChosenIno | undefined {
    const burst = this.clock.tick() <= BURST_WINDOW_MS;
    if (!burst || this.off) return undefined;
    const id = `${this.prefix}.${(this.counter++).toString(36)}`;
    return { id, number: inoNumber(id) };
  }

  /** The first commit of a file created with `chosen` was answered with inode number `got`. */
  committed(chosen: ChosenIno, got: number | undefined): void {
    if (got === undefined || got === chosen.number || this.off) return;
    this.off = true;
    this.logger.info({ chosen: chosen.id, got }, 'A create in a burst got another inode number than it chose; creates ask the controller first from now on');
  }
}
