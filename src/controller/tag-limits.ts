/**
 * Bounds on tags, so that one user cannot make a controller slow for everyone (13,697 tags on one
 * file once made other users' `list` take seconds): at most TAGS_PER_FILE_MAX tags on a file and
 * TAGS_PER_USER_MAX (file, tag) pairs over all of a user's files. Only a change that adds tags is
 * checked, so removing tags always works, also above a bound lowered later. Pure.
 */
import { RedCloudError } from '../common/errors.js';

export interface TagLimits {
  perFileMax: number;
  perUserMax: number;
}

export const DEFAULT_TAG_LIMITS: TagLimits = { perFileMax: 256, perUserMax: 100_000 };

/**
 * Throws TOO_LARGE when adding `add` and removing `remove` would leave a file with more than
 * perFileMax tags or its owner with more than perUserMax tag pairs; `userPairs` is asked only
 * when the change grows the file's tags.
 */
export function checkTagChange(limits: TagLimits, current: readonly string[], add: readonly string[], remove: readonly string[], userPairs: () => number): void {
  const after = new Set(current);
  for (const t of remove) after.delete(t);
  for (const t of add) after.add(t);
  const grown = after.size - current.length;
  if (grown <= 0) return;
  if (after.size > limits.perFileMax) {
    throw new RedCloudError('TOO_LARGE', `A file may have at most ${limits.perFileMax} tags (TAGS_PER_FILE_MAX); this change would leave ${after.size}`,
      { limit: limits.perFileMax, tags: after.size });
  }
  const have = userPairs();
  if (have + grown > limits.perUserMax) {
    throw new RedCloudError('TOO_LARGE', `A user may have at most ${limits.perUserMax} tags over all files (TAGS_PER_USER_MAX); ${have} are in use`,
      { limit: limits.perUserMax, inUse: have });
  }
}
