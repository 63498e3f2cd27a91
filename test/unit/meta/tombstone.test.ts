/**
 * A collected tombstone stays dead on every path (issue 18), with the pure replicas of ./sim.ts:
 * a random history on 3 replicas, then `rm -r` of a few entries, full delivery, and collection on
 * every replica (each deleted link and each inode left without links replaced by its death
 * certificate, ops.ts deathOf, once every replica saw the delete). Then every older version of the
 * records is delivered again (i) as gossip updates, in any order and duplicated, (ii) as
 * anti-entropy whole records from snapshots of every replica taken during the history, and (iii)
 * from a replica restored from a snapshot of its state taken before the delete, whose records flow
 * to the others and theirs to it. Checks after every arrival that no collected entry is visible on
 * any replica that had collected it, that such arrivals are absorbed (not stored, not forwarded),
 * that the restored replica ends without the entries too, and that nothing live was lost.
 * Replay a failure with TOMBSTONE_SEED=<seed> TOMBSTONE_PATH=<path>; more runs with TOMBSTONE_RUNS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { inodeKey, linkKey, ROOT_INO } from '../../../src/meta/keys.js';
import { deathOf } from '../../../src/meta/ops.js';
import type { MetaRecord } from '../../../src/meta/types.js';
import {
  Net, OP_KINDS, OWNER, applyRemote, linksOf, localOp, lostViolation, newModel, newReplica, pathOf, pathOps, recordsJson, rootInode,
  seededRandom, setRecord, treeOf, viewOf, type Model, type Replica,
} from './sim.js';

const SEED = process.env.TOMBSTONE_SEED ? Number(process.env.TOMBSTONE_SEED) : 18;
const RUNS = process.env.TOMBSTONE_RUNS ? Number(process.env.TOMBSTONE_RUNS) : 30;
const PATH = process.env.TOMBSTONE_PATH;

interface Snapshot {
  records: Map<string, MetaRecord>;
  seq: number;
  hlc: Replica['hlc'];
}

const snapshot = (r: Replica): Snapshot => ({ records: new Map(JSON.parse(JSON.stringify([...r.records]))), seq: r.seq, hlc: { ...r.hlc } });

function restore(id: string, s: Snapshot): Replica {
  const r = newReplica(id);
  for (const rec of s.records.values()) setRecord(r, rec);
  r.seq = s.seq;
  r.hlc = { ...s.hlc };
  return r;
}

/** `rm -r` of the entry at a random visible link of r: every file unlinked, directories bottom-up. */
function removeTree(r: Replica, model: Model, pickN: number): MetaRecord[] {
  const view = viewOf(r);
  if (view.links.length === 0) return [];
  const top = view.links[pickN % view.links.length]!;
  const out: MetaRecord[] = [];
  const ops = pathOps(r, model);
  const rm = (id: string): void => {
    const v = viewOf(r);
    const l = v.tree.visible.get(id)!;
    if (l.dir) for (const child of [...(v.children.get(l.ino)?.values() ?? [])]) rm(child.id);
    const now = viewOf(r);
    const still = now.tree.visible.get(id); // a revived directory (removed before) goes once emptied
    if (still) out.push(...ops.rm(pathOf(now, still)));
  };
  rm(top.id);
  return out;
}

/** The keys every replica may now collect: deleted links out of the tree, and inodes left without links. */
function collectable(r: Replica): string[] {
  const tree = treeOf(r);
  const links = linksOf(r);
  const keys: string[] = [];
  const liveInos = new Set<string>();
  for (const l of links) {
    const last = l.moves[l.moves.length - 1]!;
    if (last.parent === null && !tree.visible.has(l.id)) keys.push(l.key);
    else liveInos.add(l.ino);
  }
  for (const rec of r.records.values()) {
    if (rec.type === 'inode' && rec.ino !== ROOT_INO && !liveInos.has(rec.ino)) keys.push(rec.key);
  }
  return keys.sort();
}

function run(seed: number): { collected: number; absorbed: number } {
  const random = seededRandom(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const replicas: Replica[] = ['n0', 'n1', 'n2'].map((id, i) => newReplica(id, 1000 + 11 * i));
  const root = rootInode();
  for (const r of replicas) setRecord(r, root);
  replicas[0]!.seq = 1;
  let net = new Net(replicas);
  const model = newModel();
  const updates: MetaRecord[] = []; // every version as produced (what gossip carried)
  const snapshots: Snapshot[] = [];
  const snapAt = 20 + int(40);
  let restoreFrom: Snapshot | undefined;

  // 1. a random history
  for (let step = 0; step < 70; step++) {
    const x = random();
    if (x < 0.6) {
      const r = int(3);
      const out = localOp(replicas[r]!, model, { kind: OP_KINDS[int(OP_KINDS.length)]!, a: int(1000), b: int(1000), c: int(1000) });
      if (out) { net.broadcast(r, out); updates.push(...out); }
    } else if (x < 0.9) net.deliver(int(1000));
    else if (x < 0.95) net.cut(int(3), int(3));
    else net.heal();
    if (step % 10 === 0) snapshots.push(snapshot(replicas[int(3)]!));
    if (step === snapAt) restoreFrom = snapshot(replicas[2]!);
  }
  net.settle(random);
  restoreFrom ??= snapshot(replicas[2]!);
  snapshots.push(snapshot(replicas[0]!));

  // 2. rm -r of a few entries, on any replica; everyone sees it
  for (let i = 0; i < 1 + int(3); i++) {
    const r = int(3);
    const out = removeTree(replicas[r]!, model, int(1000));
    net.broadcast(r, out);
    updates.push(...out);
    net.settle(random);
  }

  // 3. collection on every replica, once all saw the deletes (they agree on what to collect)
  const keys = collectable(replicas[0]!);
  for (const r of replicas) assert.equal(collectable(r), keys);
  const deadLinks = keys.filter((k) => k.startsWith('l\0')).map((k) => k.split('\0')[2]!);
  for (const r of replicas) for (const k of keys) setRecord(r, deathOf(r.records.get(k)!));
  const live = replicas.map(recordsJson);

  const nothingBack = (rs: readonly Replica[], when: string): void => {
    for (const r of rs) {
      const tree = treeOf(r);
      for (const id of deadLinks) if (tree.visible.has(id)) throw new Error(`${when}: collected link ${id} is visible again on ${r.id}`);
      for (const k of keys) if (r.records.get(k)?.type !== 'dead') throw new Error(`${when}: ${k.replace(/\0/g, '/')} is ${r.records.get(k)?.type} on ${r.id}`);
    }
  };
  let absorbed = 0;
  const redeliver = (r: Replica, rec: MetaRecord, when: string): void => {
    const d = applyRemote(r, rec);
    if (keys.includes(rec.key)) {
      assert.not.ok(d.changed, `${when}: an old version of collected ${rec.key.replace(/\0/g, '/')} changes nothing`);
      assert.ok(d.absorbed, `${when}: absorbed, so not logged nor forwarded`);
      absorbed++;
    }
  };

  // (i) every version gossip ever carried, again, shuffled and duplicated
  const again = [...updates, ...updates.filter(() => int(2) === 0)].map((u) => ({ u, k: random() })).sort((a, b) => a.k - b.k).map((x) => x.u);
  for (const rec of again) {
    const r = replicas[int(3)]!;
    redeliver(r, rec, 'gossip');
    nothingBack([r], 'gossip');
  }
  // (ii) anti-entropy: whole records from every snapshot taken during the history
  for (const s of snapshots) for (const r of replicas) for (const rec of s.records.values()) {
    redeliver(r, rec, 'anti-entropy');
    nothingBack([r], 'anti-entropy');
  }
  replicas.forEach((r, i) => assert.is(recordsJson(r), live[i], `${r.id}: old versions changed nothing`));

  // (iii) n2 restored from a snapshot taken before the delete: its records flow to the others and theirs to it
  const restored = restore('n2', restoreFrom);
  replicas[2] = restored;
  net = new Net(replicas);
  for (const rec of restoreFrom.records.values()) for (const r of replicas.slice(0, 2)) {
    redeliver(r, rec, 'from the restored replica');
    nothingBack(replicas.slice(0, 2), 'from the restored replica');
  }
  for (let round = 0; round < 2; round++) {
    net.antiEntropy(0, 2);
    net.antiEntropy(2, 1);
    net.antiEntropy(1, 2);
    net.antiEntropy(2, 0);
    nothingBack(replicas.slice(0, 2), 'anti-entropy with the restored replica');
  }
  nothingBack(replicas, 'after the restored replica caught up');
  for (const r of replicas) {
    assert.is(recordsJson(r), recordsJson(replicas[0]!), `${r.id} converged`);
    const lost = lostViolation(r, model, treeOf(r));
    if (lost) throw new Error(`nothing live is lost: ${lost}`);
  }
  return { collected: keys.length, absorbed };
}

test(`collected tombstones never come back by gossip, anti-entropy or a restored replica (seed ${SEED}, ${RUNS} runs)`, () => {
  let collected = 0;
  let absorbed = 0;
  const details = fc.check(fc.property(fc.nat(), (seed) => {
    const out = run(seed);
    collected += out.collected;
    absorbed += out.absorbed;
  }), { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH } : {}) });
  if (details.failed) {
    console.error(`tombstone property failed; replay with TOMBSTONE_SEED=${details.seed} TOMBSTONE_PATH=${details.counterexamplePath}`);
    console.error(fc.defaultReportMessage(details));
    throw details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));
  }
  assert.ok(collected > RUNS && absorbed > 10 * RUNS, `the runs collected (${collected}) and re-delivered (${absorbed}) enough`);
});

test('a file deleted and collected stays deleted when a replica restored from before the delete rejoins', () => {
  const replicas = ['n0', 'n1', 'n2'].map((id) => newReplica(id));
  const root = rootInode();
  for (const r of replicas) setRecord(r, root);
  replicas[0]!.seq = 1;
  const net = new Net(replicas);
  const model = newModel();
  const [r0, r1] = replicas as [Replica, Replica, Replica];
  net.broadcast(0, pathOps(r0, model).mkdir('/d'));
  net.broadcast(0, pathOps(r0, model).create('/d/f', 5));
  net.settle(seededRandom(1));
  const before = snapshot(replicas[2]!);
  const f = viewOf(r0).children.get(viewOf(r0).dirLink.values().next().value!.ino)!.get('f')!;
  net.broadcast(1, pathOps(r1, model).rm('/d/f'));
  net.settle(seededRandom(2));
  for (const r of replicas) for (const k of [linkKey(OWNER, f.id), inodeKey(OWNER, f.ino)]) setRecord(r, deathOf(r.records.get(k)!));
  replicas[2] = restore('n2', before);
  assert.ok(treeOf(replicas[2]!).visible.has(f.id), 'the restored replica still shows it');
  const net2 = new Net(replicas);
  net2.antiEntropy(2, 0);
  net2.antiEntropy(2, 1);
  assert.not.ok(treeOf(r0).visible.has(f.id));
  assert.not.ok(treeOf(r1).visible.has(f.id));
  net2.antiEntropy(0, 2);
  assert.not.ok(treeOf(replicas[2]!).visible.has(f.id), 'and it ends without it');
  assert.is(replicas[2]!.records.get(inodeKey(OWNER, f.ino))!.type, 'dead');
  assert.ok(viewOf(replicas[2]!).dirLink.size === 1, '/d is still there');
});

test.run();
