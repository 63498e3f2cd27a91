/**
 * The complete check of a record received from a peer (gossip, anti-entropy) before it is merged:
 * DESIGN.md "everything received from a peer is validated with the same full schemas as a local
 * write; a bad record is refused, logged and never forwarded". `validateRecord` returns the value
 * typed as a MetaRecord or throws RedCloudError('INVALID') naming the first field that is wrong.
 * It checks types and exact field sets, that the key is the one the type, owner and id make, the
 * id and name rules, integer ranges, HLC stamps and version vectors, chunk ids and sizes, inline
 * chunks (base64 of their chunk's size that hashes to its id, within bounds, on no holder), move logs
 * (sorted, bounded, none into the link's own inode), xattrs and tags (bounded, dots covered by the
 * record's vector), and that no register is stamped after the record's own HLC. Pure.
 */
import { RedCloudError } from '../common/errors.js';
import { CHUNK_ID_RE } from '../common/hash.js';
import { MAX_NAME_BYTES, MAX_PATH_BYTES, TAG_RE, USER_NAME_RE } from '../common/paths.js';
import { compareHlc } from './hlc.js';
import { inodeKey, linkKey, parseKey, ROOT_INO, userKey } from './keys.js';
import { TRASH_INO } from './trash.js';
import { SNAPSHOT_OWNER_RE } from './snapshot.js';
import { BASE64_RE, base64Length, INLINE_CHUNKS_MAX_BYTES, inlineChunkProblem } from './inline.js';
import { extentsProblem } from './extents.js';
import type { EntryKind, Hlc, MetaRecord, Ts } from './types.js';
import { hasSeen } from './version-vector.js';

/** Node ids: CONTROLLER_NODE_ID's rule (src/common/config.ts). */
export const NODE_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** Inode and link ids: `<node>.<write seq base 36>` (keys.ts newId), `~<k>` when its inode number was taken, or the root's. */
const ID_RE = /^([A-Za-z0-9._-]{1,64})\.([0-9a-z]{1,11})(?:~[1-9][0-9]{0,3})?$/;
export const MAX_KEY_BYTES = 512;
/** Owners of inodes and links: an account, or one of its snapshots (snapshot.ts). */
const OWNER_RE = new RegExp(`${USER_NAME_RE.source}|${SNAPSHOT_OWNER_RE.source}`);
export const MAX_VV_NODES = 256;
/** HLC logical counters and write sequences stay exact doubles. */
const MAX_INT = Number.MAX_SAFE_INTEGER;
export const MAX_UID = 0xfffffffe; // (uid_t)-1 means "unchanged" to chown
export const MAX_CHUNK_BYTES = 64 * 1024 ** 2; // CHUNK_SIZE's upper bound
export const MAX_CHUNKS = 100_000;
/** chunkservers named per chunk in an inode's `content.holders` */
export const MAX_HOLDERS = 16;
/** a small file's bytes inside its inode record (content.inline): INLINE_MAX's upper bound */
export const MAX_INLINE_BYTES = 1024 * 1024;
export const MAX_MOVES = 4096;
export const MAX_XATTRS = 1024;
export const MAX_XATTR_NAME_BYTES = 255;
export const MAX_XATTR_VALUE_BYTES = 64 * 1024;
export const MAX_TAGS = 1024;
export const MAX_TAG_DOTS = 256;
export const MAX_TARGET_BYTES = 4095;
export const MAX_PASSWORD_HASH_BYTES = 512;
/**
 * Largest write sequence a peer may name (in a vv, an update or a digest): far below 2^53, so a
 * node whose counter a peer raised to it can still write (2^53 - 2^50 more times) instead of
 * failing with "write sequence went backwards". 2^50 writes are 35 years at a million per second.
 */
export const MAX_SEQ = 2 ** 50;
/** A peer's record stamped further than this past our clock is refused (the cluster-auth skew). */
export const MAX_FUTURE_HLC_MS = 2 * 60_000;
const KINDS: readonly EntryKind[] = ['file', 'dir', 'symlink', 'fifo', 'socket', 'char', 'block'];
const XATTR_PREFIXES = ['user.', 'trusted.', 'security.', 'system.'];
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string): boolean => !LONE_SURROGATE_RE.test(s);

type Obj = Record<string, unknown>;

function fail(field: string, why: string): never {
  throw new RedCloudError('INVALID', `Invalid record: ${field} ${why}`, { field });
}

function obj(v: unknown, field: string, keys: readonly string[], optional: readonly string[] = []): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object');
  const o = v as Obj;
  for (const k of Object.keys(o)) if (!keys.includes(k) && !optional.includes(k)) fail(`${field}.${k}`, 'is not a known field');
  for (const k of keys) if (!Object.hasOwn(o, k)) fail(`${field}.${k}`, 'is missing');
  return o;
}

/** An object used as a map (vv, tags, xattrs): any keys but `__proto__`, which plain assignment would drop. */
function map(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object');
  if (Object.hasOwn(v, '__proto__')) fail(`${field}.__proto__`, 'is not allowed');
  return v as Obj;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(field, `must be an integer in ${min}..${max}`);
  return v;
}

function str(v: unknown, field: string, re: RegExp, what: string): string {
  if (typeof v !== 'string' || !re.test(v)) fail(field, `must be ${what}`);
  return v;
}

function nodeId(v: unknown, field: string): string {
  return str(v, field, NODE_ID_RE, '1-64 letters, digits, ".", "_" or "-"');
}

function id(v: unknown, field: string, rootOk: boolean): string {
  if (rootOk && v === ROOT_INO) return v;
  const s = str(v, field, ID_RE, '"<node>.<seq base 36>"');
  if (Number.parseInt(ID_RE.exec(s)![2]!, 36) < 1) fail(field, 'must have a write sequence of at least 1');
  return s;
}

function hlc(v: unknown, field: string, zeroOk = false): Hlc {
  const o = obj(v, field, ['wallMs', 'logical', 'node']);
  int(o.wallMs, `${field}.wallMs`, 0, MAX_INT);
  int(o.logical, `${field}.logical`, 0, MAX_INT);
  if (zeroOk && o.wallMs === 0 && o.logical === 0 && o.node === '') return o as unknown as Hlc;
  nodeId(o.node, `${field}.node`);
  return o as unknown as Hlc;
}

function ts(v: unknown, field: string): Ts {
  if (!Array.isArray(v) || v.length !== 2) fail(field, 'must be [seconds, nanoseconds]');
  int(v[0], `${field}[0]`, -MAX_INT, MAX_INT);
  int(v[1], `${field}[1]`, 0, 999_999_999);
  return v as Ts;
}

function vv(v: unknown, field: string): Record<string, number> {
  const o = map(v, field);
  const entries = Object.keys(o);
  if (entries.length === 0) fail(field, 'must name at least one writer');
  if (entries.length > MAX_VV_NODES) fail(field, `must have at most ${MAX_VV_NODES} entries`);
  for (const k of entries) {
    nodeId(k, `${field} key`);
    int(o[k], `${field}.${k}`, 1, MAX_SEQ);
  }
  return o as Record<string, number>;
}

/** A register `{ v, at }` stamped no later than the record (the zero stamp: the root's implicit first value). */
function reg(v: unknown, field: string, recordHlc: Hlc, value: (x: unknown, f: string) => void): void {
  const o = obj(v, field, ['v', 'at']);
  if (compareHlc(hlc(o.at, `${field}.at`, true), recordHlc) > 0) fail(`${field}.at`, "must not be after the record's hlc");
  value(o.v, `${field}.v`);
}

export function assertName(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') fail(field, 'must be a non-empty string');
  if (v.includes('/') || v.includes('\0')) fail(field, 'must not contain "/" or NUL');
  if (v === '.' || v === '..') fail(field, 'must not be "." or ".."');
  if (!wellFormed(v)) fail(field, 'must be valid Unicode (no lone surrogate)');
  if (Buffer.byteLength(v) > MAX_NAME_BYTES) fail(field, `must be at most ${MAX_NAME_BYTES} bytes`);
  return v;
}

function tags(v: unknown, field: string, recordVV: Record<string, number>): void {
  const o = map(v, field);
  const names = Object.keys(o);
  if (names.length > MAX_TAGS) fail(field, `must have at most ${MAX_TAGS} tags`);
  for (const t of names) {
    str(t, `${field} key`, TAG_RE, 'a tag (1-128 characters, no whitespace, "/" or ",")');
    const dots = o[t];
    if (!Array.isArray(dots) || dots.length === 0 || dots.length > MAX_TAG_DOTS) fail(`${field}.${t}`, `must be 1..${MAX_TAG_DOTS} dots`);
    dots.forEach((d: unknown, i) => {
      const f = `${field}.${t}[${i}]`;
      if (!Array.isArray(d) || d.length !== 2) fail(f, 'must be [node, seq]');
      const n = nodeId(d[0], `${f}[0]`);
      const seq = int(d[1], `${f}[1]`, 1, MAX_INT);
      if (!hasSeen(recordVV, n, seq)) fail(f, "must be covered by the record's vv");
    });
  }
}

function xattrs(v: unknown, field: string, recordHlc: Hlc): void {
  const o = map(v, field);
  const names = Object.keys(o);
  if (names.length > MAX_XATTRS) fail(field, `must have at most ${MAX_XATTRS} names`);
  for (const name of names) {
    const f = `${field}[${JSON.stringify(name.slice(0, 40))}]`;
    if (!XATTR_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length)) fail(f, 'must be user.*, trusted.*, security.* or system.*');
    if (name.includes('\0') || !wellFormed(name) || Buffer.byteLength(name) > MAX_XATTR_NAME_BYTES) fail(f, `name must be at most ${MAX_XATTR_NAME_BYTES} bytes without NUL`);
    reg(o[name], f, recordHlc, (x, vf) => {
      if (x === null) return;
      if (typeof x !== 'string' || x.length > Math.ceil(MAX_XATTR_VALUE_BYTES / 3) * 4 || !BASE64_RE.test(x)) fail(vf, 'must be base64 or null');
      if (Buffer.from(x, 'base64').length > MAX_XATTR_VALUE_BYTES) fail(vf, `must decode to at most ${MAX_XATTR_VALUE_BYTES} bytes`);
    });
  }
}

function content(v: unknown, field: string, kind: EntryKind, target: string | undefined): void {
  const o = obj(v, field, ['size', 'chunks'], ['holders', 'inline', 'extents', 'inlineChunks']);
  const { chunks } = o;
  if (!Array.isArray(chunks) || chunks.length > MAX_CHUNKS) fail(`${field}.chunks`, `must be an array of at most ${MAX_CHUNKS}`);
  let sum = 0;
  const ids = new Set<string>();
  const sizes = new Map<string, number>();
  chunks.forEach((c: unknown, i) => {
    const co = obj(c, `${field}.chunks[${i}]`, ['id', 'size']);
    const chunkId = str(co.id, `${field}.chunks[${i}].id`, CHUNK_ID_RE, '64 lower-case hex characters');
    ids.add(chunkId);
    const n = int(co.size, `${field}.chunks[${i}].size`, 1, MAX_CHUNK_BYTES);
    sizes.set(chunkId, n);
    sum += n;
  });
  if (o.holders !== undefined) holders(o.holders, `${field}.holders`, ids);
  if (o.inlineChunks !== undefined) {
    if (kind !== 'file' || o.inline !== undefined) fail(`${field}.inlineChunks`, 'must be absent unless a file in chunks');
    inlineChunks(o.inlineChunks, `${field}.inlineChunks`, sizes, o.holders as Record<string, unknown> | undefined);
  }
  const size = int(o.size, `${field}.size`, 0, MAX_INT);
  if (o.inline !== undefined && o.extents !== undefined) fail(`${field}.extents`, 'must be absent when the content is inline');
  if (o.inline !== undefined) {
    const x = o.inline;
    if (kind !== 'file') fail(`${field}.inline`, 'must be absent unless a file');
    if (chunks.length > 0) fail(`${field}.inline`, 'must be absent when the content has chunks');
    if (typeof x !== 'string' || x.length > Math.ceil(MAX_INLINE_BYTES / 3) * 4 || !BASE64_RE.test(x)) fail(`${field}.inline`, `must be base64 of at most ${MAX_INLINE_BYTES} bytes`);
    if (base64Length(x) !== size || size === 0) fail(`${field}.size`, 'must be the length of the inline bytes (1 or more)');
    return;
  }
  if (o.extents !== undefined) {
    if (kind !== 'file') fail(`${field}.extents`, 'must be absent unless a file');
    const problem = extentsProblem(o.extents, chunks as { size: number }[], size);
    if (problem) fail(`${field}.extents`, problem);
    return;
  }
  if (kind === 'file') {
    if (size !== sum) fail(`${field}.size`, `must be the sum of the chunk sizes (${sum})`);
  } else {
    if (chunks.length > 0) fail(`${field}.chunks`, `must be empty for a ${kind}`);
    const allowed = kind === 'symlink' ? [0, Buffer.byteLength(target ?? '')] : [0];
    if (!allowed.includes(size)) fail(`${field}.size`, `must be ${allowed.join(' or ')} for a ${kind}`);
  }
}

/**
 * content.inlineChunks: 1+ chunks of the content, each base64 of exactly its size that hashes to
 * its id, none named in holders (it is on no chunkserver), all together at most INLINE_CHUNKS_MAX_BYTES.
 */
function inlineChunks(v: unknown, field: string, sizes: ReadonlyMap<string, number>, holderMap: Record<string, unknown> | undefined): void {
  const o = map(v, field);
  const ids = Object.keys(o);
  if (ids.length === 0) fail(field, 'must name at least one chunk (absent when none)');
  let total = 0;
  for (const chunkId of ids) {
    const f = `${field}[${chunkId.slice(0, 16)}]`;
    const size = sizes.get(chunkId);
    if (size === undefined) fail(f, 'must be a chunk of the content');
    if (holderMap && Object.hasOwn(holderMap, chunkId)) fail(f, 'must not have holders (it is in the record)');
    const problem = inlineChunkProblem(chunkId, o[chunkId], size, INLINE_CHUNKS_MAX_BYTES);
    if (problem) fail(f, problem);
    total += size;
  }
  if (total > INLINE_CHUNKS_MAX_BYTES) fail(field, `must hold at most ${INLINE_CHUNKS_MAX_BYTES} bytes in all`);
}

/** content.holders: only chunks of the content, each with 1..MAX_HOLDERS distinct, sorted chunkserver ids. */
function holders(v: unknown, field: string, chunkIds: ReadonlySet<string>): void {
  const o = map(v, field);
  for (const chunkId of Object.keys(o)) {
    const f = `${field}[${chunkId.slice(0, 16)}]`;
    if (!chunkIds.has(chunkId)) fail(f, 'must be a chunk of the content');
    const servers = o[chunkId];
    if (!Array.isArray(servers) || servers.length === 0 || servers.length > MAX_HOLDERS) fail(f, `must be 1..${MAX_HOLDERS} chunkserver ids`);
    servers.forEach((s: unknown, i) => {
      nodeId(s, `${f}[${i}]`);
      if (i > 0 && !((servers[i - 1] as string) < (s as string))) fail(f, 'must be distinct and sorted');
    });
  }
}

const BASE = ['type', 'key', 'vv', 'hlc'];

function validateInode(o: Obj, h: Hlc, recVV: Record<string, number>): void {
  const owner = str(o.owner, 'owner', OWNER_RE, 'a user name');
  const ino = id(o.ino, 'ino', true);
  if (o.key !== inodeKey(owner, ino)) fail('key', 'must be the inode key of owner and ino');
  const kind = o.kind as EntryKind;
  if (!KINDS.includes(kind)) fail('kind', `must be one of ${KINDS.join(', ')}`);
  if (ino === ROOT_INO && kind !== 'dir') fail('kind', 'must be dir for the root');
  int(o.rdev, 'rdev', 0, kind === 'char' || kind === 'block' ? MAX_INT : 0);
  if (kind === 'symlink') {
    if (typeof o.target !== 'string' || o.target === '' || o.target.includes('\0') || !wellFormed(o.target) || Buffer.byteLength(o.target) > MAX_TARGET_BYTES) {
      fail('target', `must be 1..${MAX_TARGET_BYTES} bytes without NUL`);
    }
  } else if (o.target !== undefined) fail('target', 'must be absent unless a symlink');
  reg(o.attr, 'attr', h, (v, f) => {
    const a = obj(v, f, ['mode', 'uid', 'gid']);
    int(a.mode, `${f}.mode`, 0, 0o7777);
    int(a.uid, `${f}.uid`, 0, MAX_UID);
    int(a.gid, `${f}.gid`, 0, MAX_UID);
  });
  reg(o.content, 'content', h, (v, f) => content(v, f, kind, o.target as string | undefined));
  reg(o.mtime, 'mtime', h, ts);
  reg(o.atime, 'atime', h, ts);
  ts(o.ctime, 'ctime');
  xattrs(o.xattrs, 'xattrs', h);
  tags(o.tags, 'tags', recVV);
}

function validateLink(o: Obj, h: Hlc): void {
  const owner = str(o.owner, 'owner', OWNER_RE, 'a user name');
  const linkId = id(o.id, 'id', false);
  if (o.key !== linkKey(owner, linkId)) fail('key', 'must be the link key of owner and id');
  const ino = id(o.ino, 'ino', false);
  if (typeof o.dir !== 'boolean') fail('dir', 'must be a boolean');
  const moves = o.moves;
  if (!Array.isArray(moves) || moves.length === 0) fail('moves', 'must be a non-empty array');
  if (moves.length > (o.dir ? MAX_MOVES : 1)) fail('moves', `must have at most ${o.dir ? MAX_MOVES : 1} (${o.dir ? 'directory' : 'file'} link)`);
  let prev: Hlc | undefined;
  moves.forEach((m: unknown, i) => {
    const f = `moves[${i}]`;
    const mo = obj(m, f, ['at', 'parent', 'name'], ['trash']);
    const at = hlc(mo.at, `${f}.at`);
    if (prev && compareHlc(prev, at) >= 0) fail(`${f}.at`, 'must be after the previous move (sorted, one per stamp)');
    if (compareHlc(at, h) > 0) fail(`${f}.at`, "must not be after the record's hlc");
    prev = at;
    if (mo.parent === null) {
      if (mo.name !== '') assertName(mo.name, `${f}.name`);
    } else {
      const parent = mo.parent === TRASH_INO ? TRASH_INO : id(mo.parent, `${f}.parent`, true);
      if (parent === ino) fail(`${f}.parent`, 'must not be the inode the link names');
      assertName(mo.name, `${f}.name`);
    }
    if (mo.trash !== undefined || mo.parent === TRASH_INO) trashInfo(mo.trash, `${f}.trash`, mo.parent, at);
  });
}

/** A move into the trash carries where the entry was and when it expires; no other move does. */
function trashInfo(v: unknown, field: string, parent: unknown, at: Hlc): void {
  if (parent !== TRASH_INO) fail(field, 'must be absent unless the move is into the trash');
  const o = obj(v, field, ['path', 'expiresMs']);
  if (typeof o.path !== 'string' || !o.path.startsWith('/') || o.path === '/' || o.path.includes('\0') || !wellFormed(o.path) || Buffer.byteLength(o.path) > MAX_PATH_BYTES) {
    fail(`${field}.path`, `must be an absolute path of at most ${MAX_PATH_BYTES} bytes`);
  }
  if (o.path.split('/').slice(1).some((seg) => seg === '' || seg === '.' || seg === '..')) fail(`${field}.path`, 'must be normalised');
  int(o.expiresMs, `${field}.expiresMs`, at.wallMs, MAX_INT);
}

function validateUser(o: Obj, h: Hlc, recVV: Record<string, number>): void {
  const name = str(o.name, 'name', USER_NAME_RE, 'a user name');
  if (o.key !== userKey(name)) fail('key', 'must be the user key of name');
  if (o.passwordHash !== null) {
    if (typeof o.passwordHash !== 'string' || !o.passwordHash.startsWith('scrypt$') || o.passwordHash.length > MAX_PASSWORD_HASH_BYTES || !/^[\x21-\x7e]+$/.test(o.passwordHash)) {
      fail('passwordHash', `must be null or "scrypt$…" of at most ${MAX_PASSWORD_HASH_BYTES} printable characters`);
    }
  }
  int(o.createdAtMs, 'createdAtMs', 0, MAX_INT);
  if (o.created !== undefined) {
    const c = hlc(o.created, 'created');
    if (compareHlc(c, h) > 0) fail('created', "must not be after the record's hlc");
    if (recVV[c.node] === undefined) fail('created.node', 'must be a writer in vv');
  }
  if (o.revokedBeforeMs !== undefined) int(o.revokedBeforeMs, 'revokedBeforeMs', 1, MAX_INT);
}

function validateDead(o: Obj, h: Hlc): void {
  if (typeof o.key !== 'string') fail('key', 'must be a string');
  let parsed;
  try {
    parsed = parseKey(o.key);
  } catch {
    fail('key', 'must be an inode or link key');
  }
  if (parsed.type === 'inode') {
    str(parsed.owner, 'key owner', OWNER_RE, 'a user name');
    if (id(parsed.ino, 'key ino', true) === ROOT_INO) fail('key', 'must not be the root inode');
  } else if (parsed.type === 'link') {
    str(parsed.owner, 'key owner', OWNER_RE, 'a user name');
    id(parsed.id, 'key id', false);
  } else fail('key', 'must be an inode or link key');
  if (compareHlc(hlc(o.at, 'at'), h) > 0) fail('at', "must not be after the record's hlc");
}

/** The record `x` from a peer, checked completely; throws RedCloudError('INVALID') naming the field. */
export function validateRecord(x: unknown): MetaRecord {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail('record', 'must be an object');
  const type = (x as Obj).type;
  const fields: Record<string, { keys: string[]; optional?: string[] }> = {
    inode: { keys: [...BASE, 'owner', 'ino', 'kind', 'rdev', 'attr', 'content', 'mtime', 'atime', 'ctime', 'xattrs', 'tags'], optional: ['target'] },
    link: { keys: [...BASE, 'owner', 'id', 'ino', 'dir', 'moves'] },
    user: { keys: [...BASE, 'name', 'passwordHash', 'createdAtMs'], optional: ['created', 'revokedBeforeMs'] },
    dead: { keys: [...BASE, 'at'] },
  };
  if (typeof type !== 'string' || !Object.hasOwn(fields, type)) fail('type', 'must be inode, link, user or dead');
  const o = obj(x, 'record', fields[type]!.keys, fields[type]!.optional);
  if (typeof o.key !== 'string' || Buffer.byteLength(o.key) > MAX_KEY_BYTES) fail('key', `must be a string of at most ${MAX_KEY_BYTES} bytes`);
  const recVV = vv(o.vv, 'vv');
  const h = hlc(o.hlc, 'hlc');
  if (recVV[h.node] === undefined) fail('hlc.node', 'must be a writer in vv');
  if (type === 'inode') validateInode(o, h, recVV);
  else if (type === 'link') validateLink(o, h);
  else if (type === 'user') validateUser(o, h, recVV);
  else validateDead(o, h);
  return x as MetaRecord;
}

/** A record from a peer must not be stamped from the future (past our clock plus MAX_FUTURE_HLC_MS). */
export function assertNotFuture(r: MetaRecord, nowMs: number): void {
  if (r.hlc.wallMs > nowMs + MAX_FUTURE_HLC_MS) fail('hlc.wallMs', `is ${r.hlc.wallMs - nowMs} ms in the future (more than ${MAX_FUTURE_HLC_MS} ms)`);
}

/**
 * An update `{ origin, seq, record }` as its origin logged it: a valid record that `origin` wrote
 * as its write number `seq` (vv[origin] = seq, stamped by origin), with seq at most MAX_SEQ.
 */
export function validateUpdate(u: unknown, nowMs: number): void {
  const o = obj(u, 'update', ['origin', 'seq', 'record']);
  const origin = nodeId(o.origin, 'update.origin');
  const seq = int(o.seq, 'update.seq', 1, MAX_SEQ);
  const r = validateRecord(o.record);
  if (r.vv[origin] !== seq) fail('update.seq', `must be the record's vv[${origin}]`);
  if (r.hlc.node !== origin) fail('update.origin', "must be the node that stamped the record's hlc");
  assertNotFuture(r, nowMs);
}
