/**
 * A pure simulation of 3–5 controllers for the replica core's property tests: each replica is a
 * Map<key, MetaRecord> with its own wall clock, HLC and write sequence; local operations are the
 * filesystem's (create, mkdir, link, unlink, rmdir, rename, chmod, chown, write, setxattr,
 * removexattr, tags), each done only when valid on that replica's own view (materializeTree), as a
 * real filesystem would refuse it; records travel through a network of in-flight messages that
 * can be reordered, dropped, duplicated and cut by partitions, and every arrival goes through
 * decideRemote (replica.ts). A model of what was acknowledged (links created and never unlinked,
 * the latest write of every register) is kept beside, to check that nothing acknowledged is lost.
 * No I/O, no wall clock, no Math.random: one seeded PRNG (test/helpers/prng.ts) per run.
 */
import { createHash } from 'node:crypto';
import { compareHlc, receive, tick } from '../../../src/meta/hlc.js';
import { inodeKey, newId, ROOT_INO } from '../../../src/meta/keys.js';
import { changeInode, moveLink, newInode, newLink, type InodeChange, type WriteStamp } from '../../../src/meta/ops.js';
import { canonicalJson } from '../../../src/meta/register.js';
import { decideRemote } from '../../../src/meta/replica.js';
import { materializeTree, type Tree, type VisibleLink } from '../../../src/meta/tree.js';
import type { Hlc, InodeAttr, InodeContent, InodeRecord, LinkRecord, MetaRecord, Ts } from '../../../src/meta/types.js';
import { seededRandom } from '../../helpers/prng.js';

export { seededRandom };
export const OWNER = 'u';
export const NAMES = ['a', 'b', 'c', 'd'];
export const XATTR_NAMES = ['user.x', 'user.y'];
export const TAGS = ['red', 'blue'];

export interface Replica {
  id: string;
  seq: number;
  hlc: Hlc;
  wallMs: number;
  records: Map<string, MetaRecord>;
  /** arrivals that were concurrent and disagreed (the store would log `Resolved conflict`) */
  conflicts: number;
  /** arrivals dropped because the key is dead here */
  absorbed: number;
  /** bumped on every change of `records` (setRecord), so views can be cached */
  version: number;
}

/** Every change of a replica's records goes through here. */
export function setRecord(r: Replica, rec: MetaRecord): void {
  r.records.set(rec.key, rec);
  r.version++;
}

export function newReplica(id: string, wallMs = 1000): Replica {
  return { id, seq: 0, hlc: { wallMs: 0, logical: 0, node: id }, wallMs, records: new Map(), conflicts: 0, absorbed: 0, version: 0 };
}

/** The next local write's stamp: HLC ticked on this replica's wall clock, next write seq. */
export function stampOn(r: Replica): WriteStamp {
  r.hlc = tick(r.hlc, r.wallMs, r.id);
  r.seq++;
  return { hlc: r.hlc, node: r.id, seq: r.seq };
}

/** Stores a record this replica wrote; its clock moves past the record's stamp. */
export function commitLocal(r: Replica, rec: MetaRecord): MetaRecord {
  const cur = r.records.get(rec.key);
  if (cur && cur.type === 'dead') throw new Error(`local write to dead key ${rec.key} at ${r.id}`);
  setRecord(r, rec);
  if (compareHlc(rec.hlc, r.hlc) > 0) r.hlc = { ...rec.hlc, node: r.id };
  return rec;
}

/** An arrival from a peer, through the replica core's one rule. Returns the decision. */
export function applyRemote(r: Replica, rec: MetaRecord): ReturnType<typeof decideRemote> {
  const copy = JSON.parse(JSON.stringify(rec)) as MetaRecord; // what a wire would do
  const d = decideRemote(r.records.get(copy.key), copy);
  if (d.changed) setRecord(r, d.record);
  if (d.conflict) r.conflicts++;
  if (d.absorbed) r.absorbed++;
  r.hlc = receive(r.hlc, copy.hlc, r.wallMs);
  return d;
}

export function linksOf(r: Replica): LinkRecord[] {
  const out: LinkRecord[] = [];
  for (const rec of r.records.values()) if (rec.type === 'link' && rec.owner === OWNER) out.push(rec);
  return out;
}

const treeCache = new WeakMap<Replica, { version: number; tree: Tree }>();

/** materializeTree of the replica's links (cached until its records change). */
export function treeOf(r: Replica): Tree {
  const hit = treeCache.get(r);
  if (hit && hit.version === r.version) return hit.tree;
  const tree = materializeTree(linksOf(r));
  treeCache.set(r, { version: r.version, tree });
  return tree;
}

export function inodeOf(r: Replica, ino: string): InodeRecord | undefined {
  const rec = r.records.get(inodeKey(OWNER, ino));
  return rec?.type === 'inode' ? rec : undefined;
}

/** The canonical form of a replica's records, for comparing replicas. */
export function recordsJson(r: Replica): string {
  return canonicalJson([...r.records.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function treeJson(t: Tree): string {
  return canonicalJson({ visible: [...t.visible.values()].sort((x, y) => (x.id < y.id ? -1 : 1)), revived: t.revived, skipped: t.skipped });
}

// ---- the view a replica answers from ----------------------------------------------------------

export interface View {
  tree: Tree;
  /** parent ino → shown name → link */
  children: Map<string, Map<string, VisibleLink>>;
  /** ROOT_INO and the ino of every visible directory, sorted */
  dirs: string[];
  /** visible links, sorted by id */
  links: VisibleLink[];
  /** visible directory ino → its link */
  dirLink: Map<string, VisibleLink>;
}

export function viewOf(r: Replica): View {
  const tree = treeOf(r);
  const children = new Map<string, Map<string, VisibleLink>>();
  const dirLink = new Map<string, VisibleLink>();
  for (const v of tree.visible.values()) {
    let m = children.get(v.parent);
    if (!m) children.set(v.parent, (m = new Map()));
    m.set(v.name, v);
    if (v.dir) dirLink.set(v.ino, v);
  }
  const links = [...tree.visible.values()].sort((x, y) => (x.id < y.id ? -1 : 1));
  return { tree, children, dirs: [ROOT_INO, ...[...dirLink.keys()].sort()], links, dirLink };
}

/** True if `ino` is `ancestor` or below it in the view. */
export function isUnder(view: View, ino: string, ancestor: string): boolean {
  for (let a: string | undefined = ino, n = 0; a !== undefined && n <= view.dirLink.size + 1; n++) {
    if (a === ancestor) return true;
    if (a === ROOT_INO) return false;
    a = view.dirLink.get(a)?.parent;
  }
  return false;
}

// ---- the model of what was acknowledged --------------------------------------------------------

export interface Model {
  /** every link created: its inode, whether it is a directory, and whether anyone unlinked it */
  links: Map<string, ModelLink>;
  /** per inode, per register: the value of the latest write (by stamp) */
  regs: Map<string, Map<string, { at: Hlc; v: unknown }>>;
  /** skipped or refused operations, for the statistics */
  refused: number;
  done: number;
}

export interface ModelLink {
  ino: string;
  dir: boolean;
  /** someone unlinked (or rmdir'ed, or renamed over) it */
  unlinked: boolean;
  /** its latest move by stamp (last writer wins for a file link): placed, or out of the tree */
  lastAt: Hlc;
  placed: boolean;
}

/** Notes a move (or the creation) of a link written locally. */
function noteMove(model: Model, rec: LinkRecord, unlinked = false): void {
  const last = rec.moves[rec.moves.length - 1]!;
  const seen = model.links.get(rec.id);
  const l: ModelLink = seen ?? { ino: rec.ino, dir: rec.dir, unlinked: false, lastAt: last.at, placed: last.parent !== null };
  if (unlinked) l.unlinked = true;
  if (compareHlc(last.at, l.lastAt) >= 0) {
    l.lastAt = last.at;
    l.placed = last.parent !== null;
  }
  model.links.set(rec.id, l);
}

export const newModel = (): Model => ({ links: new Map(), regs: new Map(), refused: 0, done: 0 });

function noteReg(model: Model, ino: string, reg: string, at: Hlc, v: unknown): void {
  let m = model.regs.get(ino);
  if (!m) model.regs.set(ino, (m = new Map()));
  const seen = m.get(reg);
  if (!seen || compareHlc(at, seen.at) > 0) m.set(reg, { at, v });
}

function noteInode(model: Model, rec: InodeRecord, change?: InodeChange): void {
  const all = !change;
  if (all || change?.attr) noteReg(model, rec.ino, 'attr', rec.attr.at, rec.attr.v);
  if (all || change?.content) noteReg(model, rec.ino, 'content', rec.content.at, rec.content.v);
  if (all || change?.mtime) noteReg(model, rec.ino, 'mtime', rec.mtime.at, rec.mtime.v);
  for (const name of Object.keys(change?.xattrs ?? {})) noteReg(model, rec.ino, `xattr:${name}`, rec.xattrs[name]!.at, rec.xattrs[name]!.v);
}

// ---- local operations ------------------------------------------------------------------------

export type OpKind = 'create' | 'mkdir' | 'link' | 'unlink' | 'rmdir' | 'rename' | 'chmod' | 'chown' | 'write' | 'setxattr' | 'removexattr' | 'tag';
export const OP_KINDS: OpKind[] = ['create', 'mkdir', 'link', 'unlink', 'rmdir', 'rename', 'chmod', 'chown', 'write', 'setxattr', 'removexattr', 'tag'];

export interface OpChoice {
  kind: OpKind;
  /** free choices, taken modulo whatever they choose among */
  a: number;
  b: number;
  c: number;
}

const ts = (r: Replica): Ts => [Math.floor(r.wallMs / 1000), (r.wallMs % 1000) * 1_000_000];

/** The content a write by (node, seq) stores: one chunk whose id is the hash of those bytes. */
export function contentOf(node: string, seq: number, size: number): InodeContent {
  if (size === 0) return { size: 0, chunks: [] };
  const id = createHash('sha256').update(`${node}.${seq}`).digest('hex');
  return { size, chunks: [{ id, size }] };
}

const pick = <T>(xs: readonly T[], n: number): T | undefined => (xs.length === 0 ? undefined : xs[n % xs.length]);

function createEntry(r: Replica, view: View, model: Model, o: OpChoice, kind: 'file' | 'dir', at?: { parent: string; name: string }): MetaRecord[] | undefined {
  const parent = at?.parent ?? pick(view.dirs, o.a)!;
  const name = at?.name ?? pick(NAMES, o.b)!;
  if (view.children.get(parent)?.has(name)) return undefined; // EEXIST
  const s1 = stampOn(r);
  const ino = newId(r.id, s1.seq);
  const attr: InodeAttr = { mode: kind === 'dir' ? 0o755 : 0o644, uid: 1000, gid: 1000 };
  const content = kind === 'file' ? contentOf(r.id, s1.seq, 1 + (o.c % 5000)) : undefined;
  const inode = commitLocal(r, newInode({ ...s1, owner: OWNER, ino, kind, attr, content, time: ts(r) })) as InodeRecord;
  const s2 = stampOn(r);
  const link = commitLocal(r, newLink({ ...s2, owner: OWNER, id: newId(r.id, s2.seq), ino, dir: kind === 'dir', parent, name })) as LinkRecord;
  noteInode(model, inode);
  noteMove(model, link);
  return [inode, link];
}

function linkRecord(r: Replica, v: VisibleLink): LinkRecord {
  const rec = r.records.get(`l\0${OWNER}\0${v.id}`);
  if (rec?.type !== 'link') throw new Error(`visible link ${v.id} has no live record at ${r.id}`);
  return rec;
}

function unlinkOne(r: Replica, model: Model, v: VisibleLink): MetaRecord {
  const rec = commitLocal(r, moveLink(linkRecord(r, v), null, v.name, stampOn(r))) as LinkRecord;
  noteMove(model, rec, true);
  return rec;
}

function rename(r: Replica, view: View, model: Model, o: OpChoice): MetaRecord[] | undefined {
  // Favour directories (their moves are what can form cycles).
  const dirs = view.links.filter((l) => l.dir);
  const src = o.a % 3 !== 0 && dirs.length > 0 ? pick(dirs, o.a) : pick(view.links, o.a);
  if (!src) return undefined;
  // Mostly into another directory, one where the move is valid here (so concurrent ones meet);
  // sometimes anywhere, to see the refusal of a directory into its own subtree.
  const valid = view.dirs.filter((d) => d !== ROOT_INO && !(src.dir && isUnder(view, d, src.ino)));
  const parent = o.b % 4 === 0 || valid.length === 0 ? pick(view.dirs, o.b >> 2)! : pick(valid, o.b >> 2)!;
  const name = pick(NAMES, o.c)!;
  if (src.dir && isUnder(view, parent, src.ino)) return undefined; // EINVAL: a directory into its own subtree
  const existing = view.children.get(parent)?.get(name);
  const out: MetaRecord[] = [];
  if (existing) {
    if (existing.id === src.id) return undefined;
    if (existing.ino === src.ino) return undefined; // both hard links of one file: rename does nothing
    if (existing.dir !== src.dir) return undefined; // EISDIR / ENOTDIR
    if (existing.dir && (view.children.get(existing.ino)?.size ?? 0) > 0) return undefined; // ENOTEMPTY
    out.push(unlinkOne(r, model, existing)); // rename replaces the target
  }
  const moved = commitLocal(r, moveLink(linkRecord(r, src), parent, name, stampOn(r))) as LinkRecord;
  noteMove(model, moved);
  out.push(moved);
  return out;
}

function changeOne(r: Replica, view: View, model: Model, o: OpChoice): MetaRecord[] | undefined {
  const files = view.links.filter((l) => !l.dir);
  const inos = o.kind === 'write' ? files.map((l) => l.ino) : [ROOT_INO, ...view.links.map((l) => l.ino)];
  const ino = pick(inos, o.a);
  const cur = ino === undefined ? undefined : inodeOf(r, ino);
  if (!cur) return undefined; // not here yet (its link arrived first)
  let change: InodeChange;
  const s = stampOn(r);
  switch (o.kind) {
    case 'chmod': change = { attr: { ...cur.attr.v, mode: o.b % 0o10000 } }; break;
    case 'chown': change = { attr: { ...cur.attr.v, uid: o.b % 3, gid: o.c % 3 } }; break;
    case 'write': change = { content: contentOf(r.id, s.seq, o.b % 9000), mtime: ts(r) }; break;
    case 'setxattr': change = { xattrs: { [pick(XATTR_NAMES, o.b)!]: Buffer.from(`${r.id}.${s.seq}`).toString('base64') } }; break;
    case 'removexattr': change = { xattrs: { [pick(XATTR_NAMES, o.b)!]: null } }; break;
    default: change = o.b % 2 === 0 ? { addTags: [pick(TAGS, o.c)!] } : { removeTags: [pick(TAGS, o.c)!] };
  }
  const rec = commitLocal(r, changeInode(cur, change, s, ts(r))) as InodeRecord;
  noteInode(model, rec, change);
  return [rec];
}

/**
 * Runs one operation on replica `r` if it is valid on r's current view; returns the records it
 * wrote (to gossip), or undefined if the replica refused it as a filesystem would.
 */
export function localOp(r: Replica, model: Model, o: OpChoice): MetaRecord[] | undefined {
  const view = viewOf(r);
  let out: MetaRecord[] | undefined;
  switch (o.kind) {
    case 'create': out = createEntry(r, view, model, o, 'file'); break;
    case 'mkdir': out = createEntry(r, view, model, o, 'dir'); break;
    case 'link': {
      const file = pick(view.links.filter((l) => !l.dir), o.a);
      const parent = pick(view.dirs, o.b)!;
      const name = pick(NAMES, o.c)!;
      if (!file || view.children.get(parent)?.has(name)) break;
      const s = stampOn(r);
      const link = commitLocal(r, newLink({ ...s, owner: OWNER, id: newId(r.id, s.seq), ino: file.ino, dir: false, parent, name })) as LinkRecord;
      noteMove(model, link);
      out = [link];
      break;
    }
    case 'unlink': {
      const file = pick(view.links.filter((l) => !l.dir), o.a);
      if (file) out = [unlinkOne(r, model, file)];
      break;
    }
    case 'rmdir': {
      const dir = pick(view.links.filter((l) => l.dir && !view.children.get(l.ino)?.size), o.a);
      if (dir) out = [unlinkOne(r, model, dir)];
      break;
    }
    case 'rename': out = rename(r, view, model, o); break;
    default: out = changeOne(r, view, model, o);
  }
  if (out) model.done++;
  else model.refused++;
  return out;
}

// ---- the root, created once and known everywhere ------------------------------------------------

export function rootInode(): InodeRecord {
  return newInode({
    owner: OWNER, ino: ROOT_INO, kind: 'dir', attr: { mode: 0o755, uid: 0, gid: 0 }, time: [1, 0],
    hlc: { wallMs: 1, logical: 0, node: 'n0' }, node: 'n0', seq: 1,
  });
}

// ---- the network ----------------------------------------------------------------------------

export interface Msg {
  from: number;
  to: number;
  record: MetaRecord;
}

export class Net {
  inflight: Msg[] = [];
  private cuts = new Set<string>();
  delivered = 0;
  dropped = 0;
  duplicated = 0;

  constructor(readonly replicas: Replica[]) {}

  private pair(a: number, b: number): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  cut(a: number, b: number): void {
    if (a !== b) this.cuts.add(this.pair(a, b));
  }

  heal(): void {
    this.cuts.clear();
  }

  isCut(a: number, b: number): boolean {
    return this.cuts.has(this.pair(a, b));
  }

  /** Gossip: a replica pushes what it wrote to every peer. */
  broadcast(from: number, records: readonly MetaRecord[]): void {
    for (let to = 0; to < this.replicas.length; to++) if (to !== from) for (const record of records) this.inflight.push({ from, to, record });
  }

  private deliverable(): number[] {
    const out: number[] = [];
    this.inflight.forEach((m, i) => { if (!this.isCut(m.from, m.to)) out.push(i); });
    return out;
  }

  /** Delivers the k-th deliverable message (any of them: reordering). Returns the replica that got it. */
  deliver(k: number): number | undefined {
    const ok = this.deliverable();
    if (ok.length === 0) return undefined;
    const [m] = this.inflight.splice(ok[k % ok.length]!, 1);
    applyRemote(this.replicas[m!.to]!, m!.record);
    this.delivered++;
    return m!.to;
  }

  drop(k: number): void {
    if (this.inflight.length === 0) return;
    this.inflight.splice(k % this.inflight.length, 1);
    this.dropped++;
  }

  duplicate(k: number): void {
    if (this.inflight.length === 0 || this.inflight.length > 2000) return;
    this.inflight.push(this.inflight[k % this.inflight.length]!);
    this.duplicated++;
  }

  /** Anti-entropy: `from` sends every record it holds, whole, to `to`. */
  antiEntropy(from: number, to: number): boolean {
    if (from === to || this.isCut(from, to)) return false;
    for (const rec of this.replicas[from]!.records.values()) applyRemote(this.replicas[to]!, rec);
    return true;
  }

  /**
   * Heals, delivers everything in flight in a seeded order, then anti-entropy through replica 0
   * (everyone to it, it to everyone): after that every replica holds the join of all records.
   */
  settle(random: () => number): void {
    this.heal();
    while (this.inflight.length > 0) this.deliver(Math.floor(random() * this.inflight.length));
    for (let a = 1; a < this.replicas.length; a++) this.antiEntropy(a, 0);
    for (let b = 1; b < this.replicas.length; b++) this.antiEntropy(0, b);
  }
}

// ---- invariants ------------------------------------------------------------------------------

/**
 * The tree invariants on one replica's view, after any step: the visible directories form one
 * tree rooted at ROOT_INO (no cycle, each directory at most one visible link), every visible
 * entry's parent is the root or a visible directory, names are unique per directory. Returns the
 * first violation, or undefined.
 */
export function treeViolation(tree: Tree): string | undefined {
  const dirLink = new Map<string, VisibleLink>();
  for (const v of tree.visible.values()) {
    if (!v.dir) continue;
    if (dirLink.has(v.ino)) return `directory ${v.ino} has two visible links (${dirLink.get(v.ino)!.id}, ${v.id})`;
    if (v.ino === ROOT_INO) return `the root has a visible link ${v.id}`;
    dirLink.set(v.ino, v);
  }
  const names = new Set<string>();
  for (const v of tree.visible.values()) {
    if (v.parent !== ROOT_INO && !dirLink.has(v.parent)) return `entry ${v.id} (${v.name}) is under ${v.parent}, which is not a visible directory`;
    const k = `${v.parent}\0${v.name}`;
    if (names.has(k)) return `two entries named ${JSON.stringify(v.name)} in ${v.parent}`;
    names.add(k);
    if (v.name === '' || v.name.includes('/') || Buffer.byteLength(v.name) > 255) return `bad shown name ${JSON.stringify(v.name)}`;
  }
  for (const v of dirLink.values()) {
    let a: string = v.ino;
    for (let n = 0; a !== ROOT_INO; n++) {
      if (n > dirLink.size) return `directory ${v.ino} is on a cycle`;
      a = dirLink.get(a)!.parent;
    }
  }
  return undefined;
}

/**
 * After full delivery: every link that was created and never unlinked is visible on `r` and names
 * an inode that `r` holds, with the latest write of each of its registers; a file link is visible
 * exactly when its latest move placed it (last writer wins), so nlink of a file (its visible links)
 * is the number of its links whose latest move placed them.
 */
export function lostViolation(r: Replica, model: Model, tree: Tree): string | undefined {
  const expectedNlink = new Map<string, number>();
  for (const [id, l] of model.links) {
    if (!l.unlinked && !tree.visible.has(id)) return `${r.id}: acknowledged link ${id} (ino ${l.ino}) is not visible`;
    if (l.dir) continue;
    if (l.placed !== tree.visible.has(id)) return `${r.id}: file link ${id} is ${l.placed ? 'not ' : ''}visible, but its latest move ${l.placed ? 'placed it' : 'unlinked it'}`;
    if (l.placed) expectedNlink.set(l.ino, (expectedNlink.get(l.ino) ?? 0) + 1);
  }
  const nlink = new Map<string, number>();
  for (const v of tree.visible.values()) if (!v.dir) nlink.set(v.ino, (nlink.get(v.ino) ?? 0) + 1);
  if (canonicalJson([...nlink].sort()) !== canonicalJson([...expectedNlink].sort())) {
    return `${r.id}: nlink ${canonicalJson([...nlink].sort())}, expected ${canonicalJson([...expectedNlink].sort())}`;
  }
  for (const v of tree.visible.values()) {
    const rec = inodeOf(r, v.ino);
    if (!rec) return `${r.id}: visible inode ${v.ino} has no record`;
    for (const [reg, { v: want }] of model.regs.get(v.ino) ?? []) {
      const got = reg.startsWith('xattr:') ? rec.xattrs[reg.slice(6)]?.v : (rec[reg as 'attr' | 'content' | 'mtime'] as { v: unknown }).v;
      if (canonicalJson(got) !== canonicalJson(want)) return `${r.id}: ${reg} of ${v.ino} is ${canonicalJson(got)}, the latest write was ${canonicalJson(want)}`;
    }
  }
  return undefined;
}

// ---- operations by path, for the scenario tests --------------------------------------------------

/** The visible link at `path` (absolute, `/`-separated), or undefined; `/` is the root (null). */
export function lookup(view: View, path: string): VisibleLink | null | undefined {
  if (path === '/') return null;
  let dir = ROOT_INO;
  let link: VisibleLink | undefined;
  for (const name of path.slice(1).split('/')) {
    link = view.children.get(dir)?.get(name);
    if (!link) return undefined;
    dir = link.ino;
  }
  return link;
}

/** The path of a visible link in a view. */
export function pathOf(view: View, v: VisibleLink): string {
  const parts = [v.name];
  for (let p = v.parent; p !== ROOT_INO; p = view.dirLink.get(p)!.parent) parts.unshift(view.dirLink.get(p)!.name);
  return `/${parts.join('/')}`;
}

/** Every visible path of a replica, sorted, with `/` after directories. */
export function pathsOf(r: Replica): string[] {
  const view = viewOf(r);
  return view.links.map((v) => pathOf(view, v) + (v.dir ? '/' : '')).sort();
}

const split = (path: string): [string, string] => {
  const i = path.lastIndexOf('/');
  return [i === 0 ? '/' : path.slice(0, i), path.slice(i + 1)];
};

function dirIno(view: View, path: string): string {
  const l = lookup(view, path);
  if (l === null) return ROOT_INO;
  if (!l || !l.dir) throw new Error(`no directory ${path}`);
  return l.ino;
}

/** Local operations by path on one replica; each returns the records written (to broadcast). */
export function pathOps(r: Replica, model: Model = newModel()) {
  const must = (path: string): VisibleLink => {
    const l = lookup(viewOf(r), path);
    if (!l) throw new Error(`${r.id}: no ${path}`);
    return l;
  };
  const create = (path: string, kind: 'file' | 'dir', size = 10): MetaRecord[] => {
    const view = viewOf(r);
    const [parent, name] = split(path);
    const out = createEntry(r, view, model, { kind: kind === 'dir' ? 'mkdir' : 'create', a: 0, b: 0, c: size - 1 }, kind, { parent: dirIno(view, parent), name });
    if (!out) throw new Error(`${r.id}: cannot create ${path}`);
    return out;
  };
  const change = (path: string, c: InodeChange): MetaRecord[] => {
    const l = lookup(viewOf(r), path);
    const ino = l === null ? ROOT_INO : must(path).ino;
    const rec = commitLocal(r, changeInode(inodeOf(r, ino)!, c, stampOn(r), ts(r))) as InodeRecord;
    noteInode(model, rec, c);
    return [rec];
  };
  return {
    mkdir: (path: string) => create(path, 'dir'),
    create: (path: string, size = 10) => create(path, 'file', size),
    /** `mv from to` where `to` is the new path (its parent must exist, the name must be free) */
    mv: (from: string, to: string): MetaRecord[] => {
      const view = viewOf(r);
      const src = must(from);
      const [parent, name] = split(to);
      const p = dirIno(view, parent);
      if (src.dir && isUnder(view, p, src.ino)) throw new Error(`${r.id}: mv ${from} ${to} into its own subtree`);
      if (view.children.get(p)?.has(name)) throw new Error(`${r.id}: ${to} exists`);
      const moved = commitLocal(r, moveLink(linkRecord(r, src), p, name, stampOn(r))) as LinkRecord;
      noteMove(model, moved);
      return [moved];
    },
    rm: (path: string): MetaRecord[] => {
      const l = must(path);
      if (l.dir && viewOf(r).children.get(l.ino)?.size) throw new Error(`${r.id}: rmdir ${path}: not empty`);
      return [unlinkOne(r, model, l)];
    },
    write: (path: string, size: number): MetaRecord[] => change(path, { content: contentOf(r.id, r.seq + 1, size), mtime: ts(r) }),
    chmod: (path: string, mode: number): MetaRecord[] => change(path, { attr: { ...inodeOf(r, must(path).ino)!.attr.v, mode } }),
    change,
  };
}
