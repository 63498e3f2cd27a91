/**
 * Anti-entropy pages (pure, ae-pages.ts): the budget holds on both sides of every page, every page
 * moves forward, a whole pass covers every record of the differing buckets on both sides, and a
 * pass stopped at any page resumes from its cursor. Properties with fast-check (seeded; set
 * AE_SEED to replay).
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AE_PAGE_MAX_BYTES, AE_PAGE_MAX_RECORDS, type AeCursor, type AeLimits, comparePos, nextCursor, pageLimits, takePage } from '../../../src/controller/gossip/ae-pages.js';
import { compareBytes } from '../../../src/controller/store-rules.js';

const test = suite('anti-entropy pages');
const SEED = Number(process.env.AE_SEED ?? 20261201);

interface Rec { key: string; bucket: number; size: number }

/** A side's records grouped by bucket, each sorted by key (as the stores give them). */
function side(recs: Rec[]): (b: number) => Rec[] {
  const by = new Map<number, Rec[]>();
  for (const r of recs) by.set(r.bucket, [...(by.get(r.bucket) ?? []), r]);
  for (const list of by.values()) list.sort((x, y) => compareBytes(x.key, y.key));
  return (b) => by.get(b) ?? [];
}

const recs = (n: number, bucket: number, size = 10): Rec[] => Array.from({ length: n }, (_, i) => ({ key: `k${String(i).padStart(4, '0')}`, bucket, size }));
const size = (r: Rec) => r.size;

test('a page stops at the record budget and at the byte budget, and says where', () => {
  const load = side([...recs(5, 1), ...recs(5, 3)]);
  const byCount = takePage([1, 3], load, null, null, { maxRecords: 7, maxBytes: 1e9 }, size);
  assert.is(byCount.records.length, 7);
  assert.equal(byCount.stoppedAt, { bucket: 3, key: 'k0001' });
  const byBytes = takePage([1, 3], load, null, null, { maxRecords: 100, maxBytes: 35 }, size);
  assert.is(byBytes.records.length, 3);
  const rest = takePage([1, 3], load, byCount.stoppedAt, null, { maxRecords: 100, maxBytes: 1e9 }, size);
  assert.equal(rest.records.map((r) => `${r.bucket}/${r.key}`), ['3/k0002', '3/k0003', '3/k0004']);
  assert.is(rest.stoppedAt, null, 'the range is exhausted');
});

test('a record larger than the byte budget still travels, alone', () => {
  const page = takePage([0], side([{ key: 'a', bucket: 0, size: 500 }, { key: 'b', bucket: 0, size: 1 }]), null, null, { maxRecords: 10, maxBytes: 100 }, size);
  assert.equal(page.records.map((r) => r.key), ['a']);
  assert.equal(page.stoppedAt, { bucket: 0, key: 'a' });
});

test('a page ends at `through`; buckets that do not differ are skipped', () => {
  const load = side([...recs(3, 1), ...recs(3, 2), ...recs(3, 4)]);
  const page = takePage([4, 1], load, null, { bucket: 4, key: 'k0000' }, { maxRecords: 100, maxBytes: 1e9 }, size);
  assert.equal(page.records.map((r) => `${r.bucket}/${r.key}`), ['1/k0000', '1/k0001', '1/k0002', '4/k0000']);
  assert.is(page.stoppedAt, null);
});

test('a responder never exceeds its own budget, whatever the caller asks', () => {
  const own = { maxRecords: 100, maxBytes: 1000 };
  assert.equal(pageLimits({ maxRecords: 1e9, maxBytes: 10 }, own), { maxRecords: 100, maxBytes: 10 });
  assert.equal(pageLimits({ maxRecords: 0, maxBytes: -1 }, own), own);
  assert.equal(pageLimits(undefined, own), own);
});

/** Runs a pass between `caller` and `peer`; `failAt` stops it after that many pages and resumes. */
function runPass(buckets: number[], caller: Rec[], peer: Rec[], limits: AeLimits, failAt?: number) {
  const loadC = side(caller);
  const loadP = side(peer);
  const gotByCaller = new Set<string>();
  const gotByPeer = new Set<string>();
  let after: AeCursor | null = null;
  let pages = 0;
  let failed = false;
  for (;;) {
    const p = takePage(buckets, loadP, after, null, limits, size);
    if (!failed && pages === failAt) {
      // the page fails after the caller merged the peer's records, before its own reached the
      // peer: the cursor stays where it was and the pass goes on from there
      failed = true;
      for (const r of p.records) gotByCaller.add(`${r.bucket}/${r.key}`);
      continue;
    }
    const c = takePage(buckets, loadC, after, p.stoppedAt, limits, size);
    for (const page of [p, c]) {
      assert.ok(page.records.length <= limits.maxRecords, 'record budget');
      const bytes = page.records.reduce((n, r) => n + r.size, 0);
      assert.ok(page.records.length <= 1 || bytes <= limits.maxBytes, 'byte budget');
      for (const r of page.records) if (after) assert.ok(comparePos({ bucket: r.bucket, key: r.key }, after) > 0, 'forward only');
    }
    for (const r of p.records) gotByCaller.add(`${r.bucket}/${r.key}`);
    for (const r of c.records) gotByPeer.add(`${r.bucket}/${r.key}`);
    pages++;
    const next = nextCursor(p.stoppedAt, c.stoppedAt);
    if (!next) break;
    if (after) assert.ok(comparePos(next, after) > 0, 'the cursor moves forward');
    after = next;
    assert.ok(pages < 10_000, 'the pass ends');
  }
  return { gotByCaller, gotByPeer, pages };
}

const recArb = fc.record({ key: fc.string({ maxLength: 4 }), bucket: fc.integer({ min: 0, max: 7 }), size: fc.integer({ min: 1, max: 50 }) });
const uniq = (rs: Rec[]): Rec[] => [...new Map(rs.map((r) => [`${r.bucket}/${r.key}`, r])).values()];

test(`a pass covers every record of the differing buckets on both sides, within budget (seed ${SEED})`, () => {
  fc.assert(fc.property(
    fc.array(recArb, { maxLength: 80 }), fc.array(recArb, { maxLength: 80 }), fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 8 }),
    fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 200 }), fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    (a, b, buckets, maxRecords, maxBytes, failAt) => {
      const caller = uniq(a);
      const peer = uniq(b);
      const { gotByCaller, gotByPeer, pages } = runPass(buckets, caller, peer, { maxRecords, maxBytes }, failAt);
      const inBuckets = (rs: Rec[]) => rs.filter((r) => buckets.includes(r.bucket)).map((r) => `${r.bucket}/${r.key}`).sort();
      assert.equal([...gotByCaller].sort(), inBuckets(peer), 'the caller got every peer record of the buckets');
      assert.equal([...gotByPeer].sort(), inBuckets(caller), 'the peer got every caller record of the buckets');
      const total = caller.length + peer.length;
      assert.ok(pages <= total + 1, `pages ${pages} bounded by records ${total}`);
    },
  ), { seed: SEED, numRuns: 300 });
});

test('200,000 records on one side: pages of at most 1,000, about 200 of them', () => {
  const big = Array.from({ length: 200_000 }, (_, i) => ({ key: `r${i}`, bucket: i % 256, size: 300 }));
  const all = Array.from({ length: 256 }, (_, i) => i);
  const { gotByPeer, pages } = runPass(all, big, [], { maxRecords: AE_PAGE_MAX_RECORDS, maxBytes: AE_PAGE_MAX_BYTES });
  assert.is(gotByPeer.size, 200_000);
  assert.ok(pages >= 200 && pages <= 201, `pages: ${pages}`);
});

test.run();
