/**
 * Record keys and back: `i\0<owner>\0<ino>` inodes, `l\0<owner>\0<id>` directory links,
 * `u\0<name>` users, `e\0<owner>\0<path>` the legacy path entries (migration only). Ids of new
 * inodes and links: `<controller>.<seq base 36>`. Pure.
 */
import { createHash } from 'node:crypto';
import { RedCloudError } from '../common/errors.js';

/** The root directory's inode id in every account's tree. */
export const ROOT_INO = 'root';
/** The FUSE inode number of the root (FUSE_ROOT_ID). */
export const ROOT_INO_NUMBER = 1;

export const inodeKey = (owner: string, ino: string): string => `i\0${owner}\0${ino}`;
export const linkKey = (owner: string, id: string): string => `l\0${owner}\0${id}`;
export const userKey = (name: string): string => `u\0${name}`;
export const entryKey = (owner: string, path: string): string => `e\0${owner}\0${path}`;

/** A new inode or link id, unique across controllers: the writing controller and its write seq. */
export const newId = (node: string, seq: number): string => `${node}.${seq.toString(36)}`;

/** Inode numbers computed lately (a listing of 2,000 entries hashed 2,000 ids each time): a memo of a pure function, bounded. */
const INO_NUMBERS_MAX = 65_536;
const inoNumbers = new Map<string, number>();

/**
 * The 53-bit inode number programs see (st_ino) for inode id `ino`: a hash, so every controller
 * computes the same number without coordination; 1 is the root. Collisions are possible in
 * principle (about 1 in 10^4 for a million inodes in one tree): the namespace gives a new inode
 * whose number is taken another id. Two controllers creating colliding inodes at the same moment
 * remain possible in theory (about 1 in 10^16 per pair of concurrent creates).
 */
export function inoNumber(ino: string): number {
  if (ino === ROOT_INO) return ROOT_INO_NUMBER;
  const known = inoNumbers.get(ino);
  if (known !== undefined) return known;
  const h = createHash('sha256').update(ino).digest();
  const n53 = h.readUIntBE(0, 6) * 32 + (h[6]! >> 3); // 48 + 5 = 53 bits
  const n = n53 <= ROOT_INO_NUMBER ? n53 + 2 : n53;
  if (inoNumbers.size >= INO_NUMBERS_MAX) inoNumbers.clear();
  inoNumbers.set(ino, n);
  return n;
}

export type ParsedKey =
  | { type: 'inode'; owner: string; ino: string }
  | { type: 'link'; owner: string; id: string }
  | { type: 'user'; name: string }
  | { type: 'entry'; owner: string; path: string };

export function parseKey(key: string): ParsedKey {
  const parts = key.split('\0');
  if (parts[0] === 'i' && parts.length === 3) return { type: 'inode', owner: parts[1]!, ino: parts[2]! };
  if (parts[0] === 'l' && parts.length === 3) return { type: 'link', owner: parts[1]!, id: parts[2]! };
  if (parts[0] === 'u' && parts.length === 2) return { type: 'user', name: parts[1]! };
  if (parts[0] === 'e' && parts.length === 3) return { type: 'entry', owner: parts[1]!, path: parts[2]! };
  throw new RedCloudError('INVALID', `Malformed record key ${JSON.stringify(key.slice(0, 80))}`);
}
