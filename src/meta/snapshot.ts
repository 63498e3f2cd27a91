/**
 * Snapshots, the pure part: how a snapshot's records are named, its catalog entry, the names the
 * catalog shows, the copies of inodes and links a snapshot is made of, and the difference of two
 * trees. No I/O.
 *
 * What a snapshot is (README "Snapshots"). A snapshot of directory D taken at controller C is
 * an ordinary replicated tree of its own, written by C in one transaction:
 * - its records are copies of the inode and link records of D's subtree as C's store held them at
 *   that moment, under the owner `<user>:<snapshot id>` (`snapshotOwner`): an owner no account can
 *   have (`:` is not allowed in user names), so no user route reaches it and nothing but the
 *   snapshot routes (read-only) names it. Its root inode is the copy of D; inode and link ids are
 *   D's own (hard links stay hard links, and `diff` recognises renames by inode).
 * - its catalog entry is the extended attribute `trusted.redcloud.snapshot.<id>` of the account's
 *   root inode: a per-name last-writer-wins register of an ordinary record (as declared tags are),
 *   holding the name, the source path, the stamp `takenAt` of the snapshot's first write and the
 *   digest `seen` of C's store just before it (every update C had applied, per origin), and its
 *   state: C reads the whole subtree in one transaction (with the root copy and the entry, state
 *   `writing`), writes the other copies in batches (so it keeps serving), then marks it `done`.
 * "Point in time" therefore means: the snapshot holds exactly the versions C had seen when it took
 * it — every update covered by `seen`, nothing stamped after `takenAt` by C, and nothing C had not
 * yet received from a peer. It is the same on every controller once gossip has delivered its
 * records, because it is a set of records that nobody writes again (removal unlinks them), not a
 * view computed anywhere. Snapshot ids are `<controller>.<seq>` (unique without coordination), so
 * two controllers taking snapshots with one name while cut off from each other keep both: the
 * catalog shows the earlier-taken under the name and the other as `name~<8 hex of its id>`.
 */
import { createHash } from 'node:crypto';
import { RedCloudError } from '../common/errors.js';
import { USER_NAME_RE } from '../common/paths.js';
import { compareHlc } from './hlc.js';
import { newInode, newLink, type WriteStamp } from './ops.js';
import { tagNames } from './tags.js';
import type { Digest, Hlc, InodeRecord, LinkRecord, Reg } from './types.js';

export const SNAPSHOT_XATTR_PREFIX = 'trusted.redcloud.snapshot.';
/** Snapshots one account keeps at once (each is one extended attribute of its root, MAX_XATTRS 1024). */
export const SNAPSHOTS_MAX = 256;
/** Entries one snapshot may copy (one transaction on the taking controller). */
export const SNAPSHOT_ENTRIES_MAX = 1_000_000;
/** Snapshot names: a file name of letters, digits, `.`, `_`, `-` (not `.` or `..`), at most 64. */
export const SNAPSHOT_NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const SNAPSHOT_ID_RE = /^[A-Za-z0-9._-]{1,64}\.[0-9a-z]{1,11}$/;
/** The owner of a snapshot's records: `<user>:<snapshot id>`. */
export const SNAPSHOT_OWNER_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}:[A-Za-z0-9._-]{1,64}\.[0-9a-z]{1,11}$/;

export const snapshotOwner = (user: string, id: string): string => `${user}:${id}`;
export const isSnapshotOwner = (owner: string): boolean => SNAPSHOT_OWNER_RE.test(owner);
/** Owners a record may have: an account, or a snapshot of one. */
export const isRecordOwner = (owner: string): boolean => USER_NAME_RE.test(owner) || SNAPSHOT_OWNER_RE.test(owner);
export const snapshotXattr = (id: string): string => `${SNAPSHOT_XATTR_PREFIX}${id}`;

/** The catalog is written by the snapshot routes only: a setxattr/removexattr of its names is refused (it would orphan or forge a snapshot). */
export function refuseCatalogXattr(name: string): void {
  if (name.startsWith(SNAPSHOT_XATTR_PREFIX)) {
    throw new RedCloudError('NOT_PERMITTED', `${name.slice(0, 80)} is managed by redcloud snapshot (create, rm)`);
  }
}

export function assertSnapshotName(name: unknown): string {
  if (typeof name !== 'string' || !SNAPSHOT_NAME_RE.test(name) || name === '.' || name === '..' || name.includes('~')) {
    throw new RedCloudError('INVALID', `Invalid snapshot name ${JSON.stringify(String(name).slice(0, 80))}: 1-64 letters, digits, ".", "_" or "-" (not "." or "..")`);
  }
  return name;
}

/** A snapshot's catalog entry (the value of its extended attribute, JSON in base64). */
export interface SnapshotMeta {
  id: string;
  name: string;
  /** the directory it copies, as its path was then */
  source: string;
  /** stamp of the snapshot's first record */
  takenAt: Hlc;
  /** the taking controller's digest just before: every update it had applied, per origin */
  seen: Digest;
  /** directory entries copied (the root not counted) */
  entries: number;
  /**
   * `writing` while its copies are being written (in batches), `done` after the last: a controller
   * that has the `done` entry has every copy, since gossip delivers one origin's writes in order.
   * Absent means done.
   */
  state?: 'writing' | 'done';
}

export const encodeMeta = (m: SnapshotMeta): string => Buffer.from(JSON.stringify(m)).toString('base64');

/** The entry of extended attribute `name` holding `value`, or undefined if it is none (a user's own xattr, a bad value). */
export function decodeMeta(name: string, value: string | null | undefined): SnapshotMeta | undefined {
  if (!name.startsWith(SNAPSHOT_XATTR_PREFIX) || typeof value !== 'string') return undefined;
  const id = name.slice(SNAPSHOT_XATTR_PREFIX.length);
  if (!SNAPSHOT_ID_RE.test(id)) return undefined;
  let m: Partial<SnapshotMeta>;
  try {
    m = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Partial<SnapshotMeta>;
  } catch {
    return undefined;
  }
  const t = m?.takenAt;
  const ok = m && m.id === id && typeof m.name === 'string' && SNAPSHOT_NAME_RE.test(m.name) && typeof m.source === 'string' && m.source.startsWith('/')
    && t && Number.isFinite(t.wallMs) && Number.isInteger(t.logical) && typeof t.node === 'string'
    && Number.isInteger(m.entries) && m.seen !== null && typeof m.seen === 'object';
  if (!ok) return undefined;
  const out: SnapshotMeta = { id, name: m.name!, source: m.source!, takenAt: { wallMs: t.wallMs, logical: t.logical, node: t.node }, seen: m.seen!, entries: m.entries! };
  if (m.state === 'writing' || m.state === 'done') out.state = m.state;
  return out;
}

export interface ShownSnapshot extends SnapshotMeta {
  /** the name the catalog shows (the taken name, or `name~<8 hex>` for a later one with that name) */
  shown: string;
}

/** The live snapshots in an account root's extended attributes, with unique names, sorted by shown name. */
export function catalog(xattrs: Record<string, Reg<string | null>>): ShownSnapshot[] {
  const byName = new Map<string, SnapshotMeta[]>();
  for (const [n, reg] of Object.entries(xattrs)) {
    const m = decodeMeta(n, reg?.v);
    if (!m) continue;
    const g = byName.get(m.name);
    if (g) g.push(m);
    else byName.set(m.name, [m]);
  }
  const out: ShownSnapshot[] = [];
  for (const group of byName.values()) {
    group.sort((a, b) => compareHlc(a.takenAt, b.takenAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    group.forEach((m, i) => out.push({ ...m, shown: i === 0 ? m.name : `${m.name}~${createHash('sha256').update(m.id).digest('hex').slice(0, 8)}` }));
  }
  return out.sort((a, b) => (a.shown < b.shown ? -1 : a.shown > b.shown ? 1 : 0));
}

/**
 * The copy of inode `src` as inode `ino` of `owner`, written with stamp `s`: the same kind, attributes, content (the
 * same chunks: no byte is copied), times, live extended attributes and tags, every register
 * stamped by this write (the copy is a new record; its history is not the source's).
 */
export function copyInode(src: InodeRecord, owner: string, ino: string, s: WriteStamp): InodeRecord {
  const base = newInode({
    ...s, owner, ino, kind: src.kind, attr: { ...src.attr.v }, content: src.content.v, rdev: src.rdev,
    ...(src.target !== undefined ? { target: src.target } : {}), time: src.ctime, mtime: src.mtime.v, tags: tagNames(src.tags),
  });
  const at = base.hlc;
  const xattrs: InodeRecord['xattrs'] = {};
  for (const [n, reg] of Object.entries(src.xattrs)) if (typeof reg.v === 'string') xattrs[n] = { v: reg.v, at };
  return { ...base, atime: { v: src.atime.v, at }, xattrs };
}

/** The copy of a directory entry: link `id` naming `ino` in directory `parent` of `owner`. */
export const copyLink = (owner: string, id: string, ino: string, dir: boolean, parent: string, name: string, s: WriteStamp): LinkRecord =>
  newLink({ ...s, owner, id, ino, dir, parent, name });

/** One entry of a tree walked for `diff`: path relative to the tree's root. */
export interface TreeItem {
  ino: string;
  kind: string;
  /** what `modified` compares: size, chunk ids, mode, symlink target */
  sig: string;
}

export type ChangeKind = 'added' | 'removed' | 'modified' | 'renamed';

export interface TreeChange {
  change: ChangeKind;
  path: string;
  /** renamed: where it was */
  from?: string;
  /** renamed: its content or mode changed too */
  modified?: boolean;
}

/** At one path, a removal is listed before what replaced it. */
const CHANGE_RANK: Record<ChangeKind, number> = { removed: 0, added: 1, modified: 2, renamed: 3 };

export const itemSig = (i: InodeRecord): string =>
  `${i.kind}:${i.attr.v.mode.toString(8)}:${i.content.v.size}:${i.content.v.chunks.map((c) => c.id).join(',')}:${i.target ?? ''}` +
  (i.content.v.extents ? `:${i.content.v.extents.map((e) => `${e.off}+${e.len}@${e.chunk}.${e.chunkOff}`).join(',')}` : '');

const dirOf = (p: string): string => p.slice(0, p.lastIndexOf('/')) || '/';
const baseOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const joinPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/**
 * What changed from tree `a` to tree `b` (path → item): entries only in b are added, only in a
 * removed, at one path in both with another signature modified (another inode there: removed and
 * added); an inode at a path of a
 * that b has elsewhere (and not there) is renamed — one line for a moved, removed or added
 * directory, none for what moved, went or came with it. Sorted by path.
 */
export function diffTrees(a: ReadonlyMap<string, TreeItem>, b: ReadonlyMap<string, TreeItem>): TreeChange[] {
  const goneByIno = new Map<string, string[]>();
  const newByIno = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, k: string, p: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(p);
  const out: TreeChange[] = [];
  for (const [p, x] of a) {
    const y = b.get(p);
    if (!y || y.ino !== x.ino) push(goneByIno, x.ino, p);
    if (y && y.ino === x.ino && y.sig !== x.sig && x.kind !== 'dir') out.push({ change: 'modified', path: p });
  }
  for (const [p, y] of b) {
    const x = a.get(p);
    if (!x || x.ino !== y.ino) push(newByIno, y.ino, p);
  }
  const renamed = new Map<string, string>(); // new path → old path
  for (const [ino, gone] of goneByIno) {
    const fresh = newByIno.get(ino);
    if (!fresh) continue;
    gone.sort();
    fresh.sort();
    const n = Math.min(gone.length, fresh.length);
    for (let i = 0; i < n; i++) renamed.set(fresh[i]!, gone[i]!);
    goneByIno.set(ino, gone.slice(n));
    newByIno.set(ino, fresh.slice(n));
  }
  for (const [to, from] of renamed) {
    // moved along with its directory: the directory's line says it
    const parentFrom = renamed.get(dirOf(to));
    if (parentFrom !== undefined && joinPath(parentFrom, baseOf(to)) === from) {
      if (a.get(from)!.sig !== b.get(to)!.sig && a.get(from)!.kind !== 'dir') out.push({ change: 'modified', path: to });
      continue;
    }
    const x = a.get(from)!;
    const modified = x.kind !== 'dir' && x.sig !== b.get(to)!.sig;
    out.push({ change: 'renamed', path: to, from, ...(modified ? { modified } : {}) });
  }
  // what went (or came) with its directory: the directory's line says it
  const gone = [...goneByIno.values()].flat();
  const fresh = [...newByIno.values()].flat();
  const goneDirs = new Set(gone.filter((p) => a.get(p)!.kind === 'dir'));
  const freshDirs = new Set(fresh.filter((p) => b.get(p)!.kind === 'dir'));
  const under = (dirs: Set<string>, p: string): boolean => {
    for (let d = dirOf(p); d !== '/'; d = dirOf(d)) if (dirs.has(d)) return true;
    return false;
  };
  for (const p of gone) if (!under(goneDirs, p)) out.push({ change: 'removed', path: p });
  for (const p of fresh) if (!under(freshDirs, p)) out.push({ change: 'added', path: p });
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : CHANGE_RANK[x.change] - CHANGE_RANK[y.change]));
}
