/**
 * Chunkserver liveness spread between controllers (issue 13; DESIGN: "gossip propagates
 * registration to all controllers"): each controller serves its view of the chunkservers it has
 * heard from recently, as ages rather than clock times (controllers' clocks may differ), and
 * adopts a peer's entry when it is fresher than its own. The receiver also subtracts the request's
 * round trip, so an entry passed around only ever ages: a dead chunkserver cannot be kept alive by
 * controllers echoing each other. Pure.
 */
import type { DiskReport } from '../common/api.js';
import { RedCloudError } from '../common/errors.js';
import { NODE_ID_RE } from '../meta/validate.js';

/** One chunkserver as a peer controller last heard of it, `ageMs` before it answered. */
export interface PeerChunkserver {
  id: string;
  url: string;
  ageMs: number;
  capacityBytes: number;
  freeBytes: number;
  chunkCount: number;
  full: boolean;
  /** optional: from controllers and chunkservers that report them */
  usedBytes?: number;
  disk?: DiskReport;
}

export const MAX_PEER_VIEW = 10_000;

/** Validates a peer's GET /internal/chunkservers answer ({ servers: [...] }); throws INVALID. */
export function parsePeerView(raw: unknown): PeerChunkserver[] {
  const bad = (why: string): never => {
    throw new RedCloudError('INVALID', `Invalid chunkserver view from a peer: ${why}`);
  };
  const servers = (raw as { servers?: unknown } | null)?.servers;
  if (!Array.isArray(servers) || servers.length > MAX_PEER_VIEW) return bad(`servers must be an array of at most ${MAX_PEER_VIEW}`);
  const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  return servers.map((s: unknown, i): PeerChunkserver => {
    const o = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    if (typeof o.id !== 'string' || !NODE_ID_RE.test(o.id)) bad(`servers[${i}].id`);
    if (typeof o.url !== 'string' || o.url.length > 512 || !/^https?:\/\/[^\s/]+$/.test(o.url)) bad(`servers[${i}].url`);
    for (const k of ['ageMs', 'capacityBytes', 'freeBytes', 'chunkCount'] as const) if (!count(o[k])) bad(`servers[${i}].${k}`);
    if (typeof o.full !== 'boolean') bad(`servers[${i}].full`);
    if (o.usedBytes !== undefined && !count(o.usedBytes)) bad(`servers[${i}].usedBytes`);
    const disk = o.disk === undefined ? undefined : parseDisk(o.disk, () => bad(`servers[${i}].disk`));
    return {
      id: o.id as string, url: o.url as string, ageMs: o.ageMs as number, capacityBytes: o.capacityBytes as number,
      freeBytes: o.freeBytes as number, chunkCount: o.chunkCount as number, full: o.full as boolean,
      ...(o.usedBytes !== undefined ? { usedBytes: o.usedBytes as number } : {}), ...(disk ? { disk } : {}),
    };
  });
}

function parseDisk(raw: unknown, bad: () => never): DiskReport {
  const d = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (typeof d.id !== 'string' || !/^[0-9a-f]{8,64}$/.test(d.id) || !count(d.totalBytes) || !count(d.availBytes)) return bad();
  return { id: d.id, totalBytes: d.totalBytes as number, availBytes: d.availBytes as number };
}

/**
 * When a peer's entry says the server was last heard of, on this controller's clock: the answer's
 * age plus the whole round trip before now (so never later than the truth), or undefined when that
 * is no fresher than what this controller knows or already older than the failure timeout.
 */
export function adoptedHeartbeatMs(
  localLastMs: number | undefined, peer: Pick<PeerChunkserver, 'ageMs'>, nowMs: number, rttMs: number, heartbeatTimeoutMs: number,
): number | undefined {
  const lastMs = nowMs - Math.max(0, rttMs) - peer.ageMs;
  if (nowMs - lastMs > heartbeatTimeoutMs) return undefined;
  if (localLastMs !== undefined && localLastMs >= lastMs) return undefined;
  return lastMs;
}
