/**
 * Declared tags: a tag made usable before any file carries it (`mkdir mnt/.tags/NAME`). Each is an
 * extended attribute `trusted.redcloud.tag.NAME` (empty value) on the account's root directory
 * inode: an ordinary per-name last-writer-wins register of a replicated record, so it gossips,
 * merges (two controllers declaring two tags at once keep both; declare vs. undeclare: the later
 * stamp wins) and is schema-checked from peers like every inode. `GET /v1/fs/tags` lists declared
 * tags with their file count (0 while unused); names that are not valid tags are ignored. Pure.
 */
import { TAG_RE } from './paths.js';

export const DECLARED_TAG_PREFIX = 'trusted.redcloud.tag.';

export const declaredTagXattr = (tag: string): string => `${DECLARED_TAG_PREFIX}${tag}`;

/** The declared tags among an inode's live xattr names, sorted. */
export function declaredTags(xattrNames: Iterable<string>): string[] {
  const out: string[] = [];
  for (const n of xattrNames) {
    if (!n.startsWith(DECLARED_TAG_PREFIX)) continue;
    const tag = n.slice(DECLARED_TAG_PREFIX.length);
    if (TAG_RE.test(tag)) out.push(tag);
  }
  return out.sort();
}

/** Tag counts with every declared tag present (count 0 when no file carries it), sorted by tag. */
export function withDeclared(counts: readonly { tag: string; count: number }[], declared: readonly string[]): { tag: string; count: number }[] {
  const have = new Set(counts.map((c) => c.tag));
  const out = [...counts, ...declared.filter((t) => !have.has(t)).map((tag) => ({ tag, count: 0 }))];
  return out.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}
