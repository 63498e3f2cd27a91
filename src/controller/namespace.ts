/**
 * The filesystem operations of the API over the metadata store, always within one user's tree
 * (owner = the token's user), with ext4's semantics: inodes named by directory entries (links),
 * hard links, special files, owners and the setgid directory rule, exact times (ctime on every
 * change, a directory's mtime/ctime on every entry change). A rename is one link write whatever is
 * below it. Every write is a local version built by src/meta/ops.ts, stamped by the store and
 * stored with its gossip log row; a multi-record operation is one transaction. The CLI's
 * conveniences stay: commit, symlink, rename and mkdir with `parents` create missing parents.
 * Attributes, xattrs and tags are in fs-attrs.ts; reading paths in fs-view.ts.
 */
import type { CommitRequest, CreateOwner, EntryInfo, MknodRequest, RemoveOutcome, SetAttrRequest, SetXattrRequest } from '../common/api.js';
import { declaredTags, withDeclared } from '../common/declared-tags.js';
import { RedCloudError, errors, toRedCloudError } from '../common/errors.js';
import { assertChunkId } from '../common/hash.js';
import type { Logger } from '../common/logger.js';
import { ROOT, assertTag, isSelfOrDescendant, normalizePath, parentOf as parentOfPath } from '../common/paths.js';
import type { Signer } from '../common/tokens.js';
import { ROOT_INO, inoNumber, inodeKey, newId } from '../meta/keys.js';
import { changeInode, moveLink, newInode, newLink, type InodeChange, type WriteStamp } from '../meta/ops.js';
import { tsFromMs } from '../meta/register.js';
import type { ChunkRef, EntryKind, InodeRecord, MetaRecord, Ts } from '../meta/types.js';
import { fileContent, toEntryInfo, versionOf, type FileContent } from './entry-info.js';
import { createFsAttrs } from './fs-attrs.js';
import { checkTagChange, DEFAULT_TAG_LIMITS, type TagLimits } from './tag-limits.js';
import { tagNames } from '../meta/tags.js';
import { createFsView, type Resolved } from './fs-view.js';
import type { MetadataStore } from './metadata-store.js';
import { commitHolders } from './holders.js';
import { checkReceipts, quorumError } from './receipts.js';
import type { Quotas } from './quota.js';
import { createTrash, type Trash } from './trash.js';
import { BASE64_RE, base64Length, INLINE_MAX_DEFAULT, inlineChunkBytes, inlineChunkLimits, inlineChunkProblem } from '../meta/inline.js';
import { extentsProblem, type Extent } from '../meta/extents.js';


/** A commit's extents (src/meta/extents.ts), checked: not inline, chunks each named once, every one used, all inside the size. */
function checkExtents(req: CommitRequest): Extent[] {
  if (req.inline !== undefined) throw errors.invalid('An inline commit has no extents');
  if (new Set(req.chunks.map((ch) => ch.id)).size !== req.chunks.length) throw errors.invalid('A commit with extents names each chunk once');
  const problem = extentsProblem(req.extents, req.chunks, req.size);
  if (problem) throw errors.invalid(`extents ${problem}`);
  return req.extents!.map((e) => ({ off: e.off, len: e.len, chunk: e.chunk, chunkOff: e.chunkOff }));
}

/** An inline commit's bytes (base64), checked: no chunks, size their length, at most `inlineMaxBytes` (413 TOO_LARGE with { inlineMax } above). */
function checkInline(req: CommitRequest, inlineMaxBytes: number): string {
  const b64 = req.inline!;
  if (req.chunks.length > 0) throw errors.invalid('An inline commit has no chunks');
  if (!BASE64_RE.test(b64) || b64.length === 0) throw errors.invalid('inline must be non-empty base64');
  const n = base64Length(b64);
  if (n !== req.size) throw errors.invalid(`File size ${req.size} does not match its inline bytes (${n})`);
  if (n > inlineMaxBytes) throw errors.tooLarge(`Files over ${inlineMaxBytes} bytes are stored in chunks (INLINE_MAX)`, { inlineMax: inlineMaxBytes });
  return b64;
}

/**
 * A commit's new inline chunks (CommitRequest.inlineChunks), checked: not an inline file, each a
 * chunk of the commit (its size, at most INLINE_MAX bytes: 413 TOO_LARGE with { inlineMax } beyond)
 * whose bytes hash to its id, and given no receipts (it goes on no chunkserver).
 */
function checkInlineChunks(req: CommitRequest, inlineMaxBytes: number): Record<string, string> {
  if (req.inline !== undefined) throw errors.invalid('An inline commit has no inline chunks');
  const sizes = new Map(req.chunks.map((ch) => [ch.id, ch.size]));
  const limit = inlineChunkLimits(inlineMaxBytes).chunkMaxBytes;
  const out: Record<string, string> = {};
  for (const [id, b64] of Object.entries(req.inlineChunks!)) {
    const size = sizes.get(id);
    if (size === undefined) throw errors.invalid(`Inline chunk ${id.slice(0, 12)} is not a chunk of the commit`);
    if (Object.hasOwn(req.receipts, id)) throw errors.invalid(`Inline chunk ${id.slice(0, 12)} has receipts`);
    if (size > limit) throw errors.tooLarge(`Chunks over ${limit} bytes are stored on chunkservers (INLINE_MAX)`, { inlineMax: inlineMaxBytes });
    const problem = inlineChunkProblem(id, b64, size, limit);
    if (problem) throw errors.invalid(`Inline chunk ${id.slice(0, 12)} ${problem}`);
    out[id] = b64;
  }
  return out;
}

/**
 * The inline chunks of a commit's content: the new ones, and those the current version holds
 * inline that the commit names without receipts (kept without being sent again). At most
 * INLINE_CHUNKS_FACTOR × INLINE_MAX bytes in all (413 TOO_LARGE with { inlineMax }); undefined when none.
 */
function contentInlineChunks(
  req: CommitRequest, given: Record<string, string> | undefined, current: Record<string, string> | undefined, inlineMaxBytes: number,
): Record<string, string> | undefined {
  const out: Record<string, string> = { ...given };
  for (const ch of req.chunks) {
    if (!Object.hasOwn(out, ch.id) && current && Object.hasOwn(current, ch.id) && !Object.hasOwn(req.receipts, ch.id)) out[ch.id] = current[ch.id]!;
  }
  if (Object.keys(out).length === 0) return undefined;
  const max = inlineChunkLimits(inlineMaxBytes).recordMaxBytes;
  if (inlineChunkBytes(out) > max) throw errors.tooLarge(`A file keeps at most ${max} bytes of inline chunks (INLINE_MAX)`, { inlineMax: inlineMaxBytes });
  return out;
}

/** A content's real chunks (those on chunkservers): every chunk but its inline ones. */
const realChunkIds = (content: { chunks: ChunkRef[]; inlineChunks?: Record<string, string> } | undefined): string[] =>
  (content?.chunks ?? []).map((ch) => ch.id).filter((id) => !content?.inlineChunks || !Object.hasOwn(content.inlineChunks, id));

export interface Namespace {
  stat(owner: string, path: string): EntryInfo;
  /** A regular file's info and chunks (read plans). */
  /** a file's chunks, and where its commit wrote them (content.holders) */
  file(owner: string, path: string): FileContent;
  list(owner: string, path: string): EntryInfo[];
  find(owner: string, tags: string[], under?: string): EntryInfo[];
  tagCounts(owner: string): { tag: string; count: number }[];
  commit(owner: string, req: CommitRequest): EntryInfo;
  mkdir(owner: string, path: string, opts?: CreateOwner & { mode?: number; parents?: boolean }): EntryInfo;
  symlink(owner: string, path: string, target: string, who?: CreateOwner): EntryInfo;
  mknod(owner: string, req: MknodRequest): EntryInfo;
  link(owner: string, from: string, to: string): EntryInfo;
  remove(owner: string, path: string, opts?: { recursive?: boolean }): number;
  /** `remove`, and the directory it left after the change (its new mtime/ctime, nlink): what a mount caches instead of a stat */
  removeEntry(owner: string, path: string, opts?: { recursive?: boolean }): { removed: number; parent: EntryInfo };
  /** Unlinks of non-directories in one transaction; a path refused (missing, a directory, invalid) changes nothing and the others go on. */
  removeMany(owner: string, paths: string[]): RemoveOutcome[];
  rename(owner: string, from: string, to: string): EntryInfo;
  setattr(owner: string, req: SetAttrRequest): EntryInfo;
  tags(owner: string, path: string, add?: string[], remove?: string[]): EntryInfo;
  getXattr(owner: string, path: string, name: string): string;
  listXattrs(owner: string, path: string): string[];
  setXattr(owner: string, req: SetXattrRequest): void;
  removeXattr(owner: string, path: string, name: string): void;
  /** Inodes in the account's tree (statfs). */
  fileCount(owner: string): number;
  /** The root directory's first version, written once per account (registration). */
  ensureRoot(owner: string): void;
  /** The account's trash (trash.ts): where removed entries wait for TRASH_TTL. */
  trash: Trash;
}

export interface NamespaceDeps {
  store: MetadataStore;
  signer: Signer;
  logger: Logger;
  now: () => number;
  writeQuorum: number;
  /** INLINE_MAX: largest file a commit may keep in its inode record (default INLINE_MAX_DEFAULT; 0: none) */
  inlineMaxBytes?: number;
  /** TAGS_PER_FILE_MAX / TAGS_PER_USER_MAX (default DEFAULT_TAG_LIMITS) */
  tagLimits?: TagLimits;
  /** per-user quotas (quota.ts): the operations that can grow an account run in its guard */
  quota?: Pick<Quotas, 'guard'>;
  /** TRASH_TTL: how long a removed entry stays in the trash (ms); 0 or absent: removed at once */
  trashTtlMs?: number;
}

const DIR_MODE = 0o755;
const FILE_MODE = 0o644;
const S_ISGID = 0o2000;
const perm = (mode: number): number => mode & 0o7777;
/** Linux's limit on hard links to one inode (ext4: 65000). */
export const LINK_MAX = 65_000;

export function createNamespace(c: NamespaceDeps): Namespace {
  const { store } = c;
  const view = createFsView(store);
  const nowTs = (): Ts => tsFromMs(c.now());

  /** Stamps, builds and stores one record. */
  function put<R extends MetaRecord>(build: (s: WriteStamp) => R): R {
    const s = store.nextStamp();
    const r = build(s);
    store.applyLocal(r, s.seq);
    return r;
  }
  const tagLimits = c.tagLimits ?? DEFAULT_TAG_LIMITS;
  /** one transaction, refused whole if it takes `owner` past a quota */
  const guarded = <T>(owner: string, fn: () => T): T => (c.quota ? c.quota.guard(owner, fn) : store.transaction(fn));
  const userTagPairs = (owner: string) => () => store.tagCounts(owner).reduce((n, t) => n + t.count, 0);
  const touch = (inode: InodeRecord, change: InodeChange = {}): InodeRecord => {
    if (change.addTags?.length) checkTagChange(tagLimits, tagNames(inode.tags), change.addTags, change.removeTags ?? [], userTagPairs(inode.owner));
    return put((s) => changeInode(inode, change, s, nowTs()));
  };
  /** An entry of directory `dir` changed: its mtime and ctime move. */
  const dirChanged = (owner: string, dirIno: string): void => {
    const t = nowTs();
    put((s) => changeInode(view.inode(owner, dirIno)!, { mtime: t }, s, t));
  };

  /** Owner, group and mode of a new inode in `dir` (ext4: a setgid directory gives its group, and its setgid bit to subdirectories). */
  function ownership(dir: InodeRecord, who: CreateOwner, mode: number, kind: EntryKind): { mode: number; uid: number; gid: number } {
    const inherit = (dir.attr.v.mode & S_ISGID) !== 0;
    return {
      uid: who.uid ?? 0,
      gid: inherit ? dir.attr.v.gid : who.gid ?? 0,
      mode: perm(mode) | (inherit && kind === 'dir' ? S_ISGID : 0),
    };
  }

  /** Creates inode + entry `name` in `dir`; EEXIST if the name is taken. */
  function create(owner: string, dir: Resolved, name: string, a: { kind: EntryKind; mode: number; who: CreateOwner; rdev?: number; target?: string; content?: InodeRecord['content']['v']; mtime?: Ts; atime?: Ts; tags?: string[]; ino?: string; absent?: boolean }): Resolved {
    if (a.tags?.length) checkTagChange(tagLimits, [], a.tags, [], userTagPairs(owner));
    // `absent`: the caller looked the name up in this transaction and found nothing
    if (!a.absent && store.lookup(owner, dir.ino, name)) throw errors.exists(`File exists: ${joinPath(dir.path, name)}`, { path: joinPath(dir.path, name) });
    const t = nowTs();
    const inode = put((s) => newInode({
      // a mount-chosen id only if no record of this tree has it (a dead one included)
      ...s, owner, ino: freshIno(owner, a.ino && !store.getRecord(inodeKey(owner, a.ino)) ? a.ino : newId(s.node, s.seq)), kind: a.kind, attr: ownership(dir.inode, a.who, a.mode, a.kind), rdev: a.rdev, target: a.target,
      content: a.content, time: t, mtime: a.mtime, atime: a.atime, tags: a.tags,
    }));
    put((s) => newLink({ ...s, owner, id: newId(s.node, s.seq), ino: inode.ino, dir: a.kind === 'dir', parent: dir.ino, name }));
    dirChanged(owner, dir.ino);
    // the new entry is in `dir`: one lookup there instead of a walk from the root
    const path = joinPath(dir.path, name);
    const entry = store.lookup(owner, dir.ino, name);
    if (entry?.ino !== inode.ino) return view.mustResolve(owner, path);
    return { path, ino: inode.ino, inode: store.getInode(owner, inode.ino) ?? inode, entry };
  }

  /** `id`, or a variant of it, whose FUSE inode number no other inode of the tree has (keys.ts inoNumber). */
  function freshIno(owner: string, id: string): string {
    let ino = id;
    for (let k = 1; store.inoOfNumber(owner, inoNumber(ino)) !== undefined; k++) ino = `${id}~${k}`;
    return ino;
  }

  /** Creates the missing directories above `path` (CLI conveniences). */
  function ensureParents(owner: string, path: string): void {
    let dir = view.mustResolve(owner, ROOT);
    const segments = path.slice(1).split('/').slice(0, -1);
    for (const name of segments) {
      if (dir.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${dir.path}`, { path: dir.path });
      const next = view.resolve(owner, joinPath(dir.path, name));
      dir = next ?? create(owner, dir, name, { kind: 'dir', mode: DIR_MODE, who: { uid: dir.inode.attr.v.uid, gid: dir.inode.attr.v.gid } });
    }
  }

  function commit(owner: string, req: CommitRequest): EntryInfo {
    const path = normalizePath(req.path);
    if (path === ROOT) throw errors.isDir('Is a directory: /', { path });
    let total = 0;
    for (const ch of req.chunks) {
      assertChunkId(ch.id);
      total += ch.size;
    }
    const inlineMax = c.inlineMaxBytes ?? INLINE_MAX_DEFAULT;
    const inline = req.inline !== undefined ? checkInline(req, inlineMax) : undefined;
    const givenInline = req.inlineChunks !== undefined ? checkInlineChunks(req, inlineMax) : undefined;
    const extents = req.extents !== undefined ? checkExtents(req) : undefined;
    if (!inline && !extents && total !== req.size) throw errors.invalid(`File size ${req.size} does not match its chunks (${total} bytes)`);
    const find = (): Resolved | undefined => (req.ino !== undefined ? byNumber(owner, req.ino, path) : view.resolve(owner, path));
    // valid receipts are locations even when the commit fails (the chunks are there); a commit
    // without chunks has no receipts to check, so the target is looked up once, in the transaction
    // (only its real chunks: one it holds inline is kept inline or must come with its bytes or receipts)
    const current = req.chunks.length === 0 ? undefined : find()?.inode.content.v;
    const unchanged = new Set(realChunkIds(current));
    const carried = contentInlineChunks(req, givenInline, current?.inlineChunks, inlineMax);
    const check = checkReceipts(c.signer, req.chunks.filter((ch) => !carried || !Object.hasOwn(carried, ch.id)), req.receipts, c.writeQuorum, unchanged);
    for (const [chunkId, servers] of check.valid) for (const server of servers) store.addLocations(server, [chunkId]);
    if (check.short) throw quorumError(check.short, c.writeQuorum);
    return guarded(owner, () => {
      // by path: the directory and the name in it, so a create there walks the path once
      const at = req.ino === undefined ? view.locate(owner, path) : undefined;
      const target = at ? at.target : find();
      if (req.ifVersion !== undefined) {
        const have = target ? versionOf(target.inode) : '';
        if (have !== req.ifVersion) throw errors.exists(`${path} changed (version ${have || 'none'}, expected ${req.ifVersion || 'none'})`, { path });
      }
      const chunks = req.chunks.map((ch) => ({ id: ch.id, size: ch.size }));
      // inline chunks kept from the current version must still be there (the version may have changed since the check)
      const inlineChunks = contentInlineChunks(req, givenInline, target?.inode.content.v.inlineChunks, inlineMax);
      const lost = Object.keys(carried ?? {}).find((id) => !inlineChunks || !Object.hasOwn(inlineChunks, id));
      if (lost) throw quorumError({ chunkId: lost, have: 0 }, c.writeQuorum);
      // where the chunks were written travels with the record (holders.ts): other controllers plan reads with it at once
      const holders = commitHolders(chunks.filter((ch) => !inlineChunks || !Object.hasOwn(inlineChunks, ch.id)), check.valid, target?.inode.content.v.holders);
      const content = inline ? { size: req.size, chunks: [], inline } : {
        size: req.size, chunks, ...(holders ? { holders } : {}), ...(extents ? { extents } : {}), ...(inlineChunks ? { inlineChunks } : {}),
      };
      const mtime = req.mtime ? [req.mtime.sec, req.mtime.nsec] as Ts : req.mtimeMs !== undefined ? tsFromMs(req.mtimeMs) : nowTs();
      const atime = req.atime ? [req.atime.sec, req.atime.nsec] as Ts : undefined;
      const tags = (req.tags ?? []).map(assertTag);
      if (target) {
        if (target.inode.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
        if (target.inode.kind !== 'file') throw errors.invalid(`Not a regular file: ${path} (${target.inode.kind})`, { path });
        // cp over it: the version it replaces goes to the trash; so does one a create of this mount
        // finds in its place (another client made the name since the mount looked)
        if (req.replaces || (req.newIno !== undefined && target.ino !== req.newIno && !target.ino.startsWith(`${req.newIno}~`))) trash.keepVersion(owner, target);
        const attr = req.mode !== undefined ? { ...target.inode.attr.v, mode: perm(req.mode) } : undefined;
        const inode = touch(target.inode, { content, mtime, ...(atime ? { atime } : {}), ...(attr ? { attr } : {}), addTags: tags });
        return view.info(owner, { ...target, inode });
      }
      if (!at?.dir) ensureParents(owner, path);
      const { dir, name } = at?.dir ? { dir: at.dir, name: at.name } : view.parentOf(owner, path);
      const made = create(owner, dir, name, { kind: 'file', mode: req.mode ?? FILE_MODE, who: req, content, mtime, atime, tags, ino: req.newIno, absent: at?.dir !== undefined && !at.entry });
      return view.info(owner, made);
    });
  }

  /** The inode with FUSE number `n` (a file open while renamed or linked), shown at `path` if that still names it. */
  function byNumber(owner: string, n: number, path: string): Resolved {
    const ino = store.inoOfNumber(owner, n);
    const inode = ino ? store.getInode(owner, ino) : undefined;
    if (!ino || !inode) throw errors.notFound(`No such file (inode ${n}): ${path}`, { path });
    const at = view.resolve(owner, path);
    if (at && at.ino === ino) return at;
    const first = store.linksOf(owner, ino)[0];
    return { path: (first && store.pathOf(owner, first)) ?? path, ino, inode, entry: first };
  }

  function mkdir(owner: string, rawPath: string, opts: CreateOwner & { mode?: number; parents?: boolean } = {}): EntryInfo {
    const path = normalizePath(rawPath);
    return guarded(owner, () => {
      const current = view.resolve(owner, path);
      if (current) {
        if (opts.parents && current.inode.kind === 'dir') return view.info(owner, current);
        throw errors.exists(`File exists: ${path}`, { path });
      }
      if (opts.parents) ensureParents(owner, path);
      const { dir, name } = view.parentOf(owner, path);
      return view.info(owner, create(owner, dir, name, { kind: 'dir', mode: opts.mode ?? DIR_MODE, who: opts }));
    });
  }

  function symlink(owner: string, rawPath: string, target: string, who: CreateOwner = {}): EntryInfo {
    const path = normalizePath(rawPath);
    if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) throw errors.invalid('Symlink target must be a non-empty string without NUL');
    if (Buffer.byteLength(target) > 4095) throw errors.nameTooLong('Symlink target is longer than 4095 bytes');
    return guarded(owner, () => {
      if (path === ROOT || view.resolve(owner, path)) throw errors.exists(`File exists: ${path}`, { path });
      ensureParents(owner, path);
      const { dir, name } = view.parentOf(owner, path);
      return view.info(owner, create(owner, dir, name, { kind: 'symlink', mode: 0o777, who, target }));
    });
  }

  function mknod(owner: string, req: MknodRequest): EntryInfo {
    return guarded(owner, () => {
      const { dir, name } = view.parentOf(owner, req.path); // create() refuses a taken name (EEXIST)
      const rdev = req.kind === 'char' || req.kind === 'block' ? req.rdev ?? 0 : 0;
      return view.info(owner, create(owner, dir, name, { kind: req.kind, mode: req.mode, who: req, rdev }));
    });
  }

  function link(owner: string, rawFrom: string, rawTo: string): EntryInfo {
    return store.transaction(() => {
      const src = view.mustResolve(owner, rawFrom);
      if (src.inode.kind === 'dir') throw errors.notPermitted(`Cannot hard-link a directory: ${src.path}`, { path: src.path });
      const { dir, name, path } = view.parentOf(owner, rawTo);
      if (view.resolve(owner, path)) throw errors.exists(`File exists: ${path}`, { path });
      if (store.linksOf(owner, src.ino).length >= LINK_MAX) throw errors.tooManyLinks(`Too many links: ${src.path}`, { path: src.path });
      put((s) => newLink({ ...s, owner, id: newId(s.node, s.seq), ino: src.ino, dir: false, parent: dir.ino, name }));
      const inode = touch(src.inode);
      dirChanged(owner, dir.ino);
      return view.info(owner, { path, ino: src.ino, inode });
    });
  }

  /**
   * Unlinks one entry: the link leaves the tree (into the trash when it is the inode's last name
   * and TRASH_TTL is set), the directory changes, and if the inode keeps other names its ctime
   * moves (nlink changed).
   */
  function unlinkEntry(owner: string, r: Resolved): void {
    const link = store.getLink(owner, r.entry!.linkId)!;
    // the names of a non-directory, counted once: the one removed here is among them (r was reached by it)
    const names = r.inode.kind === 'dir' ? 0 : store.linksOf(owner, r.ino).length;
    if (trash.enabled && (r.inode.kind === 'dir' || names <= 1)) trash.moveIn(owner, r);
    else put((s) => moveLink(link, null, link.moves[link.moves.length - 1]!.name, s));
    dirChanged(owner, r.entry!.parent);
    const inode = names > 1 ? store.getInode(owner, r.ino) : undefined;
    if (inode) touch(inode); // other names keep it: its nlink changed
  }

  function remove(owner: string, rawPath: string, opts: { recursive?: boolean } = {}): number {
    const path = normalizePath(rawPath);
    if (path === ROOT) throw errors.invalid('Cannot remove the root directory');
    return store.transaction(() => removeResolved(owner, path, view.mustResolve(owner, path), opts));
  }

  function removeResolved(owner: string, path: string, r: Resolved, opts: { recursive?: boolean }): number {
    if (r.inode.kind === 'dir' && store.hasChildren(owner, r.ino)) {
      if (!opts.recursive) throw errors.notEmpty(`Directory not empty: ${path}`, { path });
      let n = 0;
      for (const child of store.children(owner, r.ino)) n += remove(owner, joinPath(path, child.name), opts);
      unlinkEntry(owner, view.mustResolve(owner, path));
      return n + 1;
    }
    unlinkEntry(owner, r);
    return 1;
  }

  function removeEntry(owner: string, rawPath: string, opts: { recursive?: boolean } = {}): { removed: number; parent: EntryInfo } {
    const path = normalizePath(rawPath);
    if (path === ROOT) throw errors.invalid('Cannot remove the root directory');
    return store.transaction(() => {
      const r = view.mustResolve(owner, path);
      const removed = removeResolved(owner, path, r, opts);
      // the directory's inode was just written (dirChanged): the store's recent records have it, no path walk
      const dirIno = r.entry!.parent;
      return { removed, parent: view.info(owner, { path: parentOfPath(path), ino: dirIno, inode: view.inode(owner, dirIno)! }) };
    });
  }

  function removeMany(owner: string, rawPaths: string[]): RemoveOutcome[] {
    return store.transaction(() => rawPaths.map((raw): RemoveOutcome => {
      let r: Resolved | undefined;
      try {
        // reads only: an error here leaves nothing half-written in the shared transaction
        const path = normalizePath(raw);
        if (path === ROOT) throw errors.invalid('Cannot remove the root directory');
        r = view.resolve(owner, path);
        if (!r) throw errors.notFound(`No such file or directory: ${path}`, { path });
        if (r.inode.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      } catch (err) {
        const e = toRedCloudError(err);
        return { ok: false, code: e.code, message: e.message };
      }
      unlinkEntry(owner, r);
      return { ok: true };
    }));
  }

  function checkRenameTarget(owner: string, src: Resolved, dst: Resolved): void {
    if (src.inode.kind === 'dir') {
      if (dst.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${dst.path}`, { path: dst.path });
      if (store.hasChildren(owner, dst.ino)) throw errors.notEmpty(`Directory not empty: ${dst.path}`, { path: dst.path });
    } else if (dst.inode.kind === 'dir') {
      throw errors.isDir(`Is a directory: ${dst.path}`, { path: dst.path });
    }
  }

  function rename(owner: string, rawFrom: string, rawTo: string): EntryInfo {
    const from = normalizePath(rawFrom);
    const to = normalizePath(rawTo);
    if (from === ROOT) throw errors.invalid('Cannot rename the root directory');
    if (to === ROOT) throw errors.invalid('Cannot replace the root directory');
    return store.transaction(() => {
      const src = view.mustResolve(owner, from);
      if (from === to) return view.info(owner, src);
      if (src.inode.kind === 'dir' && isSelfOrDescendant(to, from)) throw errors.invalid(`Cannot move ${from} into itself (${to})`);
      const dst = view.resolve(owner, to);
      if (dst && dst.ino === src.ino) return view.info(owner, src); // two names of one inode: POSIX does nothing
      if (dst) checkRenameTarget(owner, src, dst);
      ensureParents(owner, to);
      const { dir, name } = view.parentOf(owner, to);
      if (dst) unlinkEntry(owner, dst);
      const link = store.getLink(owner, src.entry!.linkId)!;
      put((s) => moveLink(link, dir.ino, name, s));
      dirChanged(owner, src.entry!.parent);
      if (dir.ino !== src.entry!.parent) dirChanged(owner, dir.ino);
      touch(store.getInode(owner, src.ino)!);
      return view.info(owner, view.mustResolve(owner, to));
    });
  }

  const attrs = createFsAttrs({ store, view, touch, nowTs });
  const trash = createTrash({ store, view, put, now: c.now, ttlMs: c.trashTtlMs ?? 0, ensureParents, dirChanged, freshIno });

  return {
    stat: (owner, path) => view.info(owner, view.mustResolve(owner, path)),
    file(owner, rawPath) {
      const r = view.mustResolve(owner, rawPath);
      if (r.inode.kind === 'dir') throw errors.isDir(`Is a directory: ${r.path}`, { path: r.path });
      if (r.inode.kind !== 'file') throw new RedCloudError('INVALID', `Not a regular file: ${r.path} (${r.inode.kind})`, { path: r.path });
      return fileContent(view.info(owner, r), r.inode.content.v);
    },
    list(owner, rawPath) {
      const dir = view.mustResolve(owner, rawPath);
      if (dir.inode.kind !== 'dir') throw errors.notDir(`Not a directory: ${dir.path}`, { path: dir.path });
      // a file whose only link row is this entry has nlink 1: no query per entry (an `ls -l` of 2,000 files)
      return store.listing(owner, dir.ino).map(({ entry: e, inode, linkRows }) => {
        const path = joinPath(dir.path, e.name);
        return inode.kind !== 'dir' && linkRows <= 1 ? toEntryInfo(inode, path, 1) : view.info(owner, { path, ino: e.ino, inode, entry: e });
      });
    },
    find(owner, rawTags, under = ROOT) {
      const tagList = rawTags.map(assertTag);
      if (tagList.length === 0) throw errors.invalid('find needs at least one tag');
      const base = normalizePath(under);
      const out: EntryInfo[] = [];
      for (const inode of store.findByTags(owner, tagList)) {
        if (inode.kind !== 'file') continue;
        for (const e of store.linksOf(owner, inode.ino)) {
          const path = store.pathOf(owner, e);
          if (path && (base === ROOT || path.startsWith(`${base}/`))) out.push(view.info(owner, { path, ino: inode.ino, inode, entry: e }));
        }
      }
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    // declared tags (root xattrs, common/declared-tags.ts) are listed beside those in use
    tagCounts(owner) {
      const { xattrs } = view.mustResolve(owner, ROOT).inode;
      return withDeclared(store.tagCounts(owner), declaredTags(Object.keys(xattrs).filter((n) => typeof xattrs[n]?.v === 'string')));
    },
    commit, mkdir, symlink, mknod, link, remove, removeEntry, removeMany, rename,
    ...attrs,
    setattr: (owner, req) => guarded(owner, () => attrs.setattr(owner, req)), // a truncate can grow a file
    fileCount: (owner) => store.usage(owner).files,
    trash,
    ensureRoot(owner) {
      store.transaction(() => {
        if (store.getInode(owner, ROOT_INO)) return;
        put((s) => newInode({ ...s, owner, ino: ROOT_INO, kind: 'dir', attr: { mode: DIR_MODE, uid: 0, gid: 0 }, time: nowTs() }));
      });
    },
  };
}

export const joinPath = (dir: string, name: string): string => (dir === ROOT ? `/${name}` : `${dir}/${name}`);
