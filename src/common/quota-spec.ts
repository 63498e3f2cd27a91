/**
 * Quota settings as configuration (issue 17): QUOTA_BYTES, QUOTA_FILES and QUOTA_RAW_BYTES apply
 * to every account; QUOTA_USERS overrides them per user, e.g.
 * `alice:bytes=10G,files=100000;bob:raw-bytes=30G;carol:bytes=0` (0 = no limit). Every controller
 * must be given the same settings (each enforces them on the writes it accepts). Pure.
 */
/** A limit of 0 means none. `rawBytes` counts every copy: logical bytes × the replication factor. */
export interface QuotaLimits {
  bytes: number;
  files: number;
  rawBytes: number;
}

export const NO_QUOTA: QuotaLimits = Object.freeze({ bytes: 0, files: 0, rawBytes: 0 });

/** user → the limits its QUOTA_USERS entry sets (a plain object, so the start-up log shows it) */
export type QuotaUsers = Readonly<Record<string, Partial<QuotaLimits>>>;

const KEYS: Record<string, keyof QuotaLimits> = { bytes: 'bytes', files: 'files', 'raw-bytes': 'rawBytes' };
const USER = /^[A-Za-z0-9._-]{1,64}$/;

/** QUOTA_USERS → user → the limits it sets (absent keys take the defaults); `parseBytes` is config.ts's. Throws an Error naming the bad part. */
export function parseQuotaUsers(raw: string, parseBytes: (raw: string) => number): QuotaUsers {
  const out = new Map<string, Partial<QuotaLimits>>();
  for (const part of raw.split(/[;\s]+/).map((p) => p.trim()).filter(Boolean)) {
    const colon = part.indexOf(':');
    const user = colon < 0 ? '' : part.slice(0, colon);
    if (!USER.test(user)) throw new Error(`"${part}" is not USER:KEY=VALUE[,KEY=VALUE] (e.g. alice:bytes=10G,files=1000)`);
    const limits: Partial<QuotaLimits> = { ...out.get(user) };
    for (const kv of part.slice(colon + 1).split(',')) {
      const [k, v, ...rest] = kv.split('=');
      const key = KEYS[k ?? ''];
      if (!key || v === undefined || rest.length > 0) throw new Error(`"${kv}" in "${part}" is not bytes=SIZE, files=N or raw-bytes=SIZE`);
      limits[key] = key === 'files' ? parseCount(v) : parseBytes(v);
    }
    out.set(user, limits);
  }
  return Object.fromEntries(out);
}

function parseCount(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`"${raw}" is not a file count`);
  return n;
}

/** The limits of one user: its QUOTA_USERS entry over the defaults. */
export function limitsFor(defaults: QuotaLimits, perUser: QuotaUsers, user: string): QuotaLimits {
  return { ...defaults, ...(Object.hasOwn(perUser, user) ? perUser[user] : {}) };
}
