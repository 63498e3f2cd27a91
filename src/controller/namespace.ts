/**
 * The filesystem operations of the API over the metadata store, always within one user's tree
 * (owner = the token's user). "/" always exists implicitly as a directory; parents are created
 * implicitly by commit, symlink, rename and mkdir with `parents`. Every write is a local version
 * (ops.ts) stamped by the store and stored with its gossip log row in one transaction; a
 * multi-record operation (rename, recursive remove) is one transaction.
 */
import type { CommitRequest, EntryInfo, SetAttrRequest } from '../common/api.js';
import { RedCloudError, errors } from '../common/errors.js';
import { assertChunkId } from '../common/hash.js';
import type { Logger } from '../common/logger.js';
import { ROOT, assertTag, isSelfOrDescendant, normalizePath, parentOf } from '../common/paths.js';
import type { Signer } from '../common/tokens.js';
import { changeTags, deleteEntry, putEntry } from '../meta/ops.js';
import { tagNames } from '../meta/tags.js';
import type { EntryRecord, EntryValue } from '../meta/types.js';
import { rootInfo, toEntryInfo, versionOf } from './entry-info.js';
import { checkReceipts, quorumError } from './receipts.js';
import type { MetadataStore } from './store.js';

export type LiveEntry = EntryRecord & { value: EntryValue };

export interface Namespace {
  stat(owner: string, path: string): EntryInfo;
  /** The live file record (read plans). */
  file(owner: string, path: string): LiveEntry;
  list(owner: string, path: string): EntryInfo[];
  find(owner: string, tags: string[], under?: string): EntryInfo[];
  tagCounts(owner: string): { tag: string; count: number }[];
  commit(owner: string, req: CommitRequest): EntryInfo;
  mkdir(owner: string, path: string, opts?: { mode?: number; parents?: boolean }): EntryInfo;
  symlink(owner: string, path: string, target: string): EntryInfo;
  remove(owner: string, path: string, opts?: { recursive?: boolean }): number;
  rename(owner: string, from: string, to: string): EntryInfo;
  setattr(owner: string, req: SetAttrRequest): EntryInfo;
  tags(owner: string, path: string, add?: string[], remove?: string[]): EntryInfo;
}

export interface NamespaceDeps {
  store: MetadataStore;
  signer: Signer;
  logger: Logger;
  now: () => number;
  writeQuorum: number;
}

const DIR_MODE = 0o755;
const perm = (mode: number): number => mode & 0o7777;
const ms = (t: number): number => Math.floor(t);
const FILE_MODE = 0o644;

export function createNamespace(c: NamespaceDeps): Namespace {
  const { store } = c;
  const live = (owner: string, path: string): LiveEntry | undefined => {
    const r = store.getEntry(owner, path);
    return r && r.value ? (r as LiveEntry) : undefined;
  };
  const mustLive = (owner: string, path: string): LiveEntry => {
    const r = live(owner, path);
    if (!r) throw errors.notFound(`No such file or directory: ${path}`, { path });
    return r;
  };
  const hasChildren = (owner: string, dir: string): boolean => store.listChildren(owner, dir).length > 0;

  /** Stores the version `build` makes from the current one (tombstone or undefined when absent). */
  function write(owner: string, path: string, build: (current: EntryRecord | undefined, stamp: ReturnType<MetadataStore['nextStamp']>) => EntryRecord): LiveEntry {
    const stamp = store.nextStamp();
    const record = build(store.getEntry(owner, path), stamp);
    store.applyLocal(record, stamp.seq);
    return record as LiveEntry;
  }
  const dirValue = (mode: number): EntryValue => {
    const nowMs = c.now();
    return { kind: 'dir', size: 0, mode, mtimeMs: nowMs, ctimeMs: nowMs, chunks: [] };
  };
  function ensureParents(owner: string, path: string): void {
    const missing: string[] = [];
    for (let p = parentOf(path); p !== ROOT; p = parentOf(p)) {
      const r = live(owner, p);
      if (r) {
        if (r.value.kind !== 'dir') throw errors.notDir(`Not a directory: ${p}`, { path: p });
        break;
      }
      missing.unshift(p);
    }
    for (const p of missing) write(owner, p, (cur, s) => putEntry(cur, { owner, path: p, value: dirValue(DIR_MODE), ...s }));
  }
  function requireParentDir(owner: string, path: string): void {
    const parent = parentOf(path);
    if (parent === ROOT) return;
    const r = mustLive(owner, parent);
    if (r.value.kind !== 'dir') throw errors.notDir(`Not a directory: ${parent}`, { path: parent });
  }
  const notRoot = (path: string, what: string): void => {
    if (path === ROOT) throw errors.invalid(`Cannot ${what} the root directory`);
  };

  function commit(owner: string, req: CommitRequest): EntryInfo {
    const path = normalizePath(req.path);
    if (path === ROOT) throw errors.isDir('Is a directory: /', { path });
    let total = 0;
    for (const ch of req.chunks) {
      assertChunkId(ch.id);
      total += ch.size;
    }
    if (total !== req.size) throw errors.invalid(`File size ${req.size} does not match its chunks (${total} bytes)`);
    const unchanged = new Set(live(owner, path)?.value.chunks.map((ch) => ch.id) ?? []);
    const check = checkReceipts(c.signer, req.chunks, req.receipts, c.writeQuorum, unchanged);
    for (const [chunkId, servers] of check.valid) for (const server of servers) store.addLocations(server, [chunkId]);
    if (check.short) throw quorumError(check.short, c.writeQuorum);
    return store.transaction(() => {
      const current = live(owner, path);
      if (req.ifVersion !== undefined) {
        const have = current ? versionOf(current) : '';
        if (have !== req.ifVersion) throw errors.exists(`${path} changed (version ${have || 'none'}, expected ${req.ifVersion || 'none'})`, { path });
      }
      if (current?.value.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      ensureParents(owner, path);
      const nowMs = c.now();
      const value: EntryValue = {
        kind: 'file', size: req.size, mode: req.mode !== undefined ? perm(req.mode) : current?.value.mode ?? FILE_MODE, mtimeMs: req.mtimeMs !== undefined ? ms(req.mtimeMs) : nowMs,
        ctimeMs: nowMs, chunks: req.chunks.map((ch) => ({ id: ch.id, size: ch.size })),
      };
      const tags = (req.tags ?? []).map(assertTag);
      return toEntryInfo(write(owner, path, (cur, s) => putEntry(cur, { owner, path, value, addTags: tags, ...s })));
    });
  }

  function mkdir(owner: string, rawPath: string, opts: { mode?: number; parents?: boolean } = {}): EntryInfo {
    const path = normalizePath(rawPath);
    return store.transaction(() => {
      if (path === ROOT) {
        if (opts.parents) return rootInfo();
        throw errors.exists('File exists: /', { path });
      }
      const current = live(owner, path);
      if (current) {
        if (opts.parents && current.value.kind === 'dir') return toEntryInfo(current);
        throw errors.exists(`File exists: ${path}`, { path });
      }
      if (opts.parents) ensureParents(owner, path);
      else requireParentDir(owner, path);
      return toEntryInfo(write(owner, path, (cur, s) => putEntry(cur, { owner, path, value: dirValue(perm(opts.mode ?? DIR_MODE)), ...s })));
    });
  }

  function symlink(owner: string, rawPath: string, target: string): EntryInfo {
    const path = normalizePath(rawPath);
    if (typeof target !== 'string' || target.length === 0 || target.includes('\0')) throw errors.invalid('Symlink target must be a non-empty string without NUL');
    return store.transaction(() => {
      if (path === ROOT || live(owner, path)) throw errors.exists(`File exists: ${path}`, { path });
      ensureParents(owner, path);
      const nowMs = c.now();
      const value: EntryValue = { kind: 'symlink', size: Buffer.byteLength(target), mode: 0o777, mtimeMs: nowMs, ctimeMs: nowMs, chunks: [], target };
      return toEntryInfo(write(owner, path, (cur, s) => putEntry(cur, { owner, path, value, ...s })));
    });
  }

  function remove(owner: string, rawPath: string, opts: { recursive?: boolean } = {}): number {
    const path = normalizePath(rawPath);
    notRoot(path, 'remove');
    return store.transaction(() => {
      const current = mustLive(owner, path);
      const below = current.value.kind === 'dir' ? store.listSubtree(owner, path) : [];
      if (below.length > 0 && !opts.recursive) throw errors.notEmpty(`Directory not empty: ${path}`, { path });
      for (const r of [...below].reverse()) write(owner, r.path, (cur, s) => deleteEntry(cur ?? r, s));
      write(owner, path, (cur, s) => deleteEntry(cur ?? current, s));
      return below.length + 1;
    });
  }

  function checkRenameTarget(owner: string, src: LiveEntry, to: string): void {
    const dst = live(owner, to);
    if (!dst) return;
    if (src.value.kind === 'dir') {
      if (dst.value.kind !== 'dir') throw errors.notDir(`Not a directory: ${to}`, { path: to });
      if (hasChildren(owner, to)) throw errors.notEmpty(`Directory not empty: ${to}`, { path: to });
    } else if (dst.value.kind === 'dir') {
      throw errors.isDir(`Is a directory: ${to}`, { path: to });
    }
  }

  function rename(owner: string, rawFrom: string, rawTo: string): EntryInfo {
    const from = normalizePath(rawFrom);
    const to = normalizePath(rawTo);
    notRoot(from, 'rename');
    notRoot(to, 'replace');
    return store.transaction(() => {
      const src = mustLive(owner, from);
      if (from === to) return toEntryInfo(src);
      if (isSelfOrDescendant(to, from)) throw errors.invalid(`Cannot move ${from} into itself (${to})`);
      checkRenameTarget(owner, src, to);
      ensureParents(owner, to);
      const below = src.value.kind === 'dir' ? store.listSubtree(owner, from) : [];
      const nowMs = c.now();
      const move = (r: LiveEntry, dest: string): LiveEntry =>
        write(owner, dest, (cur, s) => putEntry(cur, { owner, path: dest, value: { ...r.value, ctimeMs: nowMs }, addTags: tagNames(r.tags), replaceTags: true, ...s }));
      const moved = move(src, to);
      for (const r of below) move(r as LiveEntry, to + r.path.slice(from.length));
      for (const r of [...below].reverse()) write(owner, r.path, (cur, s) => deleteEntry(cur ?? r, s));
      write(owner, from, (cur, s) => deleteEntry(cur ?? src, s));
      return toEntryInfo(moved);
    });
  }

  function setattr(owner: string, req: SetAttrRequest): EntryInfo {
    const path = normalizePath(req.path);
    if (path === ROOT) return rootInfo();
    return store.transaction(() => {
      const current = mustLive(owner, path);
      const value: EntryValue = { ...current.value, ctimeMs: c.now() };
      if (req.mode !== undefined) value.mode = perm(req.mode);
      if (req.mtimeMs !== undefined) value.mtimeMs = ms(req.mtimeMs);
      if (req.size !== undefined && req.size !== current.value.size) {
        if (current.value.kind !== 'file') throw errors.isDir(`Cannot truncate ${current.value.kind} ${path}`, { path });
        if (req.size !== 0) throw errors.invalid('setattr can only truncate to 0; commit the new chunks for other sizes');
        value.size = 0;
        value.chunks = [];
        value.mtimeMs = req.mtimeMs !== undefined ? ms(req.mtimeMs) : c.now();
      }
      return toEntryInfo(write(owner, path, (cur, s) => putEntry(cur, { owner, path, value, ...s })));
    });
  }

  function tags(owner: string, rawPath: string, add: string[] = [], removeList: string[] = []): EntryInfo {
    const path = normalizePath(rawPath);
    notRoot(path, 'tag');
    const toAdd = add.map(assertTag);
    const toRemove = removeList.map(assertTag);
    return store.transaction(() => {
      mustLive(owner, path);
      return toEntryInfo(write(owner, path, (cur, s) => changeTags(cur!, toAdd, toRemove, s)));
    });
  }

  return {
    stat(owner, rawPath) {
      const path = normalizePath(rawPath);
      return path === ROOT ? rootInfo() : toEntryInfo(mustLive(owner, path));
    },
    file(owner, rawPath) {
      const path = normalizePath(rawPath);
      if (path === ROOT) throw errors.isDir('Is a directory: /', { path });
      const r = mustLive(owner, path);
      if (r.value.kind === 'dir') throw errors.isDir(`Is a directory: ${path}`, { path });
      if (r.value.kind !== 'file') throw new RedCloudError('INVALID', `Not a regular file: ${path} (${r.value.kind})`, { path });
      return r;
    },
    list(owner, rawPath) {
      const path = normalizePath(rawPath);
      if (path !== ROOT) {
        const r = mustLive(owner, path);
        if (r.value.kind !== 'dir') throw errors.notDir(`Not a directory: ${path}`, { path });
      }
      return store.listChildren(owner, path).map((r) => toEntryInfo(r as LiveEntry));
    },
    find(owner, rawTags, under = ROOT) {
      const tagList = rawTags.map(assertTag);
      if (tagList.length === 0) throw errors.invalid('find needs at least one tag');
      return store.findByTags(owner, tagList, normalizePath(under)).map((r) => toEntryInfo(r as LiveEntry));
    },
    tagCounts: (owner) => store.tagCounts(owner),
    commit, mkdir, symlink, remove, rename, setattr, tags,
  };
}
