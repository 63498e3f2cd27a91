/**
 * Turns stored entry records into the EntryInfo the API answers, including the opaque version
 * string (HLC stamp plus the sum of the version vector: changes on every write and every merge).
 */
import type { EntryInfo } from '../common/api.js';
import { tagNames } from '../meta/tags.js';
import type { EntryRecord, EntryValue } from '../meta/types.js';

export const ROOT_MODE = 0o755;

export function versionOf(r: Pick<EntryRecord, 'hlc' | 'vv'>): string {
  const sum = Object.values(r.vv).reduce((a, b) => a + b, 0);
  return `${r.hlc.wallMs.toString(36)}.${r.hlc.logical.toString(36)}.${sum.toString(36)}.${r.hlc.node}`;
}

export function toEntryInfo(r: EntryRecord & { value: EntryValue }): EntryInfo {
  const v = r.value;
  const info: EntryInfo = {
    path: r.path, kind: v.kind, size: v.size, mode: v.mode, mtimeMs: v.mtimeMs, ctimeMs: v.ctimeMs,
    tags: tagNames(r.tags), version: versionOf(r),
  };
  if (v.kind === 'symlink' && v.target !== undefined) info.target = v.target;
  if (v.kind === 'file') info.chunkCount = v.chunks.length;
  return info;
}

export function rootInfo(): EntryInfo {
  return { path: '/', kind: 'dir', size: 0, mode: ROOT_MODE, mtimeMs: 0, ctimeMs: 0, tags: [], version: 'root' };
}
