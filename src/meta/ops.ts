/**
 * Pure constructors of the new version a local write makes at controller `node` with its next
 * global write sequence `seq` and HLC stamp `hlc`. Each sets vv[node] = seq on top of the current
 * version's vector and stamps an HLC after the current one, so a newer local version always
 * dominates and outranks what it replaces; a register written here carries that same stamp.
 */
import { RedCloudError } from '../common/errors.js';
import { after } from './hlc.js';
import { inodeKey, linkKey, userKey } from './keys.js';
import { maxTs } from './register.js';
import { addTags as addTagDots, removeTags as removeTagDots } from './tags.js';
import type {
  DeadRecord, EntryKind, Hlc, InodeAttr, InodeContent, InodeRecord, LinkRecord, MetaRecord, NodeId, Ts, UserRecord, VersionVector,
} from './types.js';

export interface WriteStamp {
  hlc: Hlc;
  node: NodeId;
  seq: number;
}

function nextVV(current: { vv: VersionVector } | undefined, node: NodeId, seq: number): VersionVector {
  const prev = current?.vv[node] ?? 0;
  if (!Number.isInteger(seq) || seq <= prev) {
    throw new RedCloudError('INTERNAL', `write sequence went backwards at ${node}: ${seq} <= ${prev}`);
  }
  const vv: VersionVector = { ...(current?.vv ?? {}), [node]: seq };
  return Object.fromEntries(Object.keys(vv).sort().map((k) => [k, vv[k]!]));
}

function stamp(current: { hlc: Hlc } | undefined, s: WriteStamp): Hlc {
  return after({ ...s.hlc, node: s.node }, current?.hlc);
}

export interface NewInodeArgs extends WriteStamp {
  owner: string;
  ino: string;
  kind: EntryKind;
  attr: InodeAttr;
  content?: InodeContent;
  rdev?: number;
  target?: string;
  /** creation time: atime, mtime and ctime */
  time: Ts;
  /** a modification time other than the creation time (an upload keeping the local file's) */
  mtime?: Ts;
  /** an access time other than the creation time (a mount's utimens before the first commit: cp -a) */
  atime?: Ts;
  tags?: readonly string[];
}

/** A new inode (or, for the root, its first written version): every register stamped now. */
export function newInode(a: NewInodeArgs, current?: InodeRecord): InodeRecord {
  const at = stamp(current, a);
  const r: InodeRecord = {
    type: 'inode', key: inodeKey(a.owner, a.ino), owner: a.owner, ino: a.ino, kind: a.kind, rdev: a.rdev ?? 0,
    attr: { v: a.attr, at }, content: { v: a.content ?? { size: 0, chunks: [] }, at },
    mtime: { v: a.mtime ?? a.time, at }, atime: { v: a.atime ?? a.time, at }, ctime: a.time, xattrs: {},
    tags: a.tags && a.tags.length > 0 ? addTagDots({}, a.tags, [a.node, a.seq]) : {},
    vv: nextVV(current, a.node, a.seq), hlc: at,
  };
  if (a.target !== undefined) r.target = a.target;
  return r;
}

export interface InodeChange {
  attr?: InodeAttr;
  content?: InodeContent;
  mtime?: Ts;
  atime?: Ts;
  /** xattr name → base64 value, or null to remove */
  xattrs?: Record<string, string | null>;
  addTags?: readonly string[];
  removeTags?: readonly string[];
  /** replace every tag (a rename onto an existing file takes the source's tags) */
  replaceTags?: boolean;
}

/** The next version of an inode: the changed registers stamped now, ctime moved to `now`. */
export function changeInode(current: InodeRecord, change: InodeChange, s: WriteStamp, now: Ts): InodeRecord {
  const at = stamp(current, s);
  const next: InodeRecord = { ...current, vv: nextVV(current, s.node, s.seq), hlc: at, ctime: maxTs(current.ctime, now) };
  if (change.attr) next.attr = { v: change.attr, at };
  if (change.content) next.content = { v: change.content, at };
  if (change.mtime) next.mtime = { v: change.mtime, at };
  if (change.atime) next.atime = { v: change.atime, at };
  if (change.xattrs) {
    next.xattrs = { ...current.xattrs };
    for (const [name, value] of Object.entries(change.xattrs)) next.xattrs[name] = { v: value, at };
  }
  let tags = change.replaceTags ? {} : current.tags;
  if (change.removeTags?.length) tags = removeTagDots(tags, change.removeTags);
  if (change.addTags?.length) tags = addTagDots(tags, change.addTags, [s.node, s.seq]);
  next.tags = tags;
  return next;
}

/** A new directory entry naming `ino` in directory `parent`. */
export function newLink(a: WriteStamp & { owner: string; id: string; ino: string; dir: boolean; parent: string; name: string }): LinkRecord {
  const at = stamp(undefined, a);
  return {
    type: 'link', key: linkKey(a.owner, a.id), owner: a.owner, id: a.id, ino: a.ino, dir: a.dir,
    moves: [{ at, parent: a.parent, name: a.name }], vv: nextVV(undefined, a.node, a.seq), hlc: at,
  };
}

/** The link moved to (parent, name), or out of the tree (parent null: unlink). */
export function moveLink(current: LinkRecord, parent: string | null, name: string, s: WriteStamp): LinkRecord {
  const at = stamp(current, s);
  const move = { at, parent, name };
  return { ...current, moves: current.dir ? [...current.moves, move] : [move], vv: nextVV(current, s.node, s.seq), hlc: at };
}

/** The certificate that replaces a collected record (merge.ts: it absorbs every older version). */
export function deathOf(r: MetaRecord): DeadRecord {
  return { type: 'dead', key: r.key, at: r.type === 'dead' ? r.at : r.hlc, vv: r.vv, hlc: r.hlc };
}

export interface PutUserArgs extends WriteStamp {
  name: string;
  passwordHash: string | null;
  createdAtMs: number;
  /** sessions issued before this time are revoked (logout) */
  revokedBeforeMs?: number;
}

/**
 * A new account (no `current`: its creation stamp is this write's) or a new version of `current`
 * (same account: its creation stamp is kept; accounts.ts decides between accounts).
 */
export function putUser(current: UserRecord | undefined, args: PutUserArgs): UserRecord {
  const at = stamp(current, args);
  const out: UserRecord = {
    type: 'user',
    key: userKey(args.name),
    name: args.name,
    passwordHash: args.passwordHash,
    createdAtMs: current ? current.createdAtMs : args.createdAtMs,
    vv: nextVV(current, args.node, args.seq),
    hlc: at,
  };
  const created = current ? current.created : at;
  if (created) out.created = created;
  const revoked = Math.max(current?.revokedBeforeMs ?? 0, args.revokedBeforeMs ?? 0);
  if (revoked > 0) out.revokedBeforeMs = revoked;
  return out;
}
