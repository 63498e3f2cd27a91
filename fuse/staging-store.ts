/**
 * Where a staged file's bytes live until they are committed: in memory while the file is small,
 * in a sparse local file (under the mount's cache dir) once it grows past `spillBytes` or the
 * mount-wide memory budget runs out. Creating a small file through the mount then costs no local
 * file operations at all (a staging file is opened, written, read back, closed and deleted for
 * every file otherwise). Reads past the end and holes read as zeros in both forms.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../src/common/private-files.js';
import { dirname } from 'node:path';

/** Bytes all in-memory staging of one mount may hold together. */
export class MemoryBudget {
  usedBytes = 0;
  constructor(readonly limitBytes: number) {}

  take(bytes: number): boolean {
    if (this.usedBytes + bytes > this.limitBytes) return false;
    this.usedBytes += bytes;
    return true;
  }

  give(bytes: number): void {
    this.usedBytes -= bytes;
  }
}

export class StagingStore {
  /** the bytes while in memory (capacity may exceed `sizeBytes`; beyond it, zeros) */
  private mem: Buffer | undefined = Buffer.alloc(0);
  private file: FileHandle | undefined;
  private sizeBytes = 0;

  constructor(private readonly path: string, private readonly spillBytes: number, private readonly budget: MemoryBudget) {}

  /** True once the bytes moved to the local file. */
  get onDisk(): boolean {
    return this.file !== undefined;
  }

  async write(data: Buffer, position: number): Promise<void> {
    const end = position + data.length;
    if (!this.file && !this.makeRoom(end)) await this.spill();
    if (this.file) {
      await this.file.write(data, 0, data.length, position);
      return;
    }
    data.copy(this.mem!, position);
    this.sizeBytes = Math.max(this.sizeBytes, end);
  }

  /** Reads up to `length` bytes at `position` into `into` at `at`; returns how many (fewer at the end). */
  async read(into: Buffer, at: number, length: number, position: number): Promise<number> {
    if (this.file) return (await this.file.read(into, at, length, position)).bytesRead;
    const n = Math.max(0, Math.min(length, this.sizeBytes - position));
    this.mem!.copy(into, at, position, position + n);
    return n;
  }

  async truncate(size: number): Promise<void> {
    if (!this.file && !this.makeRoom(size)) await this.spill();
    if (this.file) {
      await this.file.truncate(size);
      return;
    }
    // bytes cut off must read as zeros if the file grows again
    if (size < this.sizeBytes) this.mem!.fill(0, size, this.sizeBytes);
    this.sizeBytes = size;
  }

  /** Frees the memory, or closes and deletes the local file. */
  async close(): Promise<void> {
    if (this.mem) this.budget.give(this.mem.length);
    this.mem = undefined;
    const file = this.file;
    this.file = undefined;
    if (file) {
      await file.close().catch(() => undefined);
      await rm(this.path, { force: true });
    }
  }

  /** Grows the in-memory buffer (zero-filled) to hold `bytes` if the limits allow; false when they do not. */
  private makeRoom(bytes: number): boolean {
    const mem = this.mem!;
    if (bytes <= mem.length) return true;
    if (bytes > this.spillBytes) return false;
    const capacity = Math.min(this.spillBytes, Math.max(bytes, 2 * mem.length, 4096));
    if (!this.budget.take(capacity - mem.length)) return false;
    const grown = Buffer.alloc(capacity);
    mem.copy(grown, 0, 0, this.sizeBytes);
    this.mem = grown;
    return true;
  }

  private async spill(): Promise<void> {
    await ensurePrivateDir(dirname(this.path));
    const file = await open(this.path, 'w+', PRIVATE_FILE_MODE);
    try {
      await file.write(this.mem!, 0, this.sizeBytes, 0);
      await file.truncate(this.sizeBytes);
    } catch (err) {
      await file.close().catch(() => undefined);
      await rm(this.path, { force: true });
      throw err;
    }
    this.budget.give(this.mem!.length);
    this.mem = undefined;
    this.file = file;
  }
}
