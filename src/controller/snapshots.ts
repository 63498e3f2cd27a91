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
  snapshotXattr, type ShownSnapshot, type SnapshotMeta, type TreeItem,
} from '../meta/snapshot.js';
import type { MetaRecord } from '../meta/types.js';
import { createFsView } from './fs-view.js';
import type { MetadataStore } from './metadata-store.js';

export interface Snapshots {
  create(user: string, path: string, name: string): Promise<SnapshotInfo>;
  list(user: string): SnapshotInfo[];
  /** entries unlinked */
  remove(user: string, name: string): Promise<number>;
  restore(user: string, name: string, to?: string): Promise<EntryInfo>;
  /** from snapshot `a` to snapshot `b`, or to the live directory `a` was taken of */
  diff(user: string, a: string, b?: string): SnapshotChange[];
  /** the owner of snapshot `name`'s records (NOT_FOUND if the account has none by that name) */
  ownerOf(user: string, name: string): string;
}

const joinPath = (dir: string, name: string): string => (dir === ROOT ? `/${name}` : `${dir}/${name}`);

/**
 * Records written per transaction; the controller serves other requests (heartbeats, gossip, the
 * client's stall probe) between batches. What is copied is read in one pass before the first batch,
 * so batching changes when the copies are written, never what they hold.
 */
export const SNAPSHOT_BATCH_RECORDS = 1000;
type Build = (s: WriteStamp) => MetaRecord;

const infoOf = (m: ShownSnapshot): SnapshotInfo => ({
  name: m.shown, id: m.id, source: m.source, takenAt: m.takenAt, takenAtMs: m.takenAt.wallMs, node: m.takenAt.node, entries: m.entries,
  complete: m.state !== 'writing',
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
  /**
   * Writes the records in bulk transactions of SNAPSHOT_BATCH_RECORDS (store.applyLocalBatch: the
   * tree's bookkeeping once per batch, not per record), yielding to the event loop between them.
   * Each batch is stamped in order, so its log rows reach peers like any run of local writes.
   */
  async function writeBatched(builds: readonly Build[]): Promise<void> {
    for (let i = 0; i < builds.length; i += SNAPSHOT_BATCH_RECORDS) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      store.transaction(() => {
        const writes = builds.slice(i, i + SNAPSHOT_BATCH_RECORDS).map((b) => {
          const s = store.nextStamp();
          return { record: b(s), seq: s.seq };
        });
        store.applyLocalBatch(writes);
      });
    }
  }

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

  /**
   * Reads the source subtree and writes the root copy and the catalog entry (state `writing`) in one
   * transaction — the point in time — then the other copies in batches, then the entry as `done`.
   * A peer that has the `done` entry has every copy (gossip delivers an origin's writes in order).
   */
  async function create(user: string, rawPath: string, rawName: string): Promise<SnapshotInfo> {
    const name = assertSnapshotName(rawName);
    const path = normalizePath(rawPath);
    const started = store.transaction(() => {
      const have = shown(user);
      if (have.some((m) => m.shown === name)) throw errors.exists(`A snapshot named ${name} exists (remove it first: redcloud snapshot rm ${name})`, { snapshot: name });
      if (have.length >= SNAPSHOTS_MAX) throw errors.noSpace(`At most ${SNAPSHOTS_MAX} snapshots per account; remove some first`);
      const src = view.mustResolve(user, path);
      if (src.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${path} (snapshots copy directory trees)`, { path });
      const seen = store.digest();
      let owner = '';
      const root = put((s) => {
        owner = snapshotOwner(user, newId(s.node, s.seq));
        return copyInode(src.inode, owner, ROOT_INO, s);
      });
      const id = newId(root.hlc.node, root.vv[root.hlc.node]!);
      const copied = new Set<string>([src.ino]);
      const snapIno = (ino: string): string => (ino === src.ino ? ROOT_INO : ino);
      const builds: Build[] = [];
      let entries = 0;
      for (const { e, parent } of walk(user, src.ino)) {
        const inode = store.getInode(user, e.ino);
        if (!inode) continue;
        if (!copied.has(e.ino)) {
          copied.add(e.ino);
          builds.push((s) => copyInode(inode, owner, e.ino, s));
        }
        builds.push((s) => copyLink(owner, e.linkId, e.ino, e.dir, snapIno(parent), e.name, s));
        entries++;
      }
      const meta: SnapshotMeta = { id, name, source: path, takenAt: root.hlc, seen, entries, state: 'writing' };
      setCatalog(user, id, encodeMeta(meta));
      return { meta, builds };
    });
    const { meta, builds } = started;
    await writeBatched(builds);
    const done = { ...meta, state: 'done' as const };
    store.transaction(() => setCatalog(user, meta.id, encodeMeta(done)));
    c.logger.info({ user, snapshot: name, id: meta.id, source: path, entries: meta.entries }, 'Snapshot taken');
    return infoOf({ ...done, shown: name });
  }

  /** Unlinks every entry (children first, in batches), then drops the catalog entry: a removal cut short can be run again. */
  async function remove(user: string, name: string): Promise<number> {
    const m = find(user, name);
    const owner = snapshotOwner(user, m.id);
    const all = [...walk(owner, ROOT_INO)].reverse();
    const builds: Build[] = [];
    for (const { e } of all) {
      const link = store.getLink(owner, e.linkId);
      if (link) builds.push((s) => moveLink(link, null, e.name, s));
    }
    await writeBatched(builds);
    store.transaction(() => setCatalog(user, m.id, null));
    c.logger.info({ user, snapshot: name, id: m.id, entries: all.length }, 'Snapshot removed');
    return all.length;
  }

  /** An inode id of `owner`'s tree whose FUSE number no other inode (nor one of `taken`) has (namespace.ts freshIno). */
  function freshIno(owner: string, id: string, taken: Set<number>): string {
    let ino = id;
    for (let k = 1; store.inoOfNumber(owner, inoNumber(ino)) !== undefined || taken.has(inoNumber(ino)); k++) ino = `${id}~${k}`;
    taken.add(inoNumber(ino));
    return ino;
  }

  /** Copies the snapshot into the live tree: the new directory's link first (the name is taken at once), then the rest in batches. */
  async function restore(user: string, name: string, rawTo?: string): Promise<EntryInfo> {
    const { to, builds } = store.transaction(() => {
      const m = find(user, name);
      const owner = snapshotOwner(user, m.id);
      const to = normalizePath(rawTo ?? m.source);
      if (view.resolve(user, to)) throw errors.exists(`${to} exists: restore elsewhere with --to PATH, or move it away first`, { path: to });
      const { dir, name: base } = view.parentOf(user, to);
      const made = new Map<string, string>(); // snapshot ino → new ino
      const taken = new Set<number>();
      const builds: Build[] = [];
      const copy = (ino: string): string => {
        if (made.has(ino)) return ino;
        const src = view.inode(owner, ino)!;
        let fresh = '';
        builds.push((s) => {
          const r = copyInode(src, user, (fresh = freshIno(user, newId(s.node, s.seq), taken)), s);
          made.set(ino, fresh);
          return r;
        });
        made.set(ino, '');
        return ino;
      };
      const newOf = (ino: string): string => made.get(ino)!;
      copy(ROOT_INO);
      builds.push((s) => copyLink(user, newId(s.node, s.seq), newOf(ROOT_INO), true, dir.ino, base, s));
      for (const { e, parent } of walk(owner, ROOT_INO)) {
        if (!store.getInode(owner, e.ino)) continue;
        copy(e.ino);
        builds.push((s) => copyLink(user, newId(s.node, s.seq), newOf(e.ino), e.dir, newOf(parent), e.name, s));
      }
      const t = tsFromMs(c.now());
      builds.push((s) => changeInode(view.inode(user, dir.ino)!, { mtime: t }, s, t));
      return { to, builds };
    });
    await writeBatched(builds);
    c.logger.info({ user, snapshot: name, to }, 'Snapshot restored');
    return view.info(user, view.mustResolve(user, to));
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
