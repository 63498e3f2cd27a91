/**
 * A cached directory listing the mount's own changes edit in place: entries by path in the order
 * listed (a new one at the end), and the array handed out built once per change. Removing or
 * replacing one entry is O(1); before, every unlink filtered a copy of the whole listing (a
 * loop unlinking 2,000 files copied ~2·10^6 entries). An array once handed out never changes.
 */
import type { EntryInfo } from '../src/common/api.js';

export class Listing {
  private readonly byPath = new Map<string, EntryInfo>();
  private array: EntryInfo[] | undefined;

  constructor(entries: readonly EntryInfo[]) {
    for (const e of entries) this.byPath.set(e.path, e);
  }

  entries(): EntryInfo[] {
    return (this.array ??= [...this.byPath.values()]);
  }

  /** The entry of `path`, if listed (no array built). */
  get(path: string): EntryInfo | undefined {
    return this.byPath.get(path);
  }

  /** Adds `entry`, or replaces the entry of its path where it stands. */
  put(entry: EntryInfo): this {
    this.byPath.set(entry.path, entry);
    this.array = undefined;
    return this;
  }

  remove(path: string): this {
    if (this.byPath.delete(path)) this.array = undefined;
    return this;
  }

  /** Replaces the entry of `path`, if listed, by `change(entry)`. */
  change(path: string, change: (e: EntryInfo) => EntryInfo): this {
    const e = this.byPath.get(path);
    if (e) this.put(change(e));
    return this;
  }
}
