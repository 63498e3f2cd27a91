// Seeded property test: the SQLite store's incremental namespace view equals the reference
// (memory store, which checks itself against src/meta/tree.ts materializeTree) after every step of
// random histories — local creates, mkdirs, hard links, renames (directories anywhere, cycles
// included) and unlinks; the same from two simulated peers whose updates arrive late, out of order,
// duplicated, by gossip or by anti-entropy; tombstone collection; clock jumps. Also checks that
// what SQLite shows reachable from the root is exactly materializeTree's visible set, and that the
// per-owner usage counters the SQLite store keeps per write (usage-counters.ts; files grow and
// shrink too) equal the memory store's full scan.
// Replay a failure with STORE_SEED=<seed printed on failure>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { openMemoryStore } from '../../../src/controller/memory-store.js';
import { openStore } from '../../../src/controller/store.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';
import { tick } from '../../../src/meta/hlc.js';
import { inoNumber, newId, parseKey, ROOT_INO } from '../../../src/meta/keys.js';
import { mergeRecords } from '../../../src/meta/merge.js';
import { changeInode, moveLink, newInode, newLink, type WriteStamp } from '../../../src/meta/ops.js';
import { conflictName, materializeTree } from '../../../src/meta/tree.js';
import type { Hlc, LinkRecord, MetaRecord, Update } from '../../../src/meta/types.js';

const OWNERS = ['u', 'v'];
// raw names that are what a loser named x would show (the first link ids of each writer): the
// conflict name must step around them (tree.ts resolveNames `taken`)
const NAMES = ['x', 'y', 'z', 'é', '😀', '\uff01', ...['a.2', 'b.2', 'c.2', 'a.4'].map((id) => conflictName('x', id))];
const TAGS = ['red', 'blue'];
const CHUNKS = ['1', '2', '3'].map((c) => c.repeat(64));
const ATTR = { mode: 0o755, uid: 0, gid: 0 };

type Cmd =
  | { t: 'mkdir' | 'create'; w: number; o: number; p: number; n: number; tag: number }
  | { t: 'hardlink'; w: number; o: number; f: number; p: number; n: number }
  | { t: 'resize'; w: number; o: number; f: number; size: number }
  | { t: 'move'; w: number; o: number; l: number; p: number; n: number }
  | { t: 'unlink'; w: number; o: number; l: number }
  | { t: 'deliver'; k: number; how: number }
  | { t: 'sync'; w: number; upto: number }
  | { t: 'collect'; limit: number }
  | { t: 'clock'; d: number };

const pick = fc.nat(50);
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constantFrom('mkdir' as const, 'create' as const), w: fc.nat(2), o: fc.nat(1), p: pick, n: pick, tag: fc.nat(3) }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('hardlink' as const), w: fc.nat(2), o: fc.nat(1), f: pick, p: pick, n: pick }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('resize' as const), w: fc.nat(2), o: fc.nat(1), f: pick, size: fc.nat(5000) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('move' as const), w: fc.nat(2), o: fc.nat(1), l: pick, p: pick, n: pick }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('unlink' as const), w: fc.nat(2), o: fc.nat(1), l: pick }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('deliver' as const), k: pick, how: fc.nat(3) }), weight: 5 },
  { arbitrary: fc.record({ t: fc.constant('sync' as const), w: fc.integer({ min: 1, max: 2 }), upto: fc.nat(200) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('collect' as const), limit: fc.integer({ min: 1, max: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('clock' as const), d: fc.integer({ min: -3, max: 20 }) }), weight: 1 },
);

/** A simulated peer: its own replica of the records it has seen, seq and clock. */
interface Peer { id: string; seq: number; hlc: Hlc; wallMs: number; state: Map<string, MetaRecord>; seen: number }

interface World {
  ms: number;
  mem: MetadataStore;
  sql: MetadataStore;
  peers: Peer[];
  /** every record produced, in order (what peers sync from) */
  pool: MetaRecord[];
  /** peer updates not yet delivered to the stores */
  pending: Update[];
  keys: Set<string>;
}

const at = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);

function absorb(p: Peer, r: MetaRecord): void {
  const cur = p.state.get(r.key);
  p.state.set(r.key, cur ? mergeRecords(cur, r).record : r);
}

/** What writer `w` sees: the stores' records for the local node, its own replica for a peer. */
function recordsOf(world: World, w: number): MetaRecord[] {
  if (w > 0) return [...world.peers[w - 1]!.state.values()];
  return [...world.keys].map((k) => world.mem.getRecord(k)).filter((r): r is MetaRecord => r !== undefined);
}

function dirsOf(records: MetaRecord[], owner: string): string[] {
  return [ROOT_INO, ...records.filter((r) => r.type === 'inode' && r.owner === owner && r.kind === 'dir' && r.ino !== ROOT_INO).map((r) => (r as { ino: string }).ino).sort()];
}

function stampFor(world: World, w: number): WriteStamp {
  if (w === 0) {
    const s = world.mem.nextStamp();
    assert.equal(world.sql.nextStamp(), s, 'both stores stamp alike');
    return s;
  }
  const p = world.peers[w - 1]!;
  p.hlc = tick(p.hlc, p.wallMs++, p.id);
  p.seq += 1;
  return { hlc: p.hlc, node: p.id, seq: p.seq };
}

function emit(world: World, w: number, r: MetaRecord, s: WriteStamp): void {
  world.pool.push(r);
  world.keys.add(r.key);
  if (w === 0) {
    world.mem.applyLocal(r, s.seq);
    world.sql.applyLocal(r, s.seq);
  } else {
    absorb(world.peers[w - 1]!, r);
    world.pending.push({ origin: s.node, seq: s.seq, record: r });
  }
}

function write(world: World, c: Extract<Cmd, { w: number; o: number }>): void {
  const owner = OWNERS[c.o]!;
  const recs = recordsOf(world, c.w);
  const links = recs.filter((r): r is LinkRecord => r.type === 'link' && r.owner === owner).sort((a, b) => (a.key < b.key ? -1 : 1));
  const dirs = dirsOf(recs, owner);
  if (c.t === 'mkdir' || c.t === 'create') {
    const s1 = stampFor(world, c.w);
    const dir = c.t === 'mkdir';
    const chunks = dir || c.tag === 3 ? [] : [{ id: CHUNKS[c.tag % 3]!, size: 1 }];
    const inode = newInode({ ...s1, owner, ino: newId(s1.node, s1.seq), kind: dir ? 'dir' : 'file', attr: ATTR, time: [1, 0], content: { size: chunks.length, chunks }, tags: c.tag < 2 ? [TAGS[c.tag]!] : [] });
    emit(world, c.w, inode, s1);
    const s2 = stampFor(world, c.w);
    emit(world, c.w, newLink({ ...s2, owner, id: newId(s2.node, s2.seq), ino: inode.ino, dir, parent: at(dirs, c.p)!, name: at(NAMES, c.n)! }), s2);
  } else if (c.t === 'resize') {
    const f = at(recs.filter((r) => r.type === 'inode' && r.owner === owner && r.kind === 'file'), c.f);
    if (!f || f.type !== 'inode') return;
    const s = stampFor(world, c.w);
    const chunks = c.size === 0 ? [] : [{ id: CHUNKS[c.size % 3]!, size: c.size }];
    emit(world, c.w, changeInode(f, { content: { size: c.size, chunks } }, s, [2, 0]), s);
  } else if (c.t === 'hardlink') {
    const files = recs.filter((r) => r.type === 'inode' && r.owner === owner && r.kind === 'file');
    const f = at(files, c.f);
    if (!f || f.type !== 'inode') return;
    const s = stampFor(world, c.w);
    emit(world, c.w, newLink({ ...s, owner, id: newId(s.node, s.seq), ino: f.ino, dir: false, parent: at(dirs, c.p)!, name: at(NAMES, c.n)! }), s);
  } else {
    const l = at(links, (c as { l: number }).l);
    if (!l) return;
    const s = stampFor(world, c.w);
    const parent = c.t === 'move' ? at(dirs, c.p)! : null;
    emit(world, c.w, moveLink(l, parent, c.t === 'move' ? at(NAMES, c.n)! : l.moves[l.moves.length - 1]!.name, s), s);
  }
}

function step(world: World, c: Cmd): void {
  if (c.t === 'clock') world.ms = Math.max(0, world.ms + c.d);
  else if (c.t === 'sync') {
    const p = world.peers[c.w - 1]!;
    const upto = Math.min(world.pool.length, p.seen + c.upto);
    for (const r of world.pool.slice(p.seen, upto)) absorb(p, r);
    p.seen = upto;
  } else if (c.t === 'deliver') {
    const i = world.pending.length === 0 ? -1 : c.k % world.pending.length;
    if (i < 0) return;
    const u = world.pending[i]!;
    if (c.how !== 2) world.pending.splice(i, 1);
    const res = c.how === 1 ? [world.mem.mergeRecord(u.record), world.sql.mergeRecord(u.record)] : [world.mem.applyRemote(u), world.sql.applyRemote(u)];
    // `conflict` may differ: only the SQLite store also reports the tree's decisions (metadata-store.ts)
    const [m, q] = res.map(({ conflict: _c, ...rest }) => rest);
    assert.equal(q, m, 'same apply result');
    if (res[0]!.conflict) assert.ok(res[1]!.conflict, 'a record conflict is reported by both');
  } else if (c.t === 'collect') {
    const cands = world.mem.tombstones(Infinity, c.limit);
    assert.equal(world.sql.tombstones(Infinity, c.limit), cands, 'same tombstones');
    const keys = cands.map((x) => x.key);
    assert.is(world.sql.collectTombstones(keys), world.mem.collectTombstones(keys));
  } else write(world, c);
}

/** Everything the namespace can ask, asked of both stores. */
function compareViews(world: World): void {
  const { mem, sql } = world;
  const same = (a: unknown, b: unknown, what: string): void => assert.equal(b, a, what);
  same(mem.digest(), sql.digest(), 'digest');
  same(mem.updatesSince({}, 10_000), sql.updatesSince({}, 10_000), 'update log');
  same([...mem.fingerprints()], [...sql.fingerprints()], 'fingerprints');
  same(mem.bucketHashes(), sql.bucketHashes(), 'bucket hashes (the SQLite store keeps its own per write)');
  same(mem.tombstones(Infinity, 1000), sql.tombstones(Infinity, 1000), 'tombstones');
  same(mem.referencedChunkLocations(), sql.referencedChunkLocations(), 'referenced chunks');
  for (const c of CHUNKS) same(mem.isChunkReferenced(c), sql.isChunkReferenced(c), 'chunk referenced');
  for (const k of world.keys) same(mem.getRecord(k), sql.getRecord(k), `record ${k}`);
  for (const owner of OWNERS) {
    same(mem.inodeCount(owner), sql.inodeCount(owner), 'inodeCount');
    same(mem.usage(owner), sql.usage(owner), 'usage (kept per write by SQLite, scanned by memory)');
    same(sql.inodeCount(owner), sql.usage(owner).files, 'usage files = inodeCount');
    same(mem.tagCounts(owner), sql.tagCounts(owner), 'tagCounts');
    for (const tags of [['red'], ['blue'], ['red', 'blue']]) same(mem.findByTags(owner, tags), sql.findByTags(owner, tags), 'findByTags');
    const inos = new Set([ROOT_INO]);
    for (const k of world.keys) {
      const p = parseKey(k);
      if (p.type === 'inode' && p.owner === owner) inos.add(p.ino);
      if (p.type === 'link' && p.owner === owner) for (const e of mem.linksOf(owner, mem.getRecord(k)?.type === 'link' ? (mem.getRecord(k) as LinkRecord).ino : '')) inos.add(e.ino);
    }
    for (const ino of inos) compareDir(mem, sql, owner, ino);
    checkAgainstTree(world, owner);
  }
}

function compareDir(mem: MetadataStore, sql: MetadataStore, owner: string, ino: string): void {
  const kids = mem.children(owner, ino);
  assert.equal(sql.children(owner, ino), kids, `children of ${ino}`);
  assert.is(sql.hasChildren(owner, ino), mem.hasChildren(owner, ino));
  assert.is(sql.subdirCount(owner, ino), mem.subdirCount(owner, ino));
  assert.equal(sql.linksOf(owner, ino), mem.linksOf(owner, ino), `linksOf ${ino}`);
  assert.is(sql.inoOfNumber(owner, inoNumber(ino)), mem.inoOfNumber(owner, inoNumber(ino)));
  assert.equal(sql.getInode(owner, ino), mem.getInode(owner, ino));
  for (const e of kids) {
    assert.equal(sql.lookup(owner, ino, e.name), mem.lookup(owner, ino, e.name), `lookup ${e.name}`);
    assert.is(sql.pathOf(owner, e), mem.pathOf(owner, e), `pathOf ${e.linkId}`);
  }
  assert.is(new Set(kids.map((e) => e.name)).size, kids.length, `names unique in ${ino}`);
}

/** What SQLite shows reachable from the root is materializeTree's visible set, name for name. */
function checkAgainstTree(world: World, owner: string): void {
  const links = [...world.keys].map((k) => world.mem.getRecord(k)).filter((r): r is LinkRecord => r?.type === 'link' && r.owner === owner);
  const tree = materializeTree(links);
  stats.skipped += tree.skipped.length;
  stats.revived += tree.revived.length;
  stats.visible += tree.visible.size;
  stats.checks += 1;
  const expected = [...tree.visible.values()].map((v) => `${v.parent}/${v.name}=${v.id}`).sort();
  const seen: string[] = [];
  const queue = [ROOT_INO];
  const visited = new Set<string>();
  while (queue.length > 0) {
    const dir = queue.shift()!;
    if (visited.has(dir)) throw new Error(`directory ${dir} reached twice: not a tree`);
    visited.add(dir);
    for (const e of world.sql.children(owner, dir)) {
      seen.push(`${e.parent}/${e.name}=${e.linkId}`);
      assert.ok(world.sql.pathOf(owner, e) !== undefined, 'reachable entries have a path');
      if (e.dir) queue.push(e.ino);
    }
  }
  assert.equal(seen.sort(), expected, `reachable tree of ${owner}`);
}

const stats = { skipped: 0, revived: 0, visible: 0, checks: 0 };
const SEED = process.env.STORE_SEED ? Number(process.env.STORE_SEED) : 20261201;
const RUNS = process.env.STORE_RUNS ? Number(process.env.STORE_RUNS) : 50;

test(`SQLite view equals the reference after every step (seed ${SEED})`, () => {
  try {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 20, maxLength: 100, size: 'max' }), (cmds) => {
        const world: World = { ms: 1000, mem: undefined!, sql: undefined!, peers: [], pool: [], pending: [], keys: new Set() };
        const now = (): number => world.ms;
        world.mem = openMemoryStore({ nodeId: 'a', now });
        world.sql = openStore({ path: ':memory:', nodeId: 'a', now });
        world.peers = ['b', 'c'].map((id, i) => ({ id, seq: 0, hlc: { wallMs: 0, logical: 0, node: id }, wallMs: 990 + 7 * i, state: new Map(), seen: 0 }));
        try {
          for (const c of cmds) {
            step(world, c);
            compareViews(world);
          }
        } finally {
          world.sql.close();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    if (process.env.STORE_STATS) console.log(stats);
  } catch (err) {
    console.error(`store property failed; replay with STORE_SEED=${SEED}`);
    throw err;
  }
});

test.run();
