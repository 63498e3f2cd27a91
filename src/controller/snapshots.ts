/**
 * Snapshots over the metadata store (the rules and the safety argument are in src/meta/snapshot.ts):
 * create copies the records of a directory's subtree into a snapshot tree of their own, in one
 * transaction, and adds its catalog entry to the account's root; remove unlinks every entry of a
 * snapshot tree (its chunks are then unreferenced, and GC frees them behind the usual gate) and
 * drops its catalog entry; restore copies a snapshot tree back into the account's tree as new
 * inodes (sharing the chunks); diff compares two snapshots, or a snapshot and the live directory it
 * was taken of. Costs are one record per entry, never a byte of file data.
 */
import type { EntryInfo } from '../common/api.js';
import { errors } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { ROOT, normalizePath } from '../common/paths.js';
import type { SnapshotChange, SnapshotInfo } from '../common/snapshot-api.js';
import { ROOT_INO, inoNumber, newId } from '../meta/keys.js';
import { changeInode, moveLink, type WriteStamp } from '../meta/ops.js';
import { tsFromMs } from '../meta/register.js';
import {
  SNAPSHOT_ENTRIES_MAX, SNAPSHOTS_MAX, assertSnapshotName, catalog, copyInode, copyLink, diffTrees, encodeMeta, itemSig, snapshotOwner,
  snapshotXattr, type ShownSnapshot, type TreeItem,
} from '../meta/snapshot.js';
import type { MetaRecord } from '../meta/types.js';
import { createFsView } from './fs-view.js';
import type { MetadataStore } from './metadata-store.js';

export interface Snapshots {
  create(user: string, path: string, name: string): SnapshotInfo;
  list(user: string): SnapshotInfo[];
  /** entries unlinked */
  remove(user: string, name: string): number;
  restore(user: string, name: string, to?: string): EntryInfo;
  /** from snapshot `a` to snapshot `b`, or to the live directory `a` was taken of */
  diff(user: string, a: string, b?: string): SnapshotChange[];
  /** the owner of snapshot `name`'s records (NOT_FOUND if the account has none by that name) */
  ownerOf(user: string, name: string): string;
}

const joinPath = (dir: string, name: string): string => (dir === ROOT ? `/${name}` : `${dir}/${name}`);

const infoOf = (m: ShownSnapshot): SnapshotInfo => ({
  name: m.shown, id: m.id, source: m.source, takenAt: m.takenAt, takenAtMs: m.takenAt.wallMs, node: m.takenAt.node, entries: m.entries,
});

export function createSnapshots(c: { store: MetadataStore; logger: Logger; now: () => number }): Snapshots {
  const { store } = c;
  const view = createFsView(store);
  const put = <R extends MetaRecord>(build: (s: WriteStamp) => R): R => {
    const s = store.nextStamp();
    const r = build(s);
    store.applyLocal(r, s.seq);
    return r;
  };
  const shown = (user: string): ShownSnapshot[] => catalog(view.inode(user, ROOT_INO)!.xattrs);
  function find(user: string, name: string): ShownSnapshot {
    const m = shown(user).find((x) => x.shown === name);
    if (!m) throw errors.notFound(`No snapshot named ${name} (redcloud snapshot ls lists them)`, { snapshot: name });
    return m;
  }
  const setCatalog = (user: string, id: string, value: string | null): void => {
    const t = tsFromMs(c.now());
    put((s) => changeInode(view.inode(user, ROOT_INO)!, { xattrs: { [snapshotXattr(id)]: value } }, s, t));
  };

  /** Every entry below directory `rootIno` of `owner`, parents first (bounded). */
  function* walk(owner: string, rootIno: string, rootPath = ROOT) {
    const queue: { ino: string; path: string }[] = [{ ino: rootIno, path: rootPath }];
    let n = 0;
    for (let i = 0; i < queue.length; i++) {
      const dir = queue[i]!;
      for (const e of store.children(owner, dir.ino)) {
        if (++n > SNAPSHOT_ENTRIES_MAX) throw errors.tooLarge(`More than ${SNAPSHOT_ENTRIES_MAX} entries under ${rootPath}`);
        const path = joinPath(dir.path, e.name);
        yield { e, path, parent: dir.ino };
        if (e.dir) queue.push({ ino: e.ino, path });
      }
    }
  }

  function create(user: string, rawPath: string, rawName: string): SnapshotInfo {
    const name = assertSnapshotName(rawName);
    const path = normalizePath(rawPath);
    return store.transaction(() => {
      const have = shown(user);
      if (have.some((m) => m.shown === name)) throw errors.exists(`A snapshot named ${name} exists (remove it first: redcloud snapshot rm ${name})`, { snapshot: name });
      if (have.length >= SNAPSHOTS_MAX) throw errors.noSpace(`At most ${SNAPSHOTS_MAX} snapshots per account; remove some first`);
      const src = view.mustResolve(user, path);
      if (src.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${path} (snapshots copy directory trees)`, { path });
      const seen = store.digest();
      let id = '';
      let owner = '';
      const root = put((s) => {
        id = newId(s.node, s.seq);
        owner = snapshotOwner(user, id);
        return copyInode(src.inode, owner, ROOT_INO, s);
      });
      const copied = new Set<string>([src.ino]);
      const snapIno = (ino: string): string => (ino === src.ino ? ROOT_INO : ino);
      let entries = 0;
      for (const { e, parent } of walk(user, src.ino)) {
        const inode = store.getInode(user, e.ino);
        if (!inode) continue;
        if (!copied.has(e.ino)) {
          copied.add(e.ino);
          put((s) => copyInode(inode, owner, e.ino, s));
        }
        put((s) => copyLink(owner, e.linkId, e.ino, e.dir, snapIno(parent), e.name, s));
        entries++;
      }
      const meta = { id, name, source: path, takenAt: root.hlc, seen, entries };
      setCatalog(user, id, encodeMeta(meta));
      c.logger.info({ user, snapshot: name, id, source: path, entries }, 'Snapshot taken');
      return infoOf({ ...meta, shown: name });
    });
  }

  function remove(user: string, name: string): number {
    return store.transaction(() => {
      const m = find(user, name);
      const owner = snapshotOwner(user, m.id);
      const all = [...walk(owner, ROOT_INO)];
      // children before their directories: a half-applied removal seen by a peer never shows a file without its directory
      for (const { e } of all.reverse()) {
        const link = store.getLink(owner, e.linkId);
        if (link) put((s) => moveLink(link, null, e.name, s));
      }
      setCatalog(user, m.id, null);
      c.logger.info({ user, snapshot: name, id: m.id, entries: all.length }, 'Snapshot removed');
      return all.length;
    });
  }

  /** An inode id of `owner`'s tree whose FUSE number no other inode has (namespace.ts freshIno). */
  function freshIno(owner: string, id: string): string {
    let ino = id;
    for (let k = 1; store.inoOfNumber(owner, inoNumber(ino)) !== undefined; k++) ino = `${id}~${k}`;
    return ino;
  }

  function restore(user: string, name: string, rawTo?: string): EntryInfo {
    return store.transaction(() => {
      const m = find(user, name);
      const owner = snapshotOwner(user, m.id);
      const to = normalizePath(rawTo ?? m.source);
      if (view.resolve(user, to)) throw errors.exists(`${to} exists: restore elsewhere with --to PATH, or move it away first`, { path: to });
      const { dir, name: base } = view.parentOf(user, to);
      const made = new Map<string, string>(); // snapshot ino → new ino
      const copy = (ino: string): string => {
        const known = made.get(ino);
        if (known) return known;
        const src = view.inode(owner, ino)!;
        const r = put((s) => copyInode(src, user, freshIno(user, newId(s.node, s.seq)), s));
        made.set(ino, r.ino);
        return r.ino;
      };
      const rootIno = copy(ROOT_INO);
      put((s) => copyLink(user, newId(s.node, s.seq), rootIno, true, dir.ino, base, s));
      for (const { e, parent } of walk(owner, ROOT_INO)) {
        if (!store.getInode(owner, e.ino)) continue;
        const ino = copy(e.ino);
        put((s) => copyLink(user, newId(s.node, s.seq), ino, e.dir, made.get(parent)!, e.name, s));
      }
      const t = tsFromMs(c.now());
      put((s) => changeInode(view.inode(user, dir.ino)!, { mtime: t }, s, t));
      c.logger.info({ user, snapshot: name, to, entries: made.size - 1 }, 'Snapshot restored');
      return view.info(user, view.mustResolve(user, to));
    });
  }

  function items(owner: string, rootIno: string): Map<string, TreeItem> {
    const out = new Map<string, TreeItem>();
    for (const { e, path } of walk(owner, rootIno)) {
      const inode = store.getInode(owner, e.ino);
      if (inode) out.set(path, { ino: e.ino, kind: inode.kind, sig: itemSig(inode) });
    }
    return out;
  }

  function diff(user: string, a: string, b?: string): SnapshotChange[] {
    const ma = find(user, a);
    const before = items(snapshotOwner(user, ma.id), ROOT_INO);
    let after: Map<string, TreeItem>;
    if (b !== undefined) {
      after = items(snapshotOwner(user, find(user, b).id), ROOT_INO);
    } else {
      const live = view.resolve(user, ma.source);
      if (live && live.inode.kind !== 'dir') throw errors.notDir(`${ma.source} is no longer a directory`, { path: ma.source });
      // the live tree's inode ids are the ones the snapshot copied
      after = live ? items(user, live.ino) : new Map();
    }
    return diffTrees(before, after);
  }

  return {
    create, remove, restore, diff,
    list: (user) => shown(user).map(infoOf),
    ownerOf: (user, name) => snapshotOwner(user, find(user, name).id),
  };
}
