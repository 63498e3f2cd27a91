/**
 * `download NAME -`: a file's bytes to a stream (stdout) in order. Up to `aheadChunks` chunks are
 * fetched ahead (each verified by hash by fetchChunk, replica failover included) and written in
 * file order, waiting for 'drain', so memory stays at a few chunks. On any failure the bytes
 * already written stay written (a pipe cannot take them back) and the error says so.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EntryInfo } from '../../src/common/api.js';
import { errors } from '../../src/common/errors.js';
import type { Progress, RedCloudClient } from '../../src/client/types.js';

export const AHEAD_CHUNKS = 4;

export async function downloadToStream(
  client: Pick<RedCloudClient, 'readPlan' | 'fetchChunk'>, remote: string, out: Writable,
  o: { signal?: AbortSignal; onProgress?: (p: Progress) => void; aheadChunks?: number } = {},
): Promise<EntryInfo> {
  const plan = await client.readPlan(remote, { signal: o.signal });
  if (plan.entry.kind !== 'file') throw errors.isDir(`Not a file: ${plan.entry.path}`, { path: plan.entry.path });
  const chunks = [...plan.chunks].sort((a, b) => a.offset - b.offset);
  let pos = 0;
  for (const c of chunks) {
    if (c.offset !== pos) throw errors.integrity(`Read plan of ${plan.entry.path} has a gap or overlap at byte ${pos}`);
    pos += c.size;
  }
  if (pos !== plan.entry.size) throw errors.integrity(`Read plan of ${plan.entry.path} covers ${pos} bytes of ${plan.entry.size}`);
  const ahead = Math.max(1, o.aheadChunks ?? AHEAD_CHUNKS);
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  let doneBytes = 0;
  let failed: Error | undefined;
  const onError = (err: Error): void => {
    failed = err;
  };
  out.on('error', onError);
  try {
    for (let i = 0; i < chunks.length; i++) {
      while (next < chunks.length && next < i + ahead) {
        const p = client.fetchChunk(chunks[next++]!, { signal: o.signal });
        p.catch(() => undefined); // awaited in order below; a later one failing first is not unhandled
        pending.push(p);
      }
      const buf = await pending.shift()!;
      if (failed) throw failed;
      if (!out.write(buf)) await once(out, 'drain', { signal: o.signal });
      doneBytes += buf.length;
      o.onProgress?.({ doneBytes, totalBytes: plan.entry.size });
    }
    if (failed) throw failed;
  } finally {
    out.off('error', onError);
  }
  return plan.entry;
}
