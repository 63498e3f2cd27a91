/**
 * Where every directory entry is: the pure tree of one account, from its link records.
 *
 * The safety argument (Kleppmann et al., "A highly-available move operation for replicated trees",
 * IEEE TPDS 2021). A link's location is a log of moves (merge.ts unions them), so every replica
 * that has the same links has the same moves. From them:
 * 1. **Directories** (replayDirs): all moves of all directory links, in HLC order (a total order
 *    every replica agrees on), applied one by one to a parent map; a move whose new parent is the
 *    directory itself or below it is skipped. Each step keeps the parent map a forest, so the
 *    result has no cycle and no directory has two parents (a directory has one link). Replaying
 *    the whole log is exactly the paper's undo/redo: a late move lands at its place in the order.
 * 2. **Files** (and other non-directories) cannot form cycles: the latest move of the link wins.
 * 3. **Nothing acknowledged becomes unreachable** (reviveDirs): a directory removed on one side
 *    while a file was created (or a directory moved) into it on the other is put back where it
 *    last was (under the root if that would now form a cycle), parents first if they are gone too.
 *    A directory in the trash (trash.ts; only ever moved there empty) counts as removed here: one
 *    that something was put into concurrently is put back where it was before the trash.
 * 4. **Names stay unique** (resolveNames): entries that ended up with one name in one directory
 *    keep it in the order they were placed there (earliest first, then by link id); the others
 *    show as `name~<8 hex of their link id's hash>` (rehashed with `#k` if an entry has that name).
 * Every step is a deterministic function of the set of links, so all replicas converge to the
 * same tree whatever order the records arrived in. Pure.
 */
import { createHash } from 'node:crypto';
import { compareHlc } from './hlc.js';
import { ROOT_INO } from './keys.js';
import { TRASH_INO } from './trash.js';
import type { Hlc, LinkRecord, Move } from './types.js';

export type TreeLink = Pick<LinkRecord, 'id' | 'ino' | 'dir' | 'moves'>;

export interface Placement {
  parent: string;
  name: string;
  /** stamp of the move that put it there */
  at: Hlc;
}

export interface DirReplay {
  /** directory link id → where the replay left it (null: out of the tree) */
  placed: Map<string, Placement | null>;
  /** directory link id → its last placement before it left the tree (revive puts it back there) */
  lastPlaced: Map<string, Placement>;
  /** moves skipped because they would have made a cycle */
  skipped: { link: string; move: Move }[];
}

/** The directory link of each directory inode: the one with the smallest id if a peer made two. */
export function dirLinksByIno(links: Iterable<TreeLink>): Map<string, TreeLink> {
  const out = new Map<string, TreeLink>();
  for (const l of links) {
    if (!l.dir) continue;
    const seen = out.get(l.ino);
    if (!seen || l.id < seen.id) out.set(l.ino, l);
  }
  return out;
}

/** True if making `parent` the parent of directory `ino` would put `ino` under itself. */
function formsCycle(ino: string, parent: string, parentOf: (ino: string) => string | null | undefined): boolean {
  const seen = new Set<string>();
  for (let a: string | null | undefined = parent; a !== undefined && a !== null && a !== ROOT_INO; a = parentOf(a)) {
    if (a === ino || seen.has(a)) return true;
    seen.add(a);
  }
  return false;
}

/** Step 1: replays every directory move in HLC order, skipping those that would form a cycle. */
export function replayDirs(dirByIno: ReadonlyMap<string, TreeLink>): DirReplay {
  const events: { link: TreeLink; move: Move }[] = [];
  for (const link of dirByIno.values()) for (const move of link.moves) events.push({ link, move });
  events.sort((x, y) => compareHlc(x.move.at, y.move.at) || (x.link.id < y.link.id ? -1 : x.link.id > y.link.id ? 1 : 0));
  const placed = new Map<string, Placement | null>();
  const lastPlaced = new Map<string, Placement>();
  const parentIno = new Map<string, string | null>();
  const skipped: DirReplay['skipped'] = [];
  for (const { link, move } of events) {
    if (move.parent === null) {
      placed.set(link.id, null);
      parentIno.set(link.ino, null);
      continue;
    }
    if (formsCycle(link.ino, move.parent, (i) => parentIno.get(i))) {
      skipped.push({ link: link.id, move });
      continue;
    }
    const p = { parent: move.parent, name: move.name, at: move.at };
    placed.set(link.id, p);
    if (move.parent !== TRASH_INO) lastPlaced.set(link.id, p); // revive puts a directory back where it was, never into the trash
    parentIno.set(link.ino, move.parent);
  }
  return { placed, lastPlaced, skipped };
}

/** The latest move of a non-directory link, as a placement (null: unlinked). */
export function fileLinkPlacement(link: TreeLink): Placement | null {
  const last = link.moves[link.moves.length - 1];
  return last && last.parent !== null ? { parent: last.parent, name: last.name, at: last.at } : null;
}

export interface RevivedDirs {
  /** directory link id → final placement (null: out of the tree) */
  placed: Map<string, Placement | null>;
  /** directory link ids put back because something live was inside */
  revived: string[];
}

/**
 * Step 3. `liveChildParents`: the parents of every non-directory link that is placed (the caller
 * knows them; only directories not reachable from the root matter).
 */
export function reviveDirs(dirByIno: ReadonlyMap<string, TreeLink>, replay: DirReplay, liveChildParents: Iterable<string>): RevivedDirs {
  const placed = new Map(replay.placed);
  const revived: string[] = [];
  const parentOf = (ino: string): string | null | undefined => {
    const l = dirByIno.get(ino);
    return l ? placed.get(l.id)?.parent ?? null : undefined;
  };
  const reachable = (ino: string): boolean => {
    const seen = new Set<string>();
    for (let a: string | null | undefined = ino; ; a = parentOf(a)) {
      if (a === ROOT_INO) return true;
      if (a === null || a === undefined || seen.has(a)) return false;
      seen.add(a);
    }
  };
  const pending = [...new Set(liveChildParents)];
  for (const l of dirByIno.values()) {
    const p = placed.get(l.id);
    if (p) pending.push(p.parent);
  }
  const queue = [...new Set(pending)].filter((ino) => !reachable(ino)).sort();
  while (queue.length > 0) {
    const ino = queue.shift()!;
    if (reachable(ino)) continue;
    const link = dirByIno.get(ino);
    if (!link) continue; // its directory has not arrived yet: the child stays hidden until it does
    const now = placed.get(link.id);
    if (now && now.parent !== TRASH_INO) {
      queue.push(now.parent); // placed, but under a directory that is gone: revive that one
      continue;
    }
    const last = replay.lastPlaced.get(link.id);
    if (!last) continue;
    const target = formsCycle(ino, last.parent, parentOf) ? { ...last, parent: ROOT_INO } : last;
    placed.set(link.id, target);
    revived.push(link.id);
    queue.push(target.parent);
  }
  return { placed, revived };
}

/** The name shown for a link that lost its name to another in the same directory. */
export function conflictName(name: string, linkId: string): string {
  const suffix = createHash('sha256').update(linkId).digest('hex').slice(0, 8);
  let base = name;
  // whole characters: never leave half a surrogate pair (it would not survive UTF-8)
  while (Buffer.byteLength(base) > 255 - 9) base = base.slice(0, /[\uDC00-\uDFFF]$/.test(base) ? -2 : -1);
  return `${base}~${suffix}`;
}

/**
 * Step 4, for the links placed under one name in one directory: id → the name each shows.
 * `taken`: the names of the directory's entries; a conflict name never takes one of them (a real
 * entry may be called what a loser would show), the next candidate is hashed from `<id>#<k>`.
 */
export function resolveNames(group: readonly { id: string; name: string; at: Hlc }[], taken: ReadonlySet<string> = new Set()): Map<string, string> {
  const sorted = [...group].sort((x, y) => compareHlc(x.at, y.at) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const used = new Set(taken);
  return new Map(sorted.map((l, i) => {
    if (i === 0) return [l.id, l.name];
    let shown = conflictName(l.name, l.id);
    for (let k = 1; used.has(shown); k++) shown = conflictName(l.name, `${l.id}#${k}`);
    used.add(shown);
    return [l.id, shown];
  }));
}

export interface VisibleLink {
  id: string;
  ino: string;
  dir: boolean;
  parent: string;
  /** the name shown (resolveNames) */
  name: string;
  at: Hlc;
}

export interface Tree {
  /** every link reachable from the root, by id */
  visible: Map<string, VisibleLink>;
  revived: string[];
  skipped: DirReplay['skipped'];
}

/** Steps 1–4 over every link of one account: the reference the stores' incremental views must equal. */
export function materializeTree(links: Iterable<TreeLink>): Tree {
  const all = [...links];
  const dirs = dirLinksByIno(all);
  const replay = replayDirs(dirs);
  const files = all.filter((l) => !l.dir).map((l) => ({ l, p: fileLinkPlacement(l) }));
  const { placed, revived } = reviveDirs(dirs, replay, files.flatMap(({ p }) => (p ? [p.parent] : [])));
  const dirParent = (ino: string): string | null | undefined => {
    const l = dirs.get(ino);
    return l ? placed.get(l.id)?.parent ?? null : undefined;
  };
  const reachableMemo = new Map<string, boolean>([[ROOT_INO, true]]);
  const reachable = (ino: string): boolean => {
    const chain: string[] = [];
    let a: string | null | undefined = ino;
    let result = false;
    for (;;) {
      if (a === null || a === undefined) break;
      const known = reachableMemo.get(a);
      if (known !== undefined) {
        result = known;
        break;
      }
      if (chain.includes(a)) break;
      chain.push(a);
      a = dirParent(a);
    }
    for (const c of chain) reachableMemo.set(c, result);
    return result;
  };
  const candidates: VisibleLink[] = [];
  for (const l of dirs.values()) {
    const p = placed.get(l.id);
    if (p && reachable(l.ino)) candidates.push({ id: l.id, ino: l.ino, dir: true, parent: p.parent, name: p.name, at: p.at });
  }
  for (const { l, p } of files) if (p && reachable(p.parent)) candidates.push({ id: l.id, ino: l.ino, dir: false, parent: p.parent, name: p.name, at: p.at });
  const groups = new Map<string, VisibleLink[]>();
  for (const c of candidates) {
    const k = `${c.parent}\0${c.name}`;
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  const namesIn = new Map<string, Set<string>>();
  for (const c of candidates) {
    const s = namesIn.get(c.parent);
    if (s) s.add(c.name);
    else namesIn.set(c.parent, new Set([c.name]));
  }
  const visible = new Map<string, VisibleLink>();
  for (const g of groups.values()) {
    const names = g.length > 1 ? resolveNames(g, namesIn.get(g[0]!.parent)) : undefined;
    for (const c of g) visible.set(c.id, { ...c, name: names?.get(c.id) ?? c.name });
  }
  return { visible, revived, skipped: replay.skipped };
}
