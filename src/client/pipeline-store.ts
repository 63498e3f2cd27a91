/**
 * A chunk through the replica pipeline: one PUT to the first target with the controller's signed
 * forward list (forward-list.ts); the first hop answers its receipt and, in `chain`, those of the
 * hops after it. Resolves (never rejects) with the receipts got and the target ids still missing
 * a copy, which the caller sends directly (upload.ts). Receipts are not checked here: the
 * controller checks every one at commit, so a hop that lied about another costs only that copy.
 */
import { CAP_HEADER, RECEIPT_HEADER, type ChunkLocation, type ChunkPutResponse } from '../common/api.js';
import { CHUNK_FORMAT_HEADER, type ChunkFormat } from '../common/chunk-format.js';
import { RedCloudError, toRedCloudError } from '../common/errors.js';
import { FORWARD_HEADER, parseChain } from '../common/forward-list.js';
import { request } from '../common/http-client.js';
import type { UploadContext, ChunkToStore } from './upload.js';

export interface PipelineResult {
  receipts: string[];
  /** target ids without a receipt, in placement order */
  missing: string[];
  errors: RedCloudError[];
}

export async function storeByPipeline(
  ctx: UploadContext, targets: ChunkLocation[], chunk: ChunkToStore, cap: string, forward: string, format: ChunkFormat | undefined, signal: AbortSignal,
): Promise<PipelineResult> {
  const first = targets[0]!;
  const headers: Record<string, string> = { [CAP_HEADER]: cap, [FORWARD_HEADER]: forward };
  if (format && format !== 'sha256') headers[CHUNK_FORMAT_HEADER] = format;
  const url = `${first.url.replace(/\/+$/, '')}/chunks/${chunk.ref.id}`;
  try {
    // every hop's store and forward happen inside this one call: it gets the whole request timeout
    const res = await request(url, { method: 'PUT', body: chunk.data, headers, timeoutMs: ctx.requestTimeoutMs, signal });
    const header = res.headers.get(RECEIPT_HEADER);
    let answer: Partial<ChunkPutResponse> | null = null;
    try {
      answer = (await res.json()) as Partial<ChunkPutResponse> | null;
    } catch {
      /* no JSON body: only the first hop's header receipt */
    }
    const receipts: string[] = [];
    const have = new Set<string>();
    const own = header ?? answer?.receipt;
    if (typeof own === 'string') {
      receipts.push(own);
      have.add(first.id);
    }
    const errors: RedCloudError[] = [];
    const placed = new Set(targets.map((t) => t.id));
    for (const link of parseChain(answer?.chain, targets.length - 1)) {
      if (!placed.has(link.id) || have.has(link.id)) continue;
      if (link.receipt) {
        receipts.push(link.receipt);
        have.add(link.id);
      } else errors.push(new RedCloudError('UNAVAILABLE', `${link.id} (via the pipeline): ${link.code ?? 'no answer'} ${link.message ?? ''}`.trim()));
    }
    return { receipts, missing: targets.filter((t) => !have.has(t.id)).map((t) => t.id), errors };
  } catch (err) {
    return { receipts: [], missing: targets.map((t) => t.id), errors: [toRedCloudError(err)] };
  }
}
