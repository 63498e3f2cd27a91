/**
 * Who owns a user name, pure. A name belongs to the account created first: of two user records
 * with one name but different creation stamps (two registrations that did not see each other), the
 * one with the earlier stamp wins whole, whatever their version vectors or later clocks say, and
 * the other account is gone everywhere (its tokens are refused, its password no longer works). A
 * registration can therefore never replace an existing account, however late it is merged.
 * Versions of the same account merge field by field: a deletion is final (the name stays retired,
 * so a later registration cannot inherit the files), the password hash is last-writer-wins and the
 * session revocation time a max. Each rule is a join, so the merge stays a semilattice.
 */
import { compareHlc, maxHlc } from './hlc.js';
import type { Hlc, UserRecord } from './types.js';
import { mergeVV } from './version-vector.js';

/** The creation stamp that orders accounts; a legacy record's is its creation time. */
export function accountStamp(r: UserRecord): Hlc {
  return r.created ?? { wallMs: r.createdAtMs, logical: 0, node: '' };
}

/** The account's id as session tokens carry it: `<wallMs>.<logical>.<node>` of its creation stamp. */
export function accountId(r: UserRecord): string {
  const s = accountStamp(r);
  return `${s.wallMs}.${s.logical}.${s.node || 'legacy'}`;
}

/** Negative if `a` was created first (it owns the name), positive if `b`, 0 for the same account. */
export function compareAccounts(a: UserRecord, b: UserRecord): number {
  return compareHlc(accountStamp(a), accountStamp(b));
}

/**
 * Of two accounts, the earlier-created one whole (its own clock: the loser's writes leave only their
 * dots in the vector, so they cannot outrank the winner's later versions); of two versions of one
 * account, deleted if either is, the later password hash (by clock, then by text), the later
 * revocation time, the later clock.
 */
export function mergeUsers(a: UserRecord, b: UserRecord): UserRecord {
  const vv = mergeVV(a.vv, b.vv);
  const order = compareAccounts(a, b);
  if (order !== 0) return { ...(order < 0 ? a : b), vv };
  const byHlc = compareHlc(a.hlc, b.hlc);
  const later = byHlc > 0 ? a : byHlc < 0 ? b : (a.passwordHash ?? '\u{10ffff}') >= (b.passwordHash ?? '\u{10ffff}') ? a : b;
  const deleted = a.passwordHash === null || b.passwordHash === null;
  const revoked = Math.max(a.revokedBeforeMs ?? 0, b.revokedBeforeMs ?? 0);
  const out: UserRecord = {
    type: 'user', key: a.key, name: a.name, passwordHash: deleted ? null : later.passwordHash, createdAtMs: a.createdAtMs, vv, hlc: maxHlc(a.hlc, b.hlc),
  };
  if (a.created) out.created = a.created;
  if (revoked > 0) out.revokedBeforeMs = revoked;
  return out;
}
