/**
 * The merge of two versions of the same record: the state every controller converges to. If one
 * version vector dominates, its value wins (so a tombstone never loses to an older update that
 * arrives late); concurrent versions resolve last-write-wins by HLC stamp (wallMs, logical, node);
 * equal vectors with different content fall back to a canonical-JSON tie-break. The version
 * vector is the pointwise max, the HLC the max, tags always merge as an add-wins set. Commutative,
 * associative and idempotent (property-tested). Pure.
 */
import { RedCloudError } from '../common/errors.js';
import { compareHlc, maxHlc } from './hlc.js';
import { mergeTags } from './tags.js';
import type { EntryRecord, MetaRecord } from './types.js';
import { compareVV, mergeVV } from './version-vector.js';

export interface MergeResult<R extends MetaRecord = MetaRecord> {
  record: R;
  /** true when the versions were concurrent and their values differed (LWW decided). */
  conflict: boolean;
}

/** JSON with sorted object keys, for deterministic comparisons. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}

function valueOf(r: MetaRecord): unknown {
  return r.type === 'entry' ? r.value : { passwordHash: r.passwordHash, createdAtMs: r.createdAtMs };
}

/** Which side's value wins: 1 for a, -1 for b. */
function pickWinner(a: MetaRecord, b: MetaRecord): { side: 1 | -1; concurrent: boolean } {
  const order = compareVV(a.vv, b.vv);
  if (order === 'after') return { side: 1, concurrent: false };
  if (order === 'before') return { side: -1, concurrent: false };
  const byHlc = compareHlc(a.hlc, b.hlc);
  if (byHlc !== 0) return { side: byHlc > 0 ? 1 : -1, concurrent: order === 'concurrent' };
  const ja = canonicalJson(valueOf(a));
  const jb = canonicalJson(valueOf(b));
  return { side: ja >= jb ? 1 : -1, concurrent: order === 'concurrent' };
}

export function mergeRecords<R extends MetaRecord>(a: R, b: R): MergeResult<R> {
  if (a.key !== b.key || a.type !== b.type) {
    throw new RedCloudError('INTERNAL', `mergeRecords of different records (${a.type} ${a.key} vs ${b.type} ${b.key})`);
  }
  const { side, concurrent } = pickWinner(a, b);
  const winner = side > 0 ? a : b;
  const conflict = concurrent && canonicalJson(valueOf(a)) !== canonicalJson(valueOf(b));
  const vv = mergeVV(a.vv, b.vv);
  const hlc = maxHlc(a.hlc, b.hlc);
  if (winner.type === 'entry') {
    const ea = a as EntryRecord;
    const eb = b as EntryRecord;
    const record: EntryRecord = { ...winner, vv, hlc, tags: mergeTags(ea.tags, ea.vv, eb.tags, eb.vv) };
    return { record: record as R, conflict };
  }
  return { record: { ...winner, vv, hlc } as R, conflict };
}
