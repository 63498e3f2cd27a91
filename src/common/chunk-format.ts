/**
 * Chunk formats and their ids (the block-hash tree). Pure apart from the hash functions.
 * - 'sha256' (v1, every chunk written before blocks): id = SHA-256 of the whole bytes; such a
 *   chunk can only be verified whole.
 * - 'b3-64k' (v2, the default): the bytes are hashed in 64 KiB blocks with BLAKE3 and
 *   id = BLAKE3(domain ‖ u64be(size) ‖ h0 ‖ h1 ‖ …). Once a block list (32 bytes per block) is
 *   checked against the id, any block is verified alone, so a range read moves only the blocks it
 *   covers. The domain string and the size make ids of different formats and lengths disjoint.
 * - 's256-64k': the same tree with SHA-256; kept so bench/chunk-hash.ts can measure both in the
 *   real paths (BLAKE3 won: see that bench's header).
 * All three are 256-bit cryptographic hashes, so an id names one content whatever the format,
 * and a format named by a peer is only a hint: bytes are accepted only if they hash to the id.
 */
import { Blake3Hasher, blake3 } from '@napi-rs/blake-hash';
import { createHash } from 'node:crypto';

export type ChunkFormat = 'sha256' | 'b3-64k' | 's256-64k';
export type TreeFormat = Exclude<ChunkFormat, 'sha256'>;
export const CHUNK_FORMATS: readonly ChunkFormat[] = ['sha256', 'b3-64k', 's256-64k'];
/** What new chunks are written as. */
export const DEFAULT_CHUNK_FORMAT: TreeFormat = 'b3-64k';
/** Sent on PUT (the format the id claims) and on GET/blocks answers (the stored format). */
export const CHUNK_FORMAT_HEADER = 'x-redcloud-chunk-format';
export const BLOCK_BYTES = 64 * 1024;
export const BLOCK_HASH_BYTES = 32;

interface Incremental {
  update(data: Uint8Array): void;
  digest(): Buffer;
}
interface Algo {
  once(data: Uint8Array): Buffer;
  incremental(): Incremental;
}

const SHA256: Algo = {
  once: (d) => createHash('sha256').update(d).digest(),
  incremental: () => {
    const h = createHash('sha256');
    return { update: (d) => void h.update(d), digest: () => h.digest() };
  },
};
/** The binding takes Buffers: a view of the same memory, no copy. */
const asBuffer = (d: Uint8Array): Buffer => (Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength));
const BLAKE3: Algo = {
  once: (d) => blake3(asBuffer(d)),
  incremental: () => {
    const h = new Blake3Hasher();
    return { update: (d) => void h.update(asBuffer(d)), digest: () => h.digestBuffer() };
  },
};
const TREE_ALGO: Record<TreeFormat, Algo> = { 'b3-64k': BLAKE3, 's256-64k': SHA256 };

export function isChunkFormat(v: unknown): v is ChunkFormat {
  return typeof v === 'string' && (CHUNK_FORMATS as readonly string[]).includes(v);
}
export function isTreeFormat(f: ChunkFormat): f is TreeFormat {
  return f !== 'sha256';
}

/** A format from a header: absent means the v1 format (old peers send none); unknown is undefined. */
export function formatFromHeader(raw: string | string[] | null | undefined): ChunkFormat | undefined {
  if (raw === undefined || raw === null) return 'sha256';
  return isChunkFormat(raw) ? raw : undefined;
}

export function blockCount(sizeBytes: number): number {
  return Math.ceil(sizeBytes / BLOCK_BYTES);
}

/** The id of a tree chunk of `sizeBytes` bytes from its block hashes (n × 32 bytes). */
export function treeIdOf(format: TreeFormat, sizeBytes: number, blockHashes: Uint8Array): string {
  const h = TREE_ALGO[format].incremental();
  const head = Buffer.alloc(8);
  head.writeBigUInt64BE(BigInt(sizeBytes));
  h.update(Buffer.from(`redcloud/chunk/${format}\n`));
  h.update(head);
  h.update(blockHashes);
  return h.digest().toString('hex');
}

/** The hash of one block of a tree format. */
export function blockHashOf(format: TreeFormat, block: Uint8Array): Buffer {
  return TREE_ALGO[format].once(block);
}

/** Every block hash of `data`, concatenated. */
export function blockHashesOf(format: TreeFormat, data: Uint8Array): Buffer {
  const n = blockCount(data.length);
  const out = Buffer.allocUnsafe(n * BLOCK_HASH_BYTES);
  for (let i = 0; i < n; i++) blockHashOf(format, data.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES)).copy(out, i * BLOCK_HASH_BYTES);
  return out;
}

/** The id of `data` written in `format`. */
export function chunkIdOf(format: ChunkFormat, data: Uint8Array): string {
  if (!isTreeFormat(format)) return SHA256.once(data).toString('hex');
  return treeIdOf(format, data.length, blockHashesOf(format, data));
}

/**
 * The format under which `data` hashes to `id`, trying `hint` first, then the default, then the
 * rest; undefined when none does (corrupt bytes). Sound whatever the hint: every format is a
 * cryptographic hash of the bytes.
 */
export function formatMatching(id: string, data: Uint8Array, hint?: ChunkFormat): ChunkFormat | undefined {
  const order = [...new Set<ChunkFormat>([...(hint ? [hint] : []), DEFAULT_CHUNK_FORMAT, ...CHUNK_FORMATS])];
  return order.find((f) => chunkIdOf(f, data) === id);
}

/** The blocks covering bytes [from, to) of a chunk of `sizeBytes`, and their byte span. Pure. */
export function blockSpan(sizeBytes: number, from: number, to: number): { first: number; last: number; start: number; end: number } {
  if (!(from >= 0 && to > from && to <= sizeBytes)) throw new RangeError(`Bad range [${from}, ${to}) of a ${sizeBytes}-byte chunk`);
  const first = Math.floor(from / BLOCK_BYTES);
  const last = Math.floor((to - 1) / BLOCK_BYTES);
  return { first, last, start: first * BLOCK_BYTES, end: Math.min(sizeBytes, (last + 1) * BLOCK_BYTES) };
}

/**
 * Checks bytes of whole blocks first…last (as `blockSpan` gives them) against a verified block
 * list; returns the index of the first bad block, or -1 when all match.
 */
export function firstBadBlock(format: TreeFormat, blockHashes: Uint8Array, first: number, bytes: Uint8Array): number {
  const n = blockCount(bytes.length);
  for (let i = 0; i < n; i++) {
    const want = blockHashes.subarray((first + i) * BLOCK_HASH_BYTES, (first + i + 1) * BLOCK_HASH_BYTES);
    if (want.length !== BLOCK_HASH_BYTES) return first + i;
    if (!blockHashOf(format, bytes.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES)).equals(want)) return first + i;
  }
  return -1;
}

/**
 * Hashes a chunk arriving in pieces of any size: `update` as bytes go by, then `digestHex()` once
 * (the id under `format`) and, for a tree format, `blocks()` (the block list, n × 32 bytes).
 */
export class ChunkHasher {
  private readonly whole?: Incremental;
  /** the block being filled from pieces that do not cover it whole (one copy, then one hash call) */
  private block?: Buffer;
  private inBlock = 0;
  private readonly done: Buffer[] = [];
  bytes = 0;

  constructor(readonly format: ChunkFormat) {
    if (!isTreeFormat(format)) this.whole = SHA256.incremental();
  }

  update(piece: Uint8Array): void {
    this.bytes += piece.length;
    if (this.whole) {
      this.whole.update(piece);
      return;
    }
    const algo = TREE_ALGO[this.format as TreeFormat];
    let at = 0;
    while (at < piece.length) {
      // a whole block in one piece is hashed in one call
      if (this.inBlock === 0 && piece.length - at >= BLOCK_BYTES) {
        this.done.push(algo.once(piece.subarray(at, at + BLOCK_BYTES)));
        at += BLOCK_BYTES;
        continue;
      }
      // Pieces off the network are ~16-64 KiB and rarely aligned: gathering them into the block
      // and hashing it in one call costs less than the hash's incremental updates (SIMD works on
      // whole runs of BLAKE3 chunks; measured 0.66 s/GiB against 1.10 for 16 KiB updates).
      this.block ??= Buffer.allocUnsafe(BLOCK_BYTES);
      const take = Math.min(BLOCK_BYTES - this.inBlock, piece.length - at);
      this.block.set(piece.subarray(at, at + take), this.inBlock);
      this.inBlock += take;
      at += take;
      if (this.inBlock === BLOCK_BYTES) this.endBlock();
    }
  }

  private endBlock(): void {
    this.done.push(TREE_ALGO[this.format as TreeFormat].once(this.block!.subarray(0, this.inBlock)));
    this.inBlock = 0;
  }

  /** The block list (tree formats; empty for 'sha256'). Ends the last partial block. */
  blocks(): Buffer {
    if (this.whole) return Buffer.alloc(0);
    if (this.inBlock > 0) this.endBlock();
    return Buffer.concat(this.done);
  }

  digestHex(): string {
    if (this.whole) return this.whole.digest().toString('hex');
    return treeIdOf(this.format as TreeFormat, this.bytes, this.blocks());
  }
}
