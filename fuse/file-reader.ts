/**
 * Reads of a file opened read-only: one read plan per open (client.readPlan), the range of each
 * chunk a read covers from the shared ChunkCache (RAM, disk tier or fetch), read-ahead of the following chunks. When capabilities in the plan have
 * expired (UNAUTHORIZED/FORBIDDEN from a chunkserver), the plan is fetched again once.
 * Read-ahead only follows sequential readers (read-pattern.ts: a few reads in a row, each near the
 * last): a random reader fetches just the 64 KiB blocks it reads, except that a read from the first
 * byte of a chunk of at most 1 MiB fetches it whole (read-pattern.ts fetchWhole). Which chunk pieces cover a read
 * comes from read-pieces.ts.
 * A small file's bytes come inline with the plan: its reads need no chunkserver. A file in extents
 * (src/meta/extents.ts) is read piece by piece from the chunk ranges its extents name; holes are zeros.
 * `readInto` (the FUSE read) copies each piece straight from the cache into the kernel's buffer
 * as it arrives, and writes nothing there once the read failed or its deadline passed.
 */
import type { ReadPlan, ReadPlanChunk } from '../src/common/api.js';
import { extentsProblem, pieces, spansOf, type Span } from '../src/meta/extents.js';
import { RedCloudError, errors } from '../src/common/errors.js';
import { throwIfAborted } from '../src/common/http-client.js';
import type { RedCloudClient } from '../src/client/types.js';
import type { ChunkCache } from './chunk-cache.js';
import { coveringPieces } from './read-pieces.js';
import { ReadPattern, fetchWhole } from './read-pattern.js';
import { inlineBytes } from '../src/client/download.js';

export class FileReader {
  private readonly pattern = new ReadPattern();
  /** the plan's extents as spans over its chunks (a file in extents), for the plan they came from */
  private spans: { plan: ReadPlan; spans: Span<ReadPlanChunk>[] } | undefined;
  /** the plan's inline bytes, decoded once (null: the file is in chunks) */
  private inline: Buffer | null | undefined;

  constructor(
    private readonly path: string,
    private plan: ReadPlan,
    private readonly cache: ChunkCache,
    client: RedCloudClient,
    /** how a new plan is fetched when capabilities expired (default: client.readPlan of the path) */
    private readonly replan: (signal: AbortSignal) => Promise<ReadPlan> = (signal) => client.readPlan(path, { signal }),
  ) {}

  get size(): number {
    return this.plan.entry.size;
  }

  /** Up to `length` bytes at `offset` (fewer at end of file). */
  async read(offset: number, length: number, signal: AbortSignal): Promise<Buffer> {
    try {
      return await this.readOnce(offset, length);
    } catch (err) {
      if (!(err instanceof RedCloudError) || (err.code !== 'UNAUTHORIZED' && err.code !== 'FORBIDDEN')) throw err;
      this.plan = await this.replan(signal);
      this.inline = undefined;
      return this.readOnce(offset, length);
    }
  }

  /** As `read`, into `dest` from its first byte (at most dest.length bytes); resolves with the count. */
  async readInto(dest: Buffer, offset: number, length: number, signal: AbortSignal): Promise<number> {
    try {
      return await this.readOnceInto(dest, offset, Math.min(length, dest.length), signal);
    } catch (err) {
      if (!(err instanceof RedCloudError) || (err.code !== 'UNAUTHORIZED' && err.code !== 'FORBIDDEN')) throw err;
      this.plan = await this.replan(signal);
      this.inline = undefined;
      return this.readOnceInto(dest, offset, Math.min(length, dest.length), signal);
    }
  }

  private async readOnceInto(dest: Buffer, offset: number, length: number, signal: AbortSignal): Promise<number> {
    const end = Math.min(this.plan.entry.size, offset + length);
    if (offset >= end) return 0;
    this.inline ??= inlineBytes(this.plan) ?? null;
    if (this.inline) return this.inline.copy(dest, 0, offset, end);
    const sequential = this.pattern.observe(offset, end);
    let failed = false;
    // each piece is copied in the continuation that receives it (ChunkCache.view), unless the read already failed or timed out
    const copyIn = (view: Promise<Buffer>, at: number): Promise<number> => view.then((v) => (failed || signal.aborted ? 0 : v.copy(dest, at)));
    let pending: Promise<number[]>;
    if (this.plan.extents) {
      pending = Promise.all(pieces(this.spansOfPlan(), offset, end).map((p) => (p.chunk
        ? copyIn(this.cache.view(p.chunk, p.chunkOff, p.chunkOff + p.len, { whole: fetchWhole(sequential, p.chunkOff, p.chunk.size) }), p.off - offset)
        : Promise.resolve(dest.fill(0, p.off - offset, p.off - offset + p.len) && p.len))));
    } else {
      const covering = coveringPieces(this.plan.chunks, offset, end);
      if (covering.length === 0) return 0;
      pending = Promise.all(covering.map((p) =>
        copyIn(this.cache.view(p.chunk, p.from, p.to, { whole: fetchWhole(sequential, p.from, p.chunk.size), spread: p.index }), p.chunk.offset + p.from - offset)));
      if (sequential) this.cache.readAhead(this.plan.chunks, covering[covering.length - 1]!.index + 1);
    }
    try {
      const counts = await pending;
      throwIfAborted(signal, `Reading ${this.path}`);
      return counts.reduce((a, b) => a + b, 0);
    } catch (err) {
      failed = true;
      throw err;
    }
  }

  /** The plan's extents as spans over its chunks, checked once per plan. */
  private spansOfPlan(): Span<ReadPlanChunk>[] {
    if (this.spans?.plan !== this.plan) {
      const problem = extentsProblem(this.plan.extents, this.plan.chunks, this.plan.entry.size);
      if (problem) throw errors.integrity(`Read plan of ${this.path}: extents ${problem}`);
      this.spans = { plan: this.plan, spans: spansOf(this.plan.chunks, this.plan.extents) };
    }
    return this.spans.spans;
  }

  private async readOnce(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.plan.entry.size, offset + length);
    if (offset >= end) return Buffer.alloc(0);
    // a small file's bytes came with the plan (its inode record): no chunkserver
    this.inline ??= inlineBytes(this.plan) ?? null;
    if (this.inline) return Buffer.from(this.inline.subarray(offset, end));
    if (this.plan.extents) return this.readExtents(offset, end);
    const pieces = coveringPieces(this.plan.chunks, offset, end);
    if (pieces.length === 0) return Buffer.alloc(0);
    const sequential = this.pattern.observe(offset, end);
    const pending = Promise.all(pieces.map((p) => this.cache.read(p.chunk, p.from, p.to, { whole: fetchWhole(sequential, p.from, p.chunk.size), spread: p.index })));
    if (sequential) this.cache.readAhead(this.plan.chunks, pieces[pieces.length - 1]!.index + 1);
    const parts = await pending;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** [offset, end) of a file in extents: each piece from its chunk's range (verified blocks), holes as zeros. */
  private async readExtents(offset: number, end: number): Promise<Buffer> {
    const spans = this.spansOfPlan();
    const sequential = this.pattern.observe(offset, end);
    const parts = await Promise.all(pieces(spans, offset, end).map((p) =>
      (p.chunk ? this.cache.read(p.chunk, p.chunkOff, p.chunkOff + p.len, { whole: fetchWhole(sequential, p.chunkOff, p.chunk.size) }) : Promise.resolve(Buffer.alloc(p.len)))));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
