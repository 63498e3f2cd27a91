/**
 * Content addressing: a chunk's id is the lower-case hex SHA-256 of its bytes. Ids are validated
 * with CHUNK_ID_RE everywhere they enter the system.
 */
import { createHash, webcrypto } from 'node:crypto';
import { errors } from './errors.js';

export const CHUNK_ID_RE = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The same, computed on the libuv thread pool (WebCrypto): the event loop only copies the bytes
 * (~0.5 ms per 4 MiB instead of ~2.5 ms hashing them), so sockets and the FUSE queue keep moving
 * while a chunk is hashed. For whole chunks in memory; `data` must not change until it resolves.
 */
export async function sha256HexAsync(data: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', data)).toString('hex');
}

export function isChunkId(id: unknown): id is string {
  return typeof id === 'string' && CHUNK_ID_RE.test(id);
}

export function assertChunkId(id: unknown): string {
  if (!isChunkId(id)) throw errors.invalid(`Invalid chunk id: expected 64 lower-case hex characters`, { id: String(id).slice(0, 80) });
  return id;
}

/** The SHA-256 of the empty chunk (the only chunk of a 0-byte file has none: its chunk list is empty). */
export const EMPTY_SHA256 = sha256Hex(new Uint8Array(0));
