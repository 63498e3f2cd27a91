/**
 * Pure constructors of the new version a local write makes at controller `node` with its next
 * global write sequence `seq` and HLC stamp `hlc`. Each sets vv[node] = seq on top of the current
 * version's vector and stamps an HLC after the current one, so a newer local version always
 * dominates and outranks what it replaces.
 */
import { RedCloudError } from '../common/errors.js';
import { after } from './hlc.js';
import { entryKey, userKey } from './keys.js';
import { addTags as addTagDots, removeTags as removeTagDots } from './tags.js';
import type { EntryRecord, EntryValue, Hlc, NodeId, UserRecord, VersionVector } from './types.js';

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

export interface PutEntryArgs extends WriteStamp {
  owner: string;
  path: string;
  value: EntryValue;
  addTags?: readonly string[];
  /** drop the current entry's tags (rename onto an existing file) */
  replaceTags?: boolean;
}

/** Creates or replaces an entry; a live entry keeps its tags unless replaceTags, a tombstone's are dropped. */
export function putEntry(current: EntryRecord | undefined, args: PutEntryArgs): EntryRecord {
  const base = current && current.value && !args.replaceTags ? current.tags : {};
  const tags = args.addTags && args.addTags.length > 0 ? addTagDots(base, args.addTags, [args.node, args.seq]) : base;
  return {
    type: 'entry',
    key: entryKey(args.owner, args.path),
    owner: args.owner,
    path: args.path,
    value: args.value,
    tags,
    vv: nextVV(current, args.node, args.seq),
    hlc: stamp(current, args),
  };
}

/** A tombstone: value null, tags cleared (every observed add removed). */
export function deleteEntry(current: EntryRecord, s: WriteStamp): EntryRecord {
  return { ...current, value: null, tags: {}, vv: nextVV(current, s.node, s.seq), hlc: stamp(current, s) };
}

/** Adds and removes tags of a live entry (remove first, so a tag in both ends up present). */
export function changeTags(current: EntryRecord, add: readonly string[], remove: readonly string[], s: WriteStamp): EntryRecord {
  if (!current.value) throw new RedCloudError('NOT_FOUND', `No such entry: ${current.path}`);
  let tags = removeTagDots(current.tags, remove);
  if (add.length > 0) tags = addTagDots(tags, add, [s.node, s.seq]);
  return { ...current, tags, vv: nextVV(current, s.node, s.seq), hlc: stamp(current, s) };
}

export interface PutUserArgs extends WriteStamp {
  name: string;
  passwordHash: string | null;
  createdAtMs: number;
}

export function putUser(current: UserRecord | undefined, args: PutUserArgs): UserRecord {
  return {
    type: 'user',
    key: userKey(args.name),
    name: args.name,
    passwordHash: args.passwordHash,
    createdAtMs: args.createdAtMs,
    vv: nextVV(current, args.node, args.seq),
    hlc: stamp(current, args),
  };
}
