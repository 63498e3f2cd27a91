/**
 * The mount's staged (open for writing, or not yet committed) files, keyed by inode number when
 * it is known and by path for a file created here before its first commit. Each staged file is
 * also known under the names it was opened or renamed to, so a lookup by path finds it without a
 * round trip; a lookup through another hard link finds it by the inode number in that name's
 * entry. A rename while open moves the name (the commit goes to the inode wherever it is now).
 */
import type { StagedFile } from './staged-file.js';

export class OpenFiles {
  private readonly files = new Map<string, Promise<StagedFile>>();
  /** path → key of the staged file known under that name */
  private readonly names = new Map<string, string>();
  /** staged file → its key */
  private readonly keys = new WeakMap<StagedFile, string>();

  static keyOf(path: string, ino: number | undefined): string {
    return ino !== undefined ? `i:${ino}` : `p:${path}`;
  }

  /** The staged file known under `path`, else the one of inode `ino` (another name of it). */
  pending(path: string, ino?: number): Promise<StagedFile> | undefined {
    const key = this.names.get(path);
    const byName = key !== undefined ? this.files.get(key) : undefined;
    if (byName) return byName;
    return ino !== undefined ? this.files.get(OpenFiles.keyOf(path, ino)) : undefined;
  }

  async at(path: string, ino?: number): Promise<StagedFile | undefined> {
    return this.pending(path, ino)?.catch(() => undefined);
  }

  /** Registers a staged file being opened under `key`; it leaves again if opening fails. */
  add(path: string, key: string, p: Promise<StagedFile>): void {
    this.files.set(key, p);
    this.names.set(path, key);
    p.then((s) => { this.keys.set(s, key); }, () => {
      if (this.files.get(key) === p) this.drop(key);
    });
  }

  /** A new file's first commit gave it an inode number: it is keyed by it from now on. */
  rekey(s: StagedFile): void {
    const oldKey = this.keys.get(s);
    if (s.ino === undefined || oldKey === undefined) return;
    const p = this.files.get(oldKey);
    const key = OpenFiles.keyOf(s.path, s.ino);
    if (!p || key === oldKey || this.files.has(key)) return;
    this.files.delete(oldKey);
    this.files.set(key, p);
    this.keys.set(s, key);
    for (const [name, k] of this.names) if (k === oldKey) this.names.set(name, key);
  }

  /** Forgets the staged file `s` (and its names) if it is still the one registered for its key. */
  async remove(s: StagedFile): Promise<void> {
    const key = this.keys.get(s);
    if (key === undefined) return;
    const p = this.files.get(key);
    if (p && (await p.catch(() => undefined)) === s) this.drop(key);
  }

  /** The name `path` no longer exists; returns the staged file that was known under it. */
  async unname(path: string): Promise<StagedFile | undefined> {
    const key = this.names.get(path);
    if (key === undefined) return undefined;
    this.names.delete(path);
    return this.files.get(key)?.catch(() => undefined);
  }

  /** `from` was renamed to `to`: names at and under `from` move; staged files there commit under their new paths. */
  async rename(from: string, to: string): Promise<void> {
    const prefix = `${from}/`;
    for (const [name, key] of [...this.names]) {
      if (name !== from && !name.startsWith(prefix)) continue;
      const moved = to + name.slice(from.length);
      this.names.delete(name);
      this.names.set(moved, key);
      const s = await this.files.get(key)?.catch(() => undefined);
      if (s && s.path === name) s.path = moved;
    }
  }

  /** Every name with its staged file (readdir, flushAll). */
  async list(): Promise<{ path: string; staged: StagedFile }[]> {
    const out: { path: string; staged: StagedFile }[] = [];
    for (const [path, key] of [...this.names]) {
      const s = await this.files.get(key)?.catch(() => undefined);
      if (s) out.push({ path, staged: s });
    }
    return out;
  }

  /** Every staged file once. */
  async all(): Promise<StagedFile[]> {
    const out = new Set<StagedFile>();
    for (const p of [...this.files.values()]) {
      const s = await p.catch(() => undefined);
      if (s) out.add(s);
    }
    return [...out];
  }

  get size(): number {
    return this.files.size;
  }

  private drop(key: string): void {
    this.files.delete(key);
    for (const [name, k] of [...this.names]) if (k === key) this.names.delete(name);
  }
}
