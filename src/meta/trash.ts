/**
 * The trash of an account — pure rules, no I/O (the namespace's trash.ts does the writes).
 *
 * A removed entry (unlink, rmdir, the target of a rename) is not moved out of the tree but into
 * the account's trash directory `TRASH_INO`, an inode id no record has and no path reaches: the
 * link keeps naming its inode, so the inode, its record and its chunks stay referenced (GC and
 * tombstone collection leave them alone) until the entry expires. The move carries `trash`: the
 * path the entry had and when it expires (the removing controller's TRASH_TTL, so every controller
 * agrees). Its name in the trash is the link id, unique, so entries never compete for names.
 * Directories only ever go there empty (rm -r removes the children first, one by one), so a
 * directory in the trash with something inside got it concurrently and is revived (tree.ts).
 *
 * Concurrency across controllers, and why it converges:
 * - **Expiry** is a write any controller may make once `expiresMs` has passed (dueForExpiry): the
 *   link moves out of the tree (an unlink). Two controllers expiring one entry write the same move
 *   (parent null, same name): the merge keeps the later, the result is the same.
 * - **Restore** of a file never moves the trashed link: it gives the inode a *new* link at the
 *   destination and unlinks the trashed one. A concurrent expiry on another controller only
 *   unlinks the trashed link too, so the restored file survives whatever the stamps are. A
 *   directory has one link, so its restore moves it; a concurrent expiry stamped later unlinks it
 *   again, and the revive rule (tree.ts) puts it back at the restored place as soon as anything is
 *   inside (an empty restored directory may be lost to that race, nothing else).
 * - A restore is refused once the restoring controller sees the entry expired, so no restore
 *   starts after every controller may have expired it.
 */
import { compareHlc } from './hlc.js';
import type { Hlc, LinkRecord, Move, TrashInfo } from './types.js';

/** The trash directory's inode id in every account (no inode record; never reachable from the root). */
export const TRASH_INO = 'trash';

export interface TrashEntry {
  linkId: string;
  ino: string;
  dir: boolean;
  /** the path it had when removed */
  path: string;
  /** stamp of the removal */
  removedAt: Hlc;
  expiresMs: number;
}

/** The move that put a link into the trash: its latest move into the trash, if it is the latest move of all. */
export function trashMoveOf(link: Pick<LinkRecord, 'moves'>): (Move & { trash: TrashInfo }) | undefined {
  const last = link.moves[link.moves.length - 1];
  return last && last.parent === TRASH_INO && last.trash ? (last as Move & { trash: TrashInfo }) : undefined;
}

/** The entry a link placed in the trash stands for (undefined if its latest move is not into the trash). */
export function trashEntryOf(link: Pick<LinkRecord, 'id' | 'ino' | 'dir' | 'moves'>): TrashEntry | undefined {
  const m = trashMoveOf(link);
  if (!m) return undefined;
  return { linkId: link.id, ino: link.ino, dir: link.dir, path: m.trash.path, removedAt: m.at, expiresMs: m.trash.expiresMs };
}

/** Newest first (by removal stamp, then link id): the order of `trash ls`. */
export function compareTrashEntries(a: TrashEntry, b: TrashEntry): number {
  return compareHlc(b.removedAt, a.removedAt) || (a.linkId < b.linkId ? -1 : a.linkId > b.linkId ? 1 : 0);
}

export const isExpired = (e: Pick<TrashEntry, 'expiresMs'>, nowMs: number): boolean => e.expiresMs <= nowMs;

/**
 * The entries the sweep of controller `self` unlinks now: those expired, the ones this controller
 * removed at once, the others `slackMs` later (their own controller usually does it first; if it
 * is gone for good, everyone else does). Expiring twice is harmless (see the header). Oldest first.
 */
export function dueForExpiry(entries: readonly TrashEntry[], nowMs: number, self: string, slackMs: number): TrashEntry[] {
  return entries
    .filter((e) => isExpired(e, nowMs) && (e.removedAt.node === self || e.expiresMs + slackMs <= nowMs))
    .sort((a, b) => compareTrashEntries(b, a));
}

const under = (path: string, base: string): boolean => path === base || base === '/' || path.startsWith(`${base}/`);

/**
 * What `trash restore PATH` brings back: every entry not yet expired whose path is PATH or below
 * it; of several with one path (removed, recreated, removed again) the newest. Parents first
 * (a directory before what was inside it), so each entry's directory exists when it arrives.
 */
export function selectRestore(entries: readonly TrashEntry[], path: string, nowMs: number): TrashEntry[] {
  const newest = new Map<string, TrashEntry>();
  for (const e of entries) {
    if (isExpired(e, nowMs) || !under(e.path, path)) continue;
    const seen = newest.get(e.path);
    if (!seen || compareTrashEntries(e, seen) < 0) newest.set(e.path, e);
  }
  return [...newest.values()].sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const depth = (path: string): number => path.split('/').length;

/** Where an entry removed at `entryPath` goes when PATH `from` is restored to `to` (default: where it was). */
export function restoreDestination(entryPath: string, from: string, to?: string): string {
  if (to === undefined) return entryPath;
  const rest = from === '/' ? entryPath : entryPath.slice(from.length);
  if (rest === '') return to;
  return to === '/' ? rest : `${to}${rest}`;
}

/** The `<time>` directory an entry shows under in `.trash/`: the second of its removal, UTC (`2026-12-01T14:03:07Z`). */
export function trashTimeLabel(removedAtMs: number): string {
  return `${new Date(Math.floor(removedAtMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}
