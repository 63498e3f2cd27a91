/**
 * validateRecord (src/meta/validate.ts), the check of a record received from a peer: every record
 * a simulated history produces (inodes, links, users, death certificates, merged versions) passes
 * unchanged; each malformed case below is refused with INVALID and a message naming its field;
 * and random mutations of valid records (fast-check) are either valid or refused with INVALID,
 * never another error, and a mutated record that passes still merges and materializes.
 * Replay a failure with VALIDATE_SEED=<seed> VALIDATE_PATH=<path>; more runs with VALIDATE_RUNS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RedCloudError } from '../../../src/common/errors.js';
import { inodeKey, linkKey } from '../../../src/meta/keys.js';
import { mergeRecords } from '../../../src/meta/merge.js';
import { changeInode, deathOf, moveLink, newInode, newLink, putUser } from '../../../src/meta/ops.js';
import { materializeTree } from '../../../src/meta/tree.js';
import type { InodeRecord, LinkRecord, MetaRecord } from '../../../src/meta/types.js';
import { validateRecord } from '../../../src/meta/validate.js';
import { chunkIdOf } from '../../../src/common/chunk-format.js';
import { Net, OP_KINDS, localOp, newModel, newReplica, rootInode, seededRandom, setRecord, type Replica } from './sim.js';

const SEED = process.env.VALIDATE_SEED ? Number(process.env.VALIDATE_SEED) : 400;
const RUNS = process.env.VALIDATE_RUNS ? Number(process.env.VALIDATE_RUNS) : 2000;
const PATH = process.env.VALIDATE_PATH;

const st = (wallMs: number, node: string, seq: number) => ({ hlc: { wallMs, logical: 0, node }, node, seq });
const HEX = 'ab'.repeat(32);
const file: InodeRecord = changeInode(
  newInode({ ...st(10, 'n1', 1), owner: 'alice', ino: 'n1.1', kind: 'file', attr: { mode: 0o4755, uid: 1000, gid: 100 }, time: [10, 5], tags: ['red'] }),
  { content: { size: 5, chunks: [{ id: HEX, size: 3 }, { id: 'c'.repeat(64), size: 2 }] }, xattrs: { 'user.a': 'aGk=', 'user.b': null } },
  st(11, 'n2', 4), [11, 0],
);
const symlink = newInode({ ...st(10, 'n1', 2), owner: 'alice', ino: 'n1.2', kind: 'symlink', target: '../x', attr: { mode: 0o777, uid: 0, gid: 0 }, time: [-5, 0] });
const dev = newInode({ ...st(10, 'n1', 3), owner: 'alice', ino: 'n1.3', kind: 'char', rdev: 0x0501, attr: { mode: 0o600, uid: 0, gid: 0 }, time: [0, 0] });
const dirLink = moveLink(newLink({ ...st(10, 'n1', 5), owner: 'alice', id: 'n1.5', ino: 'n1.4', dir: true, parent: 'root', name: 'd' }), null, '', st(12, 'n1', 6));
const fileLink = newLink({ ...st(10, 'n1', 7), owner: 'alice', id: 'n1.7', ino: 'n1.1', dir: false, parent: 'n1.4', name: 'é f' });
const user = putUser(undefined, { ...st(10, 'n1', 8), name: 'alice', passwordHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA', createdAtMs: 10 });
const dead = deathOf(fileLink);
const VALID: MetaRecord[] = [file, symlink, dev, dirLink, fileLink, user, dead, rootInode(), putUser(user, { ...st(11, 'n2', 1), name: 'alice', passwordHash: null, createdAtMs: 10 })];

function refused(x: unknown, field: string): void {
  try {
    validateRecord(x);
  } catch (err) {
    assert.instance(err, RedCloudError);
    assert.is((err as RedCloudError).code, 'INVALID');
    assert.ok((err as Error).message.includes(field), `"${(err as Error).message}" should name ${field}`);
    return;
  }
  assert.unreachable(`accepted a record with a bad ${field}: ${JSON.stringify(x).slice(0, 300)}`);
}

/** A deep copy of `r` with `edit` applied. */
function bad<R extends MetaRecord>(r: R, edit: (x: Record<string, any>) => void): unknown {
  const x = JSON.parse(JSON.stringify(r)) as Record<string, any>;
  edit(x);
  return x;
}

/** Every version a random 3-replica history produces or holds. */
function simulated(seed: number): MetaRecord[] {
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const replicas: Replica[] = ['n0', 'n1', 'n2'].map((id) => newReplica(id));
  for (const r of replicas) setRecord(r, rootInode());
  replicas[0]!.seq = 1;
  const net = new Net(replicas);
  const model = newModel();
  const out: MetaRecord[] = [];
  for (let step = 0; step < 60; step++) {
    if (random() < 0.6) {
      const r = int(3);
      const recs = localOp(replicas[r]!, model, { kind: OP_KINDS[int(OP_KINDS.length)]!, a: int(1000), b: int(1000), c: int(1000) });
      if (recs) { net.broadcast(r, recs); out.push(...recs); }
    } else net.deliver(int(1000));
  }
  net.settle(random);
  for (const rec of replicas[0]!.records.values()) out.push(rec, ...(rec.type === 'inode' && rec.ino === 'root' ? [] : [deathOf(rec)]));
  return out;
}

test('every record the replica core writes or merges is valid, and returned as is', () => {
  const all = [...VALID, ...simulated(1), ...simulated(2), ...simulated(3)];
  for (const r of all) assert.is(validateRecord(r), r);
  assert.ok(all.length > 100);
});

test('an inode whose content names the holders of its chunks is valid', () => {
  const withHolders = bad(file, (x) => { x.content.v.holders = { [HEX]: ['cs1', 'cs2'], ['c'.repeat(64)]: ['cs3'] }; });
  assert.equal(validateRecord(withHolders), withHolders);
});

test('a file in extents (content.extents over its chunks, holes allowed) is valid; bad extents are refused', () => {
  const ext = bad(file, (x) => {
    x.content.v = { size: 20, chunks: [{ id: HEX, size: 3 }, { id: 'c'.repeat(64), size: 2 }], extents: [{ off: 0, len: 3, chunk: 0, chunkOff: 0 }, { off: 10, len: 1, chunk: 1, chunkOff: 1 }] };
  });
  assert.equal(validateRecord(ext), ext);
  refused(bad(ext as InodeRecord, (x) => { x.content.v.size = 10; }), 'content.v.extents');
  refused(bad(ext as InodeRecord, (x) => { x.content.v.extents![1]!.chunkOff = 2; }), 'content.v.extents');
  refused(bad(ext as InodeRecord, (x) => { x.content.v.extents![1]!.off = 2; }), 'content.v.extents');
  refused(bad(ext as InodeRecord, (x) => { x.content.v.extents = [x.content.v.extents![0]!]; }), 'content.v.extents');
  refused(bad(ext as InodeRecord, (x) => { x.content.v.inline = 'aGk='; }), 'content.v.extents');
  refused(bad(dev, (x) => { x.content.v = { size: 0, chunks: [], extents: [] }; }), 'content.v.extents');
});

test('a small file inline (content.inline: base64, no chunks, size its length) is valid; a malformed one is refused', () => {
  const inline = bad(file, (x) => { x.content.v = { size: 5, chunks: [], inline: Buffer.from('hello').toString('base64') }; });
  assert.equal(validateRecord(inline), inline);
  refused(bad(inline as InodeRecord, (x) => { x.content.v.size = 4; }), 'content.v.size');
  refused(bad(inline as InodeRecord, (x) => { x.content.v = { size: 0, chunks: [], inline: '' }; }), 'content.v.size');
  refused(bad(inline as InodeRecord, (x) => { x.content.v.inline = 'not base64!'; }), 'content.v.inline');
  refused(bad(inline as InodeRecord, (x) => { x.content.v.inline = 'A'.repeat(Math.ceil((1024 * 1024 + 3) / 3) * 4); x.content.v.size = 1024 * 1024 + 3; }), 'content.v.inline');
  refused(bad(inline as InodeRecord, (x) => { x.content.v.chunks = [{ id: HEX, size: 5 }]; }), 'content.v.inline');
  refused(bad(dev, (x) => { x.content.v = { size: 0, chunks: [], inline: 'aGk=' }; }), 'content.v.inline');
});

test('inline chunks (content.inlineChunks: chunks of the content whose base64 bytes hash to their id) are valid; malformed ones are refused', () => {
  const small = Buffer.from('tiny chunk bytes');
  const id = chunkIdOf('b3-64k', small);
  const v1 = chunkIdOf('sha256', Buffer.from('v1 bytes'));
  const withInline = bad(file, (x) => {
    x.content.v = {
      size: 30, chunks: [{ id: HEX, size: 20 }, { id, size: small.length }, { id: v1, size: 8 }],
      extents: [{ off: 0, len: 10, chunk: 0, chunkOff: 0 }, { off: 10, len: 12, chunk: 1, chunkOff: 2 }, { off: 22, len: 8, chunk: 2, chunkOff: 0 }],
      holders: { [HEX]: ['cs1'] }, inlineChunks: { [id]: small.toString('base64'), [v1]: Buffer.from('v1 bytes').toString('base64') },
    };
  });
  assert.equal(validateRecord(withInline), withInline, 'any chunk format; beside real chunks with holders');
  const wholeChunks = bad(file, (x) => { x.content.v = { size: small.length, chunks: [{ id, size: small.length }], inlineChunks: { [id]: small.toString('base64') } }; });
  assert.equal(validateRecord(wholeChunks), wholeChunks, 'also without extents (whole chunks back to back)');
  const edit = (f: (c: Record<string, any>) => void) => bad(withInline as InodeRecord, (x) => f(x.content.v));
  refused(edit((c) => { c.inlineChunks[id] = Buffer.from('tiny chunk byteZ').toString('base64'); }), 'must hash to the chunk id');
  refused(edit((c) => { c.inlineChunks[id] = Buffer.from('tiny').toString('base64'); }), 'content.v.inlineChunks');
  refused(edit((c) => { c.inlineChunks[id] = 'not base64!'; }), 'content.v.inlineChunks');
  refused(edit((c) => { c.inlineChunks[id] = 12; }), 'content.v.inlineChunks');
  refused(edit((c) => { c.inlineChunks['d'.repeat(64)] = 'aGk='; }), 'must be a chunk of the content');
  refused(edit((c) => { c.inlineChunks = {}; }), 'content.v.inlineChunks');
  refused(edit((c) => { c.inlineChunks = { ['__proto__']: 'aGk=' }; }), 'content.v.inlineChunks');
  refused(bad(withInline as InodeRecord, (x) => { x.content.v.inlineChunks = JSON.parse(`{"__proto__":"aGk="}`); }), 'content.v.inlineChunks');
  refused(edit((c) => { c.holders[id] = ['cs2']; }), 'must not have holders');
  refused(edit((c) => { c.inlineChunks = [small.toString('base64')]; }), 'content.v.inlineChunks');
  refused(bad(dev, (x) => { x.content.v = { size: 0, chunks: [], inlineChunks: { [id]: small.toString('base64') } }; }), 'content.v.inlineChunks');
  refused(edit((c) => { c.inline = 'aGk='; }), 'content.v');
});

test('malformed records are refused naming the field', () => {
  refused(null, 'record');
  refused([], 'record');
  refused('x', 'record');
  refused({ ...file, type: 'entry' }, 'type');
  refused({ ...file, extra: 1 }, 'record.extra');
  refused(bad(file, (x) => { delete x.ctime; }), 'record.ctime');
  refused({ ...file, key: inodeKey('alice', 'n1.9') }, 'key');
  refused({ ...file, key: 'k'.repeat(600) }, 'key');
  refused({ ...file, owner: 'a/b', key: inodeKey('a/b', 'n1.1') }, 'owner');
  refused({ ...file, ino: 'n1', key: inodeKey('alice', 'n1') }, 'ino');
  refused({ ...file, ino: 'n1.0', key: inodeKey('alice', 'n1.0') }, 'ino');
  refused({ ...file, kind: 'door' }, 'kind');
  refused({ ...file, rdev: 3 }, 'rdev');
  refused({ ...dev, rdev: -1 }, 'rdev');
  refused({ ...file, target: 'x' }, 'target');
  refused({ ...symlink, target: '' }, 'target');
  refused({ ...symlink, target: 'a\0b' }, 'target');
  refused({ ...symlink, target: 'x'.repeat(4096) }, 'target');
  for (const mode of [0o10000, -1, 1.5, '644']) refused(bad(file, (x) => { x.attr.v.mode = mode; }), 'attr.v.mode');
  refused(bad(file, (x) => { x.attr.v.uid = 2 ** 32 - 1; }), 'attr.v.uid');
  refused(bad(file, (x) => { x.attr.v.gid = null; }), 'attr.v.gid');
  refused(bad(file, (x) => { x.attr.at.wallMs = 99; }), 'attr.at');
  refused(bad(file, (x) => { x.mtime.v = [1, 1e9]; }), 'mtime.v[1]');
  refused(bad(file, (x) => { x.atime.v = [1]; }), 'atime.v');
  refused(bad(file, (x) => { x.ctime = ['1', 0]; }), 'ctime[0]');
  refused(bad(file, (x) => { x.content.v.chunks[0].id = HEX.toUpperCase(); }), 'content.v.chunks[0].id');
  refused(bad(file, (x) => { x.content.v.chunks[1].id = 'c'.repeat(63); }), 'content.v.chunks[1].id');
  refused(bad(file, (x) => { x.content.v.chunks[1].size = 0; }), 'content.v.chunks[1].size');
  refused(bad(file, (x) => { x.content.v.size = 6; }), 'content.v.size');
  // content.holders (issue 13): where the commit wrote each chunk, checked like everything else
  refused(bad(file, (x) => { x.content.v.holders = { ['d'.repeat(64)]: ['cs1'] }; }), 'content.v.holders[dddddddddddddddd]');
  refused(bad(file, (x) => { x.content.v.holders = { [HEX]: [] }; }), `content.v.holders[${HEX.slice(0, 16)}]`);
  refused(bad(file, (x) => { x.content.v.holders = { [HEX]: ['cs2', 'cs1'] }; }), `content.v.holders[${HEX.slice(0, 16)}]`);
  refused(bad(file, (x) => { x.content.v.holders = { [HEX]: ['cs1', 'cs1'] }; }), `content.v.holders[${HEX.slice(0, 16)}]`);
  refused(bad(file, (x) => { x.content.v.holders = { [HEX]: ['a b'] }; }), `content.v.holders[${HEX.slice(0, 16)}][0]`);
  refused(bad(file, (x) => { x.content.v.holders = { [HEX]: Array.from({ length: 17 }, (_, i) => `cs${10 + i}`) }; }), `content.v.holders[${HEX.slice(0, 16)}]`);
  refused(bad(file, (x) => { x.content.v.holders = []; }), 'content.v.holders');
  refused(bad(symlink, (x) => { x.content.v = { size: 9, chunks: [] }; }), 'content.v.size');
  refused(bad(file, (x) => { x.xattrs['user.a'].v = 'not base64!'; }), 'xattrs["user.a"].v');
  refused(bad(file, (x) => { x.xattrs['user.a'].v = Buffer.alloc(64 * 1024 + 1).toString('base64'); }), 'xattrs["user.a"].v');
  refused(bad(file, (x) => { x.xattrs.plain = x.xattrs['user.a']; }), 'xattrs["plain"]');
  refused(bad(file, (x) => { x.xattrs[`user.${'x'.repeat(251)}`] = x.xattrs['user.a']; }), 'xattrs["user.');
  refused(bad(file, (x) => { for (let i = 0; i < 1025; i++) x.xattrs[`user.${i}`] = x.xattrs['user.a']; }), 'xattrs');
  refused(bad(file, (x) => { x.tags.red = [['n9', 1]]; }), 'tags.red[0]');
  refused(bad(file, (x) => { x.tags['a b'] = [['n1', 1]]; }), 'tags key');
  refused(bad(file, (x) => { x.tags.red = []; }), 'tags.red');
  refused(bad(file, (x) => { x.vv = {}; }), 'vv');
  refused(bad(file, (x) => { x.vv.n1 = 0; }), 'vv.n1');
  refused(bad(file, (x) => { x.vv['bad node'] = 1; }), 'vv key');
  refused(bad(file, (x) => { x.vv = JSON.parse('{"__proto__": 3, "n1": 1, "n2": 4}'); }), 'vv.__proto__');
  refused(bad(file, (x) => { x.tags = JSON.parse('{"__proto__": [["n1", 1]]}'); }), 'tags.__proto__');
  refused(bad(file, (x) => { x.hlc.wallMs = -1; }), 'hlc.wallMs');
  refused(bad(file, (x) => { delete x.hlc.node; }), 'hlc.node');
  refused(bad(file, (x) => { x.hlc.node = 'n7'; }), 'hlc.node');
  for (const name of ['a/b', 'a\0b', '.', '..', '', 'x'.repeat(256), '\uD800x']) {
    refused(bad(fileLink, (x) => { x.moves[0].name = name; }), 'moves[0].name');
  }
  refused(bad(fileLink, (x) => { x.moves.push({ ...x.moves[0], name: 'g' }); }), 'moves');
  refused(bad(fileLink, (x) => { x.moves = []; }), 'moves');
  refused(bad(dirLink, (x) => { x.moves.reverse(); }), 'moves[1].at');
  refused(bad(dirLink, (x) => { x.moves[1].at = x.moves[0].at; }), 'moves[1].at');
  refused(bad(dirLink, (x) => { x.moves[0].parent = 'n1.4'; }), 'moves[0].parent');
  refused(bad(dirLink, (x) => { x.moves[0].parent = 'nowhere'; }), 'moves[0].parent');
  refused(bad(dirLink, (x) => { x.moves = Array.from({ length: 4097 }, (_, i) => ({ at: { wallMs: i, logical: 0, node: 'n1' }, parent: 'root', name: 'd' })); }), 'moves');
  refused({ ...dirLink, dir: 'yes' }, 'dir');
  refused({ ...fileLink, ino: 'root' }, 'ino');
  refused({ ...fileLink, key: linkKey('bob', 'n1.7') }, 'key');
  refused({ ...user, name: '-x', key: 'u\0-x' }, 'name');
  refused({ ...user, passwordHash: 'plain' }, 'passwordHash');
  refused({ ...user, createdAtMs: -1 }, 'createdAtMs');
  refused({ ...user, created: { wallMs: 'x', logical: 0, node: 'n1' } }, 'created');
  refused({ ...user, created: { wallMs: user.hlc.wallMs + 1, logical: 0, node: 'n1' } }, 'created');
  refused({ ...user, created: { wallMs: 1, logical: 0, node: 'n9' } }, 'created.node');
  refused({ ...user, revokedBeforeMs: -5 }, 'revokedBeforeMs');
  refused({ ...user, revokedBeforeMs: 'soon' }, 'revokedBeforeMs');
  refused({ ...dead, key: 'u\0alice' }, 'key');
  refused({ ...dead, key: inodeKey('alice', 'root') }, 'key');
  refused({ ...dead, key: 'nonsense' }, 'key');
  refused(bad(dead, (x) => { x.at.wallMs = 1e6; }), 'at');
});

// ---- random mutations ----------------------------------------------------------------------------

const WEIRD: unknown[] = [null, -1, 0, 1, 1.5, 2 ** 53, NaN, Infinity, '', 'x', 'a/b', '\0', '..', 'root', 'n1.1', 'Z'.repeat(300), true, [], {}, [1, 2], { v: 1 }, 'scrypt$x'];

/** Every path (of keys and indexes) into a JSON value. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

function mutate(r: MetaRecord, where: number, what: number, how: number): unknown {
  const x = JSON.parse(JSON.stringify(r)) as unknown;
  const ps = paths(x).slice(1);
  const p = ps[where % ps.length]!;
  let parent = x as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = p[p.length - 1]!;
  if (how % 4 === 0 && !Array.isArray(parent)) delete parent[last];
  else if (how % 4 === 1 && typeof parent[last] === 'number') parent[last] = (parent[last] as number) + (what % 2 === 0 ? 1 : -1);
  else if (how % 4 === 2 && !Array.isArray(parent)) parent[`${String(last)}_`] = WEIRD[what % WEIRD.length];
  else parent[last] = WEIRD[what % WEIRD.length];
  return x;
}

test(`random mutations of valid records are valid or refused, never a crash (seed ${SEED}, ${RUNS} runs)`, () => {
  const pool = [...VALID, ...simulated(7)];
  let accepted = 0;
  const details = fc.check(fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }), (pickN, edits) => {
    const base = pool[pickN % pool.length]!;
    let x: unknown = base;
    for (const [where, what, how] of edits) x = mutate(x as MetaRecord, where, what, how);
    let rec: MetaRecord;
    try {
      rec = validateRecord(x);
    } catch (err) {
      if (!(err instanceof RedCloudError) || err.code !== 'INVALID') throw new Error(`not an INVALID refusal: ${String(err)}`);
      return;
    }
    accepted++;
    // what passes is safe to use: it merges with itself and (links) materializes
    mergeRecords(rec, rec);
    if (rec.type === 'link') materializeTree([rec as LinkRecord]);
  }), { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH } : {}) });
  if (details.failed) {
    console.error(`validate property failed; replay with VALIDATE_SEED=${details.seed} VALIDATE_PATH=${details.counterexamplePath}`);
    console.error(fc.defaultReportMessage(details));
    throw details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));
  }
  assert.ok(accepted > 0 && accepted < RUNS, `some mutations are harmless, most are refused (${accepted} of ${RUNS} accepted)`);
  if (process.env.VALIDATE_STATS) console.log(`${accepted} of ${RUNS} mutated records accepted`);
});

test.run();
