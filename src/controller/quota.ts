/**
 * Per-user quotas (issue 17), enforced at commit. A quota-guarded operation runs in one store
 * transaction: the account's usage (the store's kept counters, usage-counters.ts) is read before
 * and after the writes, and if a limit is now exceeded by a write that grew that figure, the
 * transaction rolls back and the caller gets QUOTA_EXCEEDED (507, EDQUOT through the mount, exit
 * 10 through the CLI): nothing of the operation is committed. A write that does not grow a figure
 * (a delete, a truncation, a rename) always passes, so an account over its quota (the limit was
 * lowered, or concurrent writes on two controllers both passed) can always get back under it.
 *
 * Each controller checks against its own replica, so two writes accepted concurrently by two
 * controllers may together pass a limit by what each added (an AP system; gossip then shows the
 * total everywhere and further growth is refused). Limits are configuration (quota-spec.ts).
 * `rawBytes` counts every copy: logical bytes × the copies each chunk gets now (space.ts), so it
 * moves when chunkservers join or fail under REPLICATION_FACTOR=all. Decisions here are pure.
 */
import type { StatfsInfo } from '../common/api.js';
import { errors } from '../common/errors.js';
import { limitsFor, type QuotaLimits, type QuotaUsers } from '../common/quota-spec.js';
import type { MetadataStore } from './metadata-store.js';
import type { Usage } from './usage-counters.js';

export type QuotaKind = keyof QuotaLimits;

export interface QuotaViolation {
  kind: QuotaKind;
  limit: number;
  /** the figure the write would have left */
  used: number;
}

const rawOf = (u: Usage, copies: number): number => u.bytes * Math.max(1, copies);

/** Pure: the first limit the change `before` → `after` breaks by growing past it, if any. */
export function quotaViolation(limits: QuotaLimits, before: Usage, after: Usage, copies: number): QuotaViolation | undefined {
  const figures: [QuotaKind, number, number][] = [
    ['bytes', before.bytes, after.bytes],
    ['files', before.files, after.files],
    ['rawBytes', rawOf(before, copies), rawOf(after, copies)],
  ];
  for (const [kind, was, now] of figures) {
    const limit = limits[kind];
    if (limit > 0 && now > limit && now > was) return { kind, limit, used: now };
  }
  return undefined;
}

/** Pure: the bytes an account may hold at most, logical (the smaller of bytes and rawBytes / copies); 0 if unlimited. */
export function byteLimit(limits: QuotaLimits, copies: number): number {
  const caps = [limits.bytes, limits.rawBytes > 0 ? Math.floor(limits.rawBytes / Math.max(1, copies)) : 0].filter((n) => n > 0);
  return caps.length === 0 ? 0 : Math.min(...caps);
}

/**
 * Pure: statfs as the account sees it. With a byte limit the size is the limit and free is what
 * is left of it (never more than the cluster can still store); with a file limit the free inodes
 * are what is left of it. `quota` and `usage` travel along for `redcloud status`.
 */
export function quotaStatfs(cluster: { availBytes: number; totalBytes: number }, usage: Usage, limits: QuotaLimits, copies: number): StatfsInfo {
  const cap = byteLimit(limits, copies);
  const bytes = cap > 0
    ? { totalBytes: cap, availBytes: Math.max(0, Math.min(cluster.availBytes, cap - usage.bytes)) }
    : { totalBytes: cluster.totalBytes, availBytes: cluster.availBytes };
  return {
    ...bytes,
    files: usage.files,
    ...(limits.files > 0 ? { filesFree: Math.max(0, limits.files - usage.files) } : {}),
    usage: { files: usage.files, bytes: usage.bytes, rawBytes: rawOf(usage, copies) },
    quota: { ...limits },
  };
}

const NAMES: Record<QuotaKind, string> = { bytes: 'bytes', files: 'files', rawBytes: 'bytes counting every copy' };

export interface QuotaComponents {
  store: MetadataStore;
  /** QUOTA_BYTES, QUOTA_FILES, QUOTA_RAW_BYTES */
  defaults: QuotaLimits;
  /** QUOTA_USERS */
  perUser: QuotaUsers;
  /** copies each chunk gets now (space.ts clusterSpace(...).copies) */
  copies: () => number;
}

export interface Quotas {
  limits(user: string): QuotaLimits;
  usage(user: string): Usage;
  copies(): number;
  /** Runs `fn` (the writes of one operation) in one transaction that rolls back with QUOTA_EXCEEDED if it takes `user` past a limit. */
  guard<T>(user: string, fn: () => T): T;
}

export function createQuotas(c: QuotaComponents): Quotas {
  const limits = (user: string): QuotaLimits => limitsFor(c.defaults, c.perUser, user);
  return {
    limits,
    usage: (user) => c.store.usage(user),
    copies: c.copies,
    guard(user, fn) {
      const l = limits(user);
      if (l.bytes === 0 && l.files === 0 && l.rawBytes === 0) return c.store.transaction(fn);
      return c.store.transaction(() => {
        const before = c.store.usage(user);
        const out = fn();
        const copies = l.rawBytes > 0 ? c.copies() : 1;
        const v = quotaViolation(l, before, c.store.usage(user), copies);
        if (v) {
          throw errors.quotaExceeded(`Disk quota exceeded: ${user} would have ${v.used} ${NAMES[v.kind]}, the quota is ${v.limit}`,
            { user, quota: v.kind, limit: v.limit, used: v.used });
        }
        return out;
      });
    },
  };
}
