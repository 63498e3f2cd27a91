/**
 * Chunk ids in tests: what a client gives new chunks today (the default format, chunk-format.ts),
 * and whether stored bytes still hash to their id in whatever format they were written.
 */
import { chunkIdOf, DEFAULT_CHUNK_FORMAT, formatMatching } from '../../src/common/chunk-format.js';

/** The id an upload gives these bytes (one chunk). */
export const newChunkId = (bytes: Uint8Array): string => chunkIdOf(DEFAULT_CHUNK_FORMAT, bytes);

/** true when `bytes` hash to `id` in some chunk format (a stored copy is intact). */
export const chunkIntact = (id: string, bytes: Uint8Array): boolean => formatMatching(id, bytes) !== undefined;
