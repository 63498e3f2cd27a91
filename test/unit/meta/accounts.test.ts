/**
 * Who owns a user name (src/meta/accounts.ts): the account created first, whatever the version
 * vectors and later clocks of the other say; ties of creation time broken by the node; versions
 * of one account merge per field (deletion final, revocation a max); and, over random sets of
 * concurrent registrations and their later versions, every merge order ends with the earliest
 * account (property).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { accountId, accountStamp, mergeUsers } from '../../../src/meta/accounts.js';
import { mergeRecords } from '../../../src/meta/merge.js';
import { putUser } from '../../../src/meta/ops.js';
import { canonicalJson } from '../../../src/meta/register.js';
import type { Hlc, UserRecord } from '../../../src/meta/types.js';
import { validateRecord } from '../../../src/meta/validate.js';

const h = (wallMs: number, node: string, logical = 0): Hlc => ({ wallMs, logical, node });
const reg = (wallMs: number, node: string, seq: number, hash: string): UserRecord =>
  putUser(undefined, { hlc: h(wallMs, node), node, seq, name: 'alice', passwordHash: hash, createdAtMs: wallMs });

test('a new account carries its creation stamp; its id names it', () => {
  const a = reg(100, 'c1', 3, 'scrypt$real');
  assert.equal(a.created, h(100, 'c1'));
  assert.is(accountId(a), '100.0.c1');
  validateRecord(a);
  const legacy = { ...a };
  delete legacy.created;
  assert.equal(accountStamp(legacy), { wallMs: 100, logical: 0, node: '' });
  assert.is(accountId(legacy), '100.0.legacy');
});

test('the account created first keeps the name, even against a later registration with a dominating vector and a later clock', () => {
  const alice = reg(100, 'c1', 3, 'scrypt$real');
  // The attacker's controller had seen c1's writes up to seq 9 (not alice) and writes much later.
  const attacker = { ...reg(5000, 'c3', 40, 'scrypt$attacker'), vv: { c1: 9, c3: 40 } };
  for (const m of [mergeRecords(alice, attacker), mergeRecords(attacker, alice)]) {
    assert.is(m.record.passwordHash, 'scrypt$real');
    assert.equal(m.record.created, alice.created);
    assert.equal(m.record.vv, { c1: 9, c3: 40 }, 'the loser leaves its dots');
    assert.equal(m.record.hlc, alice.hlc, "the winner's clock: the loser's later one cannot outrank the winner's next version");
    assert.is(m.conflict, true, 'logged as a resolved conflict');
    validateRecord(m.record);
  }
  // alice's next version (a logout at c1, before it saw the attacker) still wins over the merged record
  const merged = mergeUsers(alice, attacker);
  const logout = putUser(alice, { hlc: h(200, 'c1'), node: 'c1', seq: 4, name: 'alice', passwordHash: 'scrypt$real', createdAtMs: 100, revokedBeforeMs: 201 });
  assert.is(mergeUsers(merged, logout).revokedBeforeMs, 201);
  assert.is(mergeUsers(merged, logout).passwordHash, 'scrypt$real');
});

test('same creation time: the tie is broken by the creating node, the same way everywhere', () => {
  const x = reg(100, 'c1', 1, 'scrypt$x');
  const y = reg(100, 'c2', 1, 'scrypt$y');
  assert.is(mergeUsers(x, y).passwordHash, 'scrypt$x');
  assert.is(mergeUsers(y, x).passwordHash, 'scrypt$x');
});

test('versions of one account: a deletion is final, revocation is the latest, the hash the later one', () => {
  const a = reg(100, 'c1', 1, 'scrypt$a');
  const revoked = putUser(a, { hlc: h(300, 'c2'), node: 'c2', seq: 1, name: 'alice', passwordHash: 'scrypt$a', createdAtMs: 100, revokedBeforeMs: 301 });
  const deleted = putUser(a, { hlc: h(200, 'c1'), node: 'c1', seq: 2, name: 'alice', passwordHash: null, createdAtMs: 100 });
  const m = mergeUsers(revoked, deleted);
  assert.is(m.passwordHash, null, 'deleted although the other version is later');
  assert.is(m.revokedBeforeMs, 301);
  assert.equal(m.created, a.created);
  assert.equal(canonicalJson(m), canonicalJson(mergeUsers(deleted, revoked)));
});

// ---- property: any merge order of concurrent registrations ends with the earliest account ----------------

const nodes = ['c1', 'c2', 'c3', 'c4'];
const versionArb = fc.record({
  creator: fc.integer({ min: 0, max: 3 }), createdMs: fc.integer({ min: 1, max: 40 }), logical: fc.integer({ min: 0, max: 2 }),
  later: fc.array(fc.record({ node: fc.integer({ min: 0, max: 3 }), dt: fc.integer({ min: 1, max: 100 }), del: fc.boolean(), revoke: fc.boolean() }), { maxLength: 3 }),
});

type Spec = typeof versionArb extends fc.Arbitrary<infer T> ? T : never;

function history(spec: Spec, i: number): UserRecord[] {
  const node = nodes[spec.creator]!;
  const first = putUser(undefined, {
    hlc: h(spec.createdMs, node, spec.logical), node, seq: 10 * i + 1, name: 'alice', passwordHash: `scrypt$acct${i}`, createdAtMs: spec.createdMs,
  });
  const out = [first];
  let cur = first;
  let seq = 10 * i + 2;
  for (const v of spec.later) {
    const n = nodes[v.node]!;
    cur = putUser(cur, {
      hlc: h(cur.hlc.wallMs + v.dt, n), node: n, seq: seq++, name: 'alice', passwordHash: v.del ? null : cur.passwordHash,
      createdAtMs: spec.createdMs, revokedBeforeMs: v.revoke ? cur.hlc.wallMs + v.dt : undefined,
    });
    out.push(cur);
  }
  return out;
}

test('property: every merge order of concurrent registrations and their later versions yields the earliest account, and merge stays a semilattice', () => {
  fc.assert(fc.property(fc.array(versionArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), fc.nat(), (specs, picks, seed) => {
    const all = specs.flatMap((s, i) => history(s, i));
    const versions = picks.map((p) => all[p % all.length]!);
    const stamp = (r: UserRecord) => accountStamp(r);
    const earliest = [...new Set(versions.map((r) => accountId(r)))].map((id) => versions.find((r) => accountId(r) === id)!)
      .sort((a, b) => (stamp(a).wallMs - stamp(b).wallMs) || (stamp(a).logical - stamp(b).logical) || (stamp(a).node < stamp(b).node ? -1 : stamp(a).node > stamp(b).node ? 1 : 0))[0]!;
    const fold = (list: UserRecord[]): UserRecord => list.reduce((x, y) => mergeUsers(x, y));
    const shuffled = [...versions];
    let s = seed;
    for (let i = shuffled.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const j = s % (i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const a = fold(versions);
    const b = fold(shuffled);
    assert.is(canonicalJson(a), canonicalJson(b), 'order-free');
    assert.is(accountId(a), accountId(earliest), 'the earliest account owns the name');
    const mine = versions.filter((r) => accountId(r) === accountId(earliest));
    assert.is(a.passwordHash === null, mine.some((r) => r.passwordHash === null), 'deleted iff a version of it was');
    validateRecord(a);
  }), { numRuns: 300 });
});

test.run();
