/**
 * The merge of two versions of the same record: the state every controller converges to, a
 * join-semilattice per record type (commutative, associative, idempotent; property-tested over
 * whole replicas in test/unit/meta/replica.test.ts):
 * - **dead** (a collected record's certificate) absorbs every other version of its key: a key is
 *   collected only after every controller saw its delete and no one can reach it to write again
 *   (ids are never reused), so anything that still arrives for it is an old write.
 * - **inode**: each attribute group is a last-writer-wins register (register.ts), ctime a max,
 *   xattrs a register per name, tags an add-wins set whose causal context is the record's vector.
 * - **link**: the union of the moves; a file link keeps only its latest move (last writer wins),
 *   a directory link all of them (tree.ts replays them).
 * - **user**: the account created first owns the name; versions of one account merge per field
 *   (accounts.ts: a deletion is final, the hash last-writer-wins, the revocation time a max).
 * The version vector is the pointwise max and the record's HLC the max of both. `conflict` says
 * that concurrent versions disagreed and a rule chose (logged as `Resolved conflict`). Pure.
 */
import { RedCloudError } from '../common/errors.js';
import { compareAccounts, mergeUsers } from './accounts.js';
import { compareHlc, maxHlc } from './hlc.js';
import { canonicalJson, maxTs, mergeReg } from './register.js';
import { mergeTags } from './tags.js';
import type { DeadRecord, InodeRecord, LinkRecord, MetaRecord, Move, Reg, UserRecord } from './types.js';
import { compareVV, mergeVV } from './version-vector.js';

export { canonicalJson } from './register.js';

export interface MergeResult<R extends MetaRecord = MetaRecord> {
  record: R;
  /** true when the versions were concurrent and their values differed (a rule decided). */
  conflict: boolean;
}

const hlcKey = (m: Move): string => `${m.at.wallMs}.${m.at.logical}.${m.at.node}`;

function sortMoves(moves: Move[]): Move[] {
  return moves.sort((x, y) => compareHlc(x.at, y.at));
}

/** The union of two move logs (by stamp); a file link keeps only the latest move. */
export function mergeMoves(a: readonly Move[], b: readonly Move[], dir: boolean): Move[] {
  const byAt = new Map<string, Move>();
  for (const m of [...a, ...b]) {
    const k = hlcKey(m);
    const seen = byAt.get(k);
    if (!seen || canonicalJson(m) > canonicalJson(seen)) byAt.set(k, m);
  }
  const all = sortMoves([...byAt.values()]);
  return dir ? all : all.slice(-1);
}

/** The immutable part of a record, chosen deterministically if two creations ever disagree. */
function pickImmutable<T>(a: T, b: T): T {
  return canonicalJson(a) >= canonicalJson(b) ? a : b;
}

function mergeRegs<T>(a: Record<string, Reg<T>>, b: Record<string, Reg<T>>): Record<string, Reg<T>> {
  const out: Record<string, Reg<T>> = {};
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[name];
    const y = b[name];
    out[name] = x && y ? mergeReg(x, y) : (x ?? y)!;
  }
  return out;
}

function mergeInodes(a: InodeRecord, b: InodeRecord): InodeRecord {
  const fixed = pickImmutable(
    { kind: a.kind, rdev: a.rdev, target: a.target ?? null, owner: a.owner, ino: a.ino },
    { kind: b.kind, rdev: b.rdev, target: b.target ?? null, owner: b.owner, ino: b.ino },
  );
  const out: InodeRecord = {
    type: 'inode', key: a.key, owner: fixed.owner, ino: fixed.ino, kind: fixed.kind, rdev: fixed.rdev,
    attr: mergeReg(a.attr, b.attr), content: mergeReg(a.content, b.content), mtime: mergeReg(a.mtime, b.mtime),
    atime: mergeReg(a.atime, b.atime), ctime: maxTs(a.ctime, b.ctime), xattrs: mergeRegs(a.xattrs, b.xattrs),
    tags: mergeTags(a.tags, a.vv, b.tags, b.vv), vv: mergeVV(a.vv, b.vv), hlc: maxHlc(a.hlc, b.hlc),
  };
  if (fixed.target !== null) out.target = fixed.target;
  return out;
}

function mergeLinks(a: LinkRecord, b: LinkRecord): LinkRecord {
  const fixed = pickImmutable({ owner: a.owner, id: a.id, ino: a.ino, dir: a.dir }, { owner: b.owner, id: b.id, ino: b.ino, dir: b.dir });
  return { type: 'link', key: a.key, ...fixed, moves: mergeMoves(a.moves, b.moves, fixed.dir), vv: mergeVV(a.vv, b.vv), hlc: maxHlc(a.hlc, b.hlc) };
}

function mergeDead(a: MetaRecord, b: MetaRecord): DeadRecord {
  const ats = [a, b].map((r) => (r.type === 'dead' ? r.at : r.hlc));
  const at = maxHlc(ats[0]!, ats[1]!);
  return { type: 'dead', key: a.key, at, vv: mergeVV(a.vv, b.vv), hlc: maxHlc(a.hlc, b.hlc) };
}

/** What a record says, for telling whether two concurrent versions disagreed. */
function contentOf(r: MetaRecord): unknown {
  const { vv: _vv, hlc: _hlc, ...rest } = r;
  return rest;
}

export function mergeRecords<R extends MetaRecord>(a: R, b: R): MergeResult<R> {
  if (a.key !== b.key) throw new RedCloudError('INTERNAL', `mergeRecords of different records (${a.key} vs ${b.key})`);
  if (a.type === 'dead' || b.type === 'dead') return { record: mergeDead(a, b) as R, conflict: false };
  if (a.type !== b.type) throw new RedCloudError('INTERNAL', `mergeRecords of different record types (${a.type} vs ${b.type} for ${a.key})`);
  const concurrent = compareVV(a.vv, b.vv) === 'concurrent';
  const conflict = concurrent && canonicalJson(contentOf(a)) !== canonicalJson(contentOf(b));
  if (a.type === 'inode') return { record: mergeInodes(a, b as InodeRecord) as R, conflict };
  if (a.type === 'link') return { record: mergeLinks(a, b as LinkRecord) as R, conflict };
  // two accounts with one name always count (and are logged) as a conflict: one of them lost it
  const accounts = compareAccounts(a as UserRecord, b as UserRecord) !== 0;
  return { record: mergeUsers(a as UserRecord, b as UserRecord) as R, conflict: conflict || accounts };
}
