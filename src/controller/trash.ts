/**
 * The account's trash over the metadata store (rules and the concurrency argument: src/meta/
 * trash.ts): moving a removed entry into it, listing, restoring, emptying, and the expiry sweep
 * that really unlinks what is due. Every write is a local version built by src/meta/ops.ts and
 * stored through the namespace's `put`, inside the caller's transaction.
 */
import type { TrashItem } from '../common/api.js';
import { errors } from '../common/errors.js';
import { ROOT, normalizePath } from '../common/paths.js';
import { moveLink, newInode, newLink, type WriteStamp } from '../meta/ops.js';
import {
  compareTrashEntries, dueForExpiry, isExpired, restoreDestination, selectRestore, TRASH_INO, trashEntryOf, trashTimeLabel, type TrashEntry,
} from '../meta/trash.js';
import { newId } from '../meta/keys.js';
import type { LinkRecord, MetaRecord } from '../meta/types.js';
import type { FsView, Resolved } from './fs-view.js';
import { fileContent, type FileContent } from './entry-info.js';
import type { MetadataStore, TrashCandidate } from './metadata-store.js';

/** Expired trash entries read per store query by the sweep (trashExpiring): a bound on one read, not on the sweep. */
const SWEEP_PAGE = 500;

export interface TrashDeps {
  store: MetadataStore;
  view: FsView;
  put: <R extends MetaRecord>(build: (s: WriteStamp) => R) => R;
  now: () => number;
  /** TRASH_TTL in ms; 0: removed entries are unlinked at once */
  ttlMs: number;
  ensureParents: (owner: string, path: string) => void;
  dirChanged: (owner: string, dirIno: string) => void;
  /** an inode id based on `id` whose FUSE number no other inode of the tree has (namespace.ts) */
  freshIno: (owner: string, id: string) => string;
}

export interface Trash {
  readonly enabled: boolean;
  /** Moves the link of a removed entry (resolved at `r`) into the trash. */
  moveIn(owner: string, r: Resolved): void;
  /**
   * Keeps file `r` as it is now in the trash, as if removed at its path: the version a commit
   * about to replace its content in place (`cp` over it, O_TRUNC) would lose. A copy of the inode
   * (content, mode, owner, times; not xattrs or tags) under a new inode id, named by a new link in
   * the trash, so the chunks stay referenced; restored like any trashed file. Nothing for an empty
   * file, another kind of entry, or with the trash off.
   */
  keepVersion(owner: string, r: Resolved): void;
  list(owner: string): TrashItem[];
  /** A trashed file's content (its entry id: TrashItem.id), read without restoring it; NOT_FOUND once expired or gone. */
  file(owner: string, id: string): FileContent;
  usage(owner: string): { entries: number; bytes: number };
  restore(owner: string, path: string, to?: string): TrashItem[];
  /** Unlinks every entry (or those at or below `path`); returns how many. */
  empty(owner: string, path?: string): number;
  /**
   * The expiry sweep: unlinks up to `limit` entries that are due (dueForExpiry), one transaction
   * per owner; returns how many. It reads only expired entries (the store's index by expiry time):
   * those due, and those another controller removed that wait out `slackMs` (so at most what
   * expired in the last `slackMs`), not every entry of the trash.
   */
  sweep(limit: number, slackMs: number): number;
}

export function createTrash(d: TrashDeps): Trash {
  const { store, view, put } = d;

  function entries(owner: string): { entry: TrashEntry; link: LinkRecord }[] {
    const out: { entry: TrashEntry; link: LinkRecord }[] = [];
    for (const e of store.children(owner, TRASH_INO)) {
      const link = store.getLink(owner, e.linkId);
      const entry = link && trashEntryOf(link);
      if (link && entry) out.push({ entry, link });
    }
    return out.sort((a, b) => compareTrashEntries(a.entry, b.entry));
  }

  const live = (owner: string) => entries(owner).filter(({ entry }) => !isExpired(entry, d.now()));

  function item(owner: string, e: TrashEntry, path = e.path): TrashItem {
    const inode = store.getInode(owner, e.ino);
    return {
      path, kind: inode?.kind ?? (e.dir ? 'dir' : 'file'), size: inode?.content.v.size ?? 0, removedAtMs: e.removedAt.wallMs,
      expiresMs: e.expiresMs, time: trashTimeLabel(e.removedAt.wallMs), id: e.linkId,
    };
  }

  /** The trashed link leaves the tree for good (expiry, empty, or its file was restored under a new link). */
  function unlinkForGood(link: LinkRecord): void {
    put((s) => moveLink(link, null, link.moves[link.moves.length - 1]!.name, s));
  }

  function conflict(owner: string, e: TrashEntry, dest: string): string | undefined {
    let at: Resolved | undefined;
    try {
      at = view.resolve(owner, dest);
    } catch {
      return dest; // a middle component is no directory
    }
    if (!at) return undefined;
    return e.dir && at.inode.kind === 'dir' ? undefined : dest;
  }

  function restoreOne(owner: string, e: TrashEntry, link: LinkRecord, dest: string): boolean {
    const existing = view.resolve(owner, dest);
    if (existing) { // a directory onto a directory: what was inside it comes back into the one there
      unlinkForGood(link);
      return false;
    }
    d.ensureParents(owner, dest);
    const { dir, name } = view.parentOf(owner, dest);
    if (e.dir) put((s) => moveLink(link, dir.ino, name, s));
    else {
      // a new link, not a move: an expiry of the trashed link elsewhere cannot take the restored file away (meta/trash.ts)
      put((s) => newLink({ ...s, owner, id: newId(s.node, s.seq), ino: e.ino, dir: false, parent: dir.ino, name }));
      unlinkForGood(link);
    }
    d.dirChanged(owner, dir.ino);
    return true;
  }

  return {
    enabled: d.ttlMs > 0,
    moveIn(owner, r) {
      const link = store.getLink(owner, r.entry!.linkId)!;
      const info = { path: r.path, expiresMs: d.now() + d.ttlMs };
      put((s) => {
        const next = moveLink(link, TRASH_INO, link.id, s);
        const last = next.moves.length - 1;
        next.moves[last] = { ...next.moves[last]!, trash: info };
        return next;
      });
    },
    keepVersion(owner, r) {
      if (d.ttlMs <= 0 || r.inode.kind !== 'file' || r.inode.content.v.size === 0) return;
      const old = r.inode;
      const copy = put((s) => newInode({
        ...s, owner, ino: d.freshIno(owner, newId(s.node, s.seq)), kind: 'file', attr: old.attr.v, content: old.content.v, time: old.ctime, mtime: old.mtime.v,
      }));
      const trash = { path: r.path, expiresMs: d.now() + d.ttlMs };
      put((s) => {
        const id = newId(s.node, s.seq);
        const link = newLink({ ...s, owner, id, ino: copy.ino, dir: false, parent: TRASH_INO, name: id });
        return { ...link, moves: [{ ...link.moves[0]!, trash }] };
      });
    },
    file(owner, id) {
      const link = store.getLink(owner, id);
      const e = link && trashEntryOf(link);
      const inode = e && store.getInode(owner, e.ino);
      if (!e || !inode || isExpired(e, d.now())) throw errors.notFound(`Nothing in the trash with id ${id} (see redcloud trash ls)`);
      if (inode.kind !== 'file') throw errors.invalid(`Not a regular file in the trash: ${e.path} (${inode.kind})`, { path: e.path });
      return fileContent(view.info(owner, { path: e.path, ino: e.ino, inode }), inode.content.v);
    },
    list: (owner) => live(owner).map(({ entry }) => item(owner, entry)),
    usage(owner) {
      const all = live(owner);
      const fileBytes = (ino: string): number => { const i = store.getInode(owner, ino); return i?.kind === 'file' ? i.content.v.size : 0; };
      return { entries: all.length, bytes: all.reduce((n, { entry }) => n + fileBytes(entry.ino), 0) };
    },
    restore(owner, rawPath, rawTo) {
      const path = normalizePath(rawPath);
      const to = rawTo === undefined ? undefined : normalizePath(rawTo);
      if (to === ROOT && path !== ROOT) throw errors.invalid('Cannot restore onto /: name a path, e.g. --to /restored');
      return store.transaction(() => {
        const all = entries(owner);
        const byId = new Map(all.map((x) => [x.entry.linkId, x.link]));
        const chosen = selectRestore(all.map((x) => x.entry), path, d.now());
        if (chosen.length === 0) throw errors.notFound(`Nothing in the trash at ${path} (see redcloud trash ls)`, { path });
        const clashes = chosen.map((e) => conflict(owner, e, restoreDestination(e.path, path, to))).filter((p): p is string => p !== undefined);
        if (clashes.length > 0) {
          throw errors.exists(`Cannot restore ${path}: ${clashes[0]} exists${clashes.length > 1 ? ` (and ${clashes.length - 1} more)` : ''}; `
            + 'move it away, or restore elsewhere with --to DEST', { path: clashes[0] });
        }
        const out: TrashItem[] = [];
        for (const e of chosen) {
          const dest = restoreDestination(e.path, path, to);
          if (restoreOne(owner, e, byId.get(e.linkId)!, dest)) out.push(item(owner, e, dest));
        }
        return out;
      });
    },
    empty(owner, rawPath) {
      const path = rawPath === undefined ? ROOT : normalizePath(rawPath);
      return store.transaction(() => {
        let n = 0;
        for (const { entry, link } of entries(owner)) {
          if (path !== ROOT && entry.path !== path && !entry.path.startsWith(`${path}/`)) continue;
          unlinkForGood(link);
          n += 1;
        }
        return n;
      });
    },
    sweep(limit, slackMs) {
      const now = d.now();
      const due = new Map<string, LinkRecord[]>(); // owner → links to unlink
      let n = 0;
      let after: TrashCandidate | undefined;
      // the expired entries, a page at a time by expiry time (the store's index): those not yet
      // expired are never read; of the expired ones, dueForExpiry decides which are due here
      while (n < limit) {
        const page = store.trashExpiring(now, SWEEP_PAGE, after);
        const found: { owner: string; entry: TrashEntry; link: LinkRecord }[] = [];
        for (const c of page) {
          const link = store.getLink(c.owner, c.linkId);
          const entry = link && trashEntryOf(link);
          if (link && entry) found.push({ owner: c.owner, entry, link });
        }
        const byEntry = new Map(found.map((x) => [x.entry, x]));
        for (const e of dueForExpiry(found.map((x) => x.entry), now, store.nodeId, slackMs).slice(0, limit - n)) {
          const { owner, link } = byEntry.get(e)!;
          due.set(owner, [...(due.get(owner) ?? []), link]);
          n += 1;
        }
        if (page.length < SWEEP_PAGE) break;
        after = page[page.length - 1];
      }
      for (const links of due.values()) store.transaction(() => { for (const link of links) unlinkForGood(link); });
      return n;
    },
  };
}
