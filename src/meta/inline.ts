/**
 * Small files inline (DESIGN.md "Data model", v2 content): a file of at most INLINE_MAX bytes keeps
 * its bytes in its inode record (`content.inline`, base64) instead of chunks, so writing it is one
 * commit and reading it needs no chunkserver; gossip replicates it like any record. Pure helpers
 * shared by the controller, the client and the mount.
 */

/** INLINE_MAX's default: files up to 64 KiB live in their inode record. */
export const INLINE_MAX_DEFAULT = 64 * 1024;

/** Decoded length of well-formed base64 `b64` (no allocation). */
export function base64Length(b64: string): number {
  if (b64.length === 0) return 0;
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}

/**
 * Whether a file of `sizeBytes` is stored inline under a limit of `inlineMaxBytes` (0: never). An
 * empty file is not inline (it has no bytes to hold); a file never inlines past one chunk, so its
 * bytes always fit the first chunk of the staged file that grows it.
 */
export function fitsInline(sizeBytes: number, inlineMaxBytes: number, chunkSizeBytes: number): boolean {
  return sizeBytes > 0 && sizeBytes <= inlineMaxBytes && sizeBytes <= chunkSizeBytes;
}
