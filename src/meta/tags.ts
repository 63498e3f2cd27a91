/**
 * Tags as an add-wins observed-remove set (ORSWOT) whose causal context is the record's version
 * vector: each present tag carries the dots (node, seq) of the adds that put it there. On merge a
 * dot survives if both sides hold it, or if the other side has not seen it yet (so it cannot have
 * removed it). Concurrent add and remove of the same tag: the add wins. Pure.
 */
import type { Dot, TagSet, VersionVector } from './types.js';
import { hasSeen } from './version-vector.js';

function sortDots(dots: Dot[]): Dot[] {
  const seen = new Map<string, Dot>();
  for (const d of dots) seen.set(`${d[0]}\0${d[1]}`, [d[0], d[1]]);
  return [...seen.values()].sort((x, y) => (x[0] === y[0] ? x[1] - y[1] : x[0] < y[0] ? -1 : 1));
}

function canonical(set: TagSet): TagSet {
  const out: TagSet = {};
  for (const tag of Object.keys(set).sort()) {
    const dots = sortDots(set[tag]!);
    if (dots.length > 0) out[tag] = dots;
  }
  return out;
}

/** Adds `tags` with the write's dot; the new dot supersedes the tag's older dots (all observed). */
export function addTags(set: TagSet, tags: readonly string[], dot: Dot): TagSet {
  const out: TagSet = { ...set };
  for (const tag of tags) out[tag] = [[dot[0], dot[1]]];
  return canonical(out);
}

/** Removes `tags` (every observed dot of them). */
export function removeTags(set: TagSet, tags: readonly string[]): TagSet {
  const out: TagSet = { ...set };
  for (const tag of tags) delete out[tag];
  return canonical(out);
}

export function mergeTags(a: TagSet, vvA: VersionVector, b: TagSet, vvB: VersionVector): TagSet {
  const out: TagSet = {};
  for (const tag of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const inA = a[tag] ?? [];
    const inB = b[tag] ?? [];
    const keyOf = (d: Dot): string => `${d[0]}\0${d[1]}`;
    const bKeys = new Set(inB.map(keyOf));
    const aKeys = new Set(inA.map(keyOf));
    const kept: Dot[] = [];
    for (const d of inA) if (bKeys.has(keyOf(d)) || !hasSeen(vvB, d[0], d[1])) kept.push(d);
    for (const d of inB) if (!aKeys.has(keyOf(d)) && !hasSeen(vvA, d[0], d[1])) kept.push(d);
    if (kept.length > 0) out[tag] = kept;
  }
  return canonical(out);
}

/** The tags present, sorted. */
export function tagNames(set: TagSet): string[] {
  return Object.keys(set).filter((t) => (set[t]?.length ?? 0) > 0).sort();
}
