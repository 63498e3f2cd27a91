/**
 * Rules both metadata stores follow alike (store.ts, memory-store.ts): the byte order of names and
 * keys, listing order, which records collection may take, chunk references of a record, and the
 * result of an update that changes nothing. Pure.
 */
import { parseKey, ROOT_INO } from '../meta/keys.js';
import type { Hlc, InodeRecord, LinkRecord, MetaRecord } from '../meta/types.js';
import type { DirEntry, RemoteApplyResult } from './metadata-store.js';

/** Byte order of the UTF-8 encodings (SQLite's BINARY collation), the order of names and keys. */
export function compareBytes(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Directory listings: by shown name, then link id (only a name collision makes ids matter). */
export const compareEntries = (x: DirEntry, y: DirEntry): number => compareBytes(x.name, y.name) || compareBytes(x.linkId, y.linkId);

/** The owner a record key belongs to (undefined for users). */
export function ownerOfKey(key: string): string | undefined {
  const k = parseKey(key);
  return k.type === 'user' ? undefined : k.owner;
}

/** A file link whose latest move took it out of the tree: its unlink stamp, else undefined. */
export function unlinkedAt(r: LinkRecord): Hlc | undefined {
  if (r.dir) return undefined;
  const last = r.moves[r.moves.length - 1];
  return last && last.parent === null ? last.at : undefined;
}

/** A non-directory inode other than the root (the kinds collection may take). */
export const collectableInode = (r: InodeRecord): boolean => r.kind !== 'dir' && r.ino !== ROOT_INO;

/**
 * Chunk ids a record's content references on chunkservers (inodes only): its chunks but the inline
 * ones (content.inlineChunks, whose bytes are in the record), so GC, repair and dedup never look
 * for those on a chunkserver and a chunkserver's copy of the same id is kept only by another reference.
 */
export const chunksOf = (r: MetaRecord): string[] => {
  if (r.type !== 'inode') return [];
  const inline = r.content.v.inlineChunks;
  const ids = r.content.v.chunks.map((c) => c.id);
  return inline ? ids.filter((id) => !Object.hasOwn(inline, id)) : ids;
};

/** The result of an update the store keeps nothing of. */
export const unchanged = (current: MetaRecord | undefined, incoming: MetaRecord): RemoteApplyResult =>
  ({ changed: false, conflict: false, before: current, after: current ?? incoming });
