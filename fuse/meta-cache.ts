/**
 * The mount's metadata cache: entries by path (null: known missing) and directory listings, each
 * for a short TTL, invalidated by the mount's own changes. An inode with several names (hard
 * links) changes for all of them at once (nlink, ctime, content), so the cache remembers which
 * cached paths name an inode with nlink > 1 and drops them all when one changes. Pure (the
 * clock is injected).
 */
import type { EntryInfo } from '../src/common/api.js';
import { parentOf } from '../src/common/paths.js';
import { Listing } from './listing.js';
import type { Stamp } from './stat.js';
import { TtlCache } from './ttl-cache.js';

/** Inodes with several names whose paths are remembered; beyond it the index starts over. */
const LINKED_INODES_MAX = 10_000;

export class MetadataCache {
  private readonly attrs: TtlCache<EntryInfo | null>;
  private readonly listings: TtlCache<Listing>;
  private readonly namesOfIno = new Map<number, Set<string>>();
  /** directories whose entries changed: their mode and owner still hold (creates in a setgid directory) */
  private readonly dirOwners: TtlCache<EntryInfo>;

  constructor(ttlMs: number, nowMs: () => number) {
    this.attrs = new TtlCache(ttlMs, nowMs);
    this.listings = new TtlCache(ttlMs, nowMs);
    this.dirOwners = new TtlCache(ttlMs, nowMs);
  }

  /** The entry of `path` if only its mode, uid and gid matter: also one whose mtime is stale. */
  modeAndOwner(path: string): EntryInfo | undefined {
    return this.attrs.get(path) ?? this.dirOwners.get(path);
  }

  /** The cached entry (null: known not to exist; undefined: not cached). */
  attr(path: string): EntryInfo | null | undefined {
    return this.attrs.get(path);
  }

  setAttr(path: string, entry: EntryInfo | null): void {
    this.attrs.set(path, entry);
    if (entry?.ino !== undefined && (entry.nlink ?? 1) > 1 && entry.kind !== 'dir') {
      if (this.namesOfIno.size >= LINKED_INODES_MAX) this.namesOfIno.clear();
      let names = this.namesOfIno.get(entry.ino);
      if (!names) this.namesOfIno.set(entry.ino, (names = new Set()));
      names.add(path);
    }
  }

  deleteAttr(path: string): void {
    this.attrs.delete(path);
  }

  /** What a cached listing of `dir` says of `path`: its entry, null (not in it), undefined (no listing cached). O(1). */
  listed(dir: string, path: string): EntryInfo | null | undefined {
    const l = this.listings.get(dir);
    return l ? l.get(path) ?? null : undefined;
  }

  listing(dir: string): EntryInfo[] | undefined {
    return this.listings.get(dir)?.entries();
  }

  /** Caches a listing and the entries in it. */
  setListing(dir: string, entries: EntryInfo[]): void {
    this.listings.set(dir, new Listing(entries));
    for (const e of entries) this.setAttr(e.path, e);
  }

  /** A cached listing learns of one entry (the mount's own create), keeping its expiry. */
  putInListing(entry: EntryInfo): void {
    this.listings.update(parentOf(entry.path), (l) => l.put(entry));
  }

  /** Drops what is cached of `path` itself (and below it), keeping its directory's listing. */
  forget(path: string): void {
    this.attrs.deleteTree(path);
    this.listings.deleteTree(path);
    this.dirOwners.deleteTree(path);
  }

  /** Drops `path`, what is below it, and its directory's listing and attributes (its mtime, nlink changed). */
  invalidate(path: string): void {
    this.forget(path);
    this.dirChanged(parentOf(path));
  }

  /**
   * The mount removed the name `path`: a cached listing of its directory loses the entry (keeping
   * its expiry), and the directory takes `dir`, its entry after the change as the controller
   * answered it, as its attributes (also in its parent's listing). In a loop that unlinks files,
   * the lookups of the next names and the kernel's permission check of the directory (which stats
   * it after every change) are then answered without a round trip. Without `dir` the directory's
   * attributes are dropped.
   */
  entryRemoved(path: string, dir?: EntryInfo): void {
    const parent = this.dropName(path);
    if (!dir) {
      this.dirTouched(parent);
      return;
    }
    this.dirOwners.delete(parent);
    this.setAttr(parent, dir);
    if (parent !== '/') this.listings.update(parentOf(parent), (l) => l.change(parent, () => dir));
  }

  /**
   * The mount removed `path` and the controller has not answered yet (unlink-behind.ts): as
   * entryRemoved, with the directory taking `at` as its mtime and ctime (as dirEntryAdded), so the
   * kernel's permission check of the directory in an unlink loop needs no round trip.
   */
  entryRemovedAt(path: string, at: Stamp): void {
    this.dirEntryAdded(this.dropName(path), at);
  }

  /** Forgets `path` and takes it out of its directory's cached listing; returns the directory. */
  private dropName(path: string): string {
    this.forget(path);
    const parent = parentOf(path);
    this.listings.update(parent, (l) => l.remove(path));
    return parent;
  }

  /** An entry in `dir` came or went: its listing and its own attributes are stale. */
  dirChanged(dir: string): void {
    this.listings.delete(dir);
    this.dirTouched(dir);
  }

  /**
   * The directory's own attributes (mtime, ctime, nlink) are stale, also as its entry in its
   * parent's listing; its own listing still holds.
   */
  dirTouched(dir: string): void {
    const entry = this.attrs.get(dir);
    if (entry) this.dirOwners.set(dir, entry);
    this.attrs.delete(dir);
    if (dir !== '/') this.listings.delete(parentOf(dir));
  }

  /**
   * An entry was added to `dir` at time `at` (the new inode's ctime): the cached directory (and its
   * entry in its parent's listing) gets that mtime and ctime instead of being dropped, so a loop
   * that creates files does not stat the directory again after each (the kernel's permission
   * check asks for it). The controller stamps the directory a moment after the inode, so the true
   * time shown once the cache expires is never earlier.
   */
  dirEntryAdded(dir: string, at: Stamp): void {
    const touched = (e: EntryInfo): EntryInfo => ({ ...e, mtimeMs: at.ms, ctimeMs: at.ms, mtime: at.ts, ctime: at.ts });
    const cached = this.attrs.get(dir);
    if (cached) this.attrs.update(dir, (e) => (e ? touched(e) : e));
    if (dir === '/') return;
    this.listings.update(parentOf(dir), (l) => l.change(dir, touched));
  }

  /** Drops every cached name of inode `ino` that the cache knows of (and their listings). */
  invalidateIno(ino: number | undefined): void {
    if (ino === undefined) return;
    const names = this.namesOfIno.get(ino);
    if (!names) return;
    this.namesOfIno.delete(ino);
    for (const p of names) this.invalidate(p);
  }

  /** The cached names of inode `ino` (hard links the cache has seen). */
  namesOf(ino: number): string[] {
    return [...(this.namesOfIno.get(ino) ?? [])];
  }
}
