/**
 * The reference metadata store, in memory: records in a Map, the update log (per (origin, key)
 * only the latest row), digest floors, chunk locations — and the namespace view computed from
 * scratch by src/meta/tree.ts over the owner's link records, cached per owner and dropped on any
 * link write of that owner. Simple and obviously correct rather than fast: it is the oracle the
 * SQLite store (store.ts) is property-tested against (test/unit/controller/store-property.test.ts),
 * and the store of simulations. Transactions nest and roll back through an undo journal.
 *
 * The view shows every *placed* link (lookup/children answer for unreachable directories too, as
 * the interface says); which of them are reachable comes from materializeTree itself, and the
 * store checks on every recompute that its placements and names agree with materializeTree's.
 */
import { RedCloudError } from '../common/errors.js';
import { receive, tick, ZERO_HLC } from '../meta/hlc.js';
import { inoNumber, linkKey, parseKey, ROOT_INO } from '../meta/keys.js';
import type { WriteStamp } from '../meta/ops.js';
import { deathOf } from '../meta/ops.js';
import { decideRemote } from '../meta/replica.js';
import { tagNames } from '../meta/tags.js';
import { trashMoveOf } from '../meta/trash.js';
import {
  dirLinksByIno, fileLinkPlacement, materializeTree, replayDirs, resolveNames, reviveDirs, type Placement, type VisibleLink,
} from '../meta/tree.js';
import type { Digest, Hlc, InodeRecord, LinkRecord, MetaRecord, NodeId, Update } from '../meta/types.js';
import type { TombstoneCandidate } from './gossip/tombstones.js';
import { bucketOf } from './gossip/protocol.js';
import { bucketHashes } from './gossip/bucket-hashes.js';
import type { DirEntry, ListedEntry, MetadataStore, RemoteApplyResult, TrashCandidate } from './metadata-store.js';
import { chunksOf, collectableInode, compareBytes, compareEntries, ownerOfKey, unchanged, unlinkedAt } from './store-rules.js';
import { inodeUsage, type Usage } from './usage-counters.js';
import { TRASH_INO } from '../meta/trash.js';

export interface MemoryStoreOptions {
  nodeId: NodeId;
  /** wall clock, ms */
  now: () => number;
}

// ---- undo journal (nested transactions) ----

interface Journal {
  /** records how to undo a mutation about to happen (only inside a transaction) */
  undo(fn: () => void): void;
  run<T>(fn: () => T, onRollback: () => void): T;
}

function journal(): Journal {
  const undos: (() => void)[] = [];
  let depth = 0;
  return {
    undo(fn) {
      if (depth > 0) undos.push(fn);
    },
    run(fn, onRollback) {
      const mark = undos.length;
      depth += 1;
      try {
        const out = fn();
        depth -= 1;
        if (depth === 0) undos.length = 0;
        return out;
      } catch (err) {
        depth -= 1;
        while (undos.length > mark) undos.pop()!();
        onRollback();
        throw err;
      }
    },
  };
}

function mapSet<K, V>(j: Journal, map: Map<K, V>, key: K, value: V | undefined): void {
  const had = map.has(key);
  const old = map.get(key);
  j.undo(() => (had ? map.set(key, old as V) : map.delete(key)));
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

// ---- the namespace view of one owner ----

interface PlacedLink extends DirEntry {
  at: Hlc;
}

interface View {
  byParent: Map<string, PlacedLink[]>;
  byIno: Map<string, PlacedLink[]>;
  /** reachable links (materializeTree) */
  visible: Map<string, VisibleLink>;
  /** the reachable directory link of each reachable directory inode */
  visibleDir: Map<string, VisibleLink>;
}

/** Every placed link of `links` with the name it shows: tree.ts steps 1–4 without the reachability cut. */
function placedLinks(links: readonly LinkRecord[]): PlacedLink[] {
  const dirs = dirLinksByIno(links);
  const replay = replayDirs(dirs);
  const files = links.filter((l) => !l.dir).map((l) => ({ l, p: fileLinkPlacement(l) }));
  const { placed } = reviveDirs(dirs, replay, files.flatMap(({ p }) => (p ? [p.parent] : [])));
  const out: { l: LinkRecord; p: Placement }[] = [];
  for (const l of dirs.values()) {
    const p = placed.get(l.id);
    if (p) out.push({ l: l as LinkRecord, p });
  }
  for (const { l, p } of files) if (p) out.push({ l, p });
  const groups = new Map<string, { l: LinkRecord; p: Placement }[]>();
  for (const x of out) {
    const k = `${x.p.parent}\0${x.p.name}`;
    groups.set(k, [...(groups.get(k) ?? []), x]);
  }
  const namesIn = new Map<string, Set<string>>();
  for (const { p } of out) namesIn.set(p.parent, (namesIn.get(p.parent) ?? new Set()).add(p.name));
  const result: PlacedLink[] = [];
  for (const g of groups.values()) {
    const names = resolveNames(g.map(({ l, p }) => ({ id: l.id, name: p.name, at: p.at })), namesIn.get(g[0]!.p.parent));
    for (const { l, p } of g) result.push({ linkId: l.id, parent: p.parent, name: names.get(l.id)!, ino: l.ino, dir: l.dir, at: p.at });
  }
  return result;
}

function buildView(links: readonly LinkRecord[]): View {
  const placed = placedLinks(links);
  const { visible } = materializeTree(links);
  const byId = new Map(placed.map((p) => [p.linkId, p]));
  for (const v of visible.values()) {
    const p = byId.get(v.id);
    if (!p || p.parent !== v.parent || p.name !== v.name || p.ino !== v.ino) {
      throw new RedCloudError('INTERNAL', `memory store view disagrees with materializeTree for link ${v.id}`);
    }
  }
  const byParent = new Map<string, PlacedLink[]>();
  const byIno = new Map<string, PlacedLink[]>();
  for (const p of placed) {
    byParent.set(p.parent, [...(byParent.get(p.parent) ?? []), p]);
    byIno.set(p.ino, [...(byIno.get(p.ino) ?? []), p]);
  }
  for (const list of byParent.values()) list.sort(compareEntries);
  const visibleDir = new Map<string, VisibleLink>();
  for (const v of visible.values()) if (v.dir) visibleDir.set(v.ino, v);
  return { byParent, byIno, visible, visibleDir };
}

const entryOf = (p: PlacedLink): DirEntry => ({ linkId: p.linkId, parent: p.parent, name: p.name, ino: p.ino, dir: p.dir });

// ---- the store ----

interface MemoryState {
  records: Map<string, MetaRecord>;
  /** `${origin}\0${key}` → the latest update of that origin for that key */
  log: Map<string, Update>;
  floors: Map<string, number>;
  locations: Map<string, Set<string>>;
  servers: Map<string, { id: string; url: string; lastHeartbeatMs: number }>;
  views: Map<string, View>;
  /** link key → the link's trash move expiry, for every link whose latest move is into the trash */
  trash: Map<string, TrashCandidate>;
}

export function openMemoryStore(opts: MemoryStoreOptions): MetadataStore {
  const st: MemoryState = { records: new Map(), log: new Map(), floors: new Map(), locations: new Map(), servers: new Map(), views: new Map(), trash: new Map() };
  const j = journal();
  let seq = 0;
  let hlc: Hlc = { ...ZERO_HLC, node: opts.nodeId };
  const tx = <T>(fn: () => T): T => j.run(fn, () => st.views.clear());

  function viewOf(owner: string): View {
    let v = st.views.get(owner);
    if (!v) {
      const links: LinkRecord[] = [];
      for (const r of st.records.values()) if (r.type === 'link' && r.owner === owner) links.push(r);
      v = buildView(links);
      st.views.set(owner, v);
    }
    return v;
  }

  function dropLogRows(key: string): void {
    for (const [k, u] of [...st.log]) {
      if (u.record.key !== key) continue;
      mapSet(j, st.floors, u.origin, Math.max(st.floors.get(u.origin) ?? 0, u.seq));
      mapSet(j, st.log, k, undefined);
    }
  }

  /** Stores a version; a record that turns dead loses its update-log rows (floors keep the digest). */
  function putRecord(r: MetaRecord): void {
    if ((r.type as string) === 'entry') throw new RedCloudError('INVALID', 'legacy entry records are converted on open, not stored');
    const prev = st.records.get(r.key);
    if (prev?.type === 'dead' && r.type !== 'dead') throw new RedCloudError('INTERNAL', `write to collected record ${r.key}`);
    mapSet(j, st.records, r.key, r);
    const trashed = r.type === 'link' ? trashMoveOf(r) : undefined;
    if (trashed) mapSet(j, st.trash, r.key, { owner: (r as LinkRecord).owner, linkId: (r as LinkRecord).id, expiresMs: trashed.trash.expiresMs });
    else if (st.trash.has(r.key)) mapSet(j, st.trash, r.key, undefined);
    if (r.type === 'dead' && prev?.type !== 'dead') dropLogRows(r.key);
    if (r.type === 'link' || (r.type === 'dead' && parseKey(r.key).type === 'link')) st.views.delete(ownerOfKey(r.key)!);
  }

  function putLog(origin: string, logSeq: number, record: MetaRecord): void {
    if (record.type === 'dead') return; // certificates spread by anti-entropy, never by the log
    const k = `${origin}\0${record.key}`;
    const held = st.log.get(k);
    if (held && held.seq >= logSeq) return;
    mapSet(j, st.log, k, { origin, seq: logSeq, record });
  }

  function observe(r: MetaRecord): void {
    hlc = receive(hlc, r.hlc, opts.now());
    seq = Math.max(seq, r.vv[opts.nodeId] ?? 0); // our own writes coming back after a lost database
  }

  function arrive(incoming: MetaRecord, logged?: Update): RemoteApplyResult {
    const current = st.records.get(incoming.key);
    observe(incoming);
    if (logged) {
      if (logged.origin === opts.nodeId && logged.seq > seq) seq = logged.seq;
      const held = st.log.get(`${logged.origin}\0${incoming.key}`);
      if (held && held.seq >= logged.seq && current) return unchanged(current, incoming);
    }
    const d = decideRemote(current, incoming);
    if (d.absorbed) return unchanged(current, incoming);
    if (logged) putLog(logged.origin, logged.seq, incoming); // the update as its origin produced it
    if (d.changed) putRecord(d.record);
    return { changed: d.changed, conflict: d.conflict, before: current, after: d.record };
  }

  const viewApi = viewMethods(st, viewOf);
  const chunkApi = chunkMethods(st, j);
  return {
    nodeId: opts.nodeId,
    nextStamp(): WriteStamp {
      hlc = tick(hlc, opts.now(), opts.nodeId);
      seq += 1;
      return { hlc, node: opts.nodeId, seq };
    },
    noteOwnSeq(peerSeq) {
      if (Number.isSafeInteger(peerSeq) && peerSeq > seq) seq = peerSeq;
    },
    applyLocal: (record, writeSeq) => tx(() => {
      putRecord(record);
      putLog(opts.nodeId, writeSeq, record);
      if (writeSeq > seq) seq = writeSeq;
    }),
    applyLocalBatch: (writes) => tx(() => {
      for (const { record, seq: writeSeq } of writes) {
        putRecord(record);
        putLog(opts.nodeId, writeSeq, record);
        if (writeSeq > seq) seq = writeSeq;
      }
    }),
    applyRemote: (u) => tx(() => arrive(u.record, u)),
    mergeRecord: (r) => tx(() => arrive(r)),
    fingerprints: () => sortedRecords(st).map((r) => ({ key: r.key, type: r.type, vv: r.vv, hlc: r.hlc })),
    bucketHashes: () => bucketHashes(sortedRecords(st)),
    recordsInBuckets: (buckets) => sortedRecords(st).filter((r) => buckets.has(bucketOf(r.key))),
    getRecord: (key) => st.records.get(key),
    digest() {
      const out: Digest = Object.fromEntries(st.floors);
      for (const u of st.log.values()) out[u.origin] = Math.max(out[u.origin] ?? 0, u.seq);
      return out;
    },
    updatesSince(digest, limit, maxBytes = Number.POSITIVE_INFINITY) {
      const rows = [...st.log.values()].filter((u) => u.seq > (digest[u.origin] ?? 0));
      rows.sort((a, b) => compareBytes(a.origin, b.origin) || a.seq - b.seq);
      const out: Update[] = [];
      let bytes = 0;
      for (const u of rows.slice(0, Math.max(0, limit))) {
        out.push(u);
        bytes += JSON.stringify(u.record).length + 64;
        if (bytes > maxBytes) break;
      }
      return out;
    },
    transaction: tx,
    ...viewApi,
    ...chunkApi,
    tombstones: (deletedBeforeMs, limit) => tombstoneCandidates(st, deletedBeforeMs).slice(0, Math.max(0, limit)),
    collectTombstones: (keys) => tx(() => {
      let n = 0;
      for (const key of keys) {
        const r = st.records.get(key);
        if (!r || !stillCollectable(st, r)) continue;
        putRecord(deathOf(r));
        n += 1;
      }
      return n;
    }),
    durable: () => Promise.resolve(),
    close() {},
  };
}

function sortedRecords(st: MemoryState): MetaRecord[] {
  return [...st.records.values()].sort((a, b) => compareBytes(a.key, b.key));
}

function viewMethods(st: MemoryState, viewOf: (owner: string) => View) {
  const inodesOf = (owner: string): InodeRecord[] => {
    const out: InodeRecord[] = [];
    for (const r of st.records.values()) if (r.type === 'inode' && r.owner === owner) out.push(r);
    return out.sort((a, b) => compareBytes(a.key, b.key));
  };
  const pathOfDir = (v: View, ino: string): string | undefined => {
    if (ino === ROOT_INO) return '';
    const l = v.visibleDir.get(ino);
    if (!l) return undefined;
    const above = pathOfDir(v, l.parent);
    return above === undefined ? undefined : `${above}/${l.name}`;
  };
  return {
    getInode(owner: string, ino: string): InodeRecord | undefined {
      const r = st.records.get(`i\0${owner}\0${ino}`);
      return r?.type === 'inode' ? r : undefined;
    },
    getLink(owner: string, linkId: string): LinkRecord | undefined {
      const r = st.records.get(`l\0${owner}\0${linkId}`);
      return r?.type === 'link' ? r : undefined;
    },
    lookup(owner: string, parent: string, name: string): DirEntry | undefined {
      const hit = viewOf(owner).byParent.get(parent)?.find((p) => p.name === name);
      return hit ? entryOf(hit) : undefined;
    },
    children: (owner: string, parent: string): DirEntry[] => (viewOf(owner).byParent.get(parent) ?? []).map(entryOf),
    listing(owner: string, parent: string): ListedEntry[] {
      const out: ListedEntry[] = [];
      for (const p of viewOf(owner).byParent.get(parent) ?? []) {
        const inode = st.records.get(`i\0${owner}\0${p.ino}`);
        if (inode?.type === 'inode') out.push({ entry: entryOf(p), inode, linkRows: (viewOf(owner).byIno.get(p.ino) ?? []).length });
      }
      return out;
    },
    hasChildren: (owner: string, parent: string): boolean => (viewOf(owner).byParent.get(parent)?.length ?? 0) > 0,
    linksOf(owner: string, ino: string): DirEntry[] {
      const v = viewOf(owner);
      return (v.byIno.get(ino) ?? []).filter((p) => v.visible.has(p.linkId)).map(entryOf).sort((a, b) => compareBytes(a.linkId, b.linkId));
    },
    subdirCount: (owner: string, ino: string): number => (viewOf(owner).byParent.get(ino) ?? []).filter((p) => p.dir).length,
    pathOf(owner: string, entry: DirEntry): string | undefined {
      const above = pathOfDir(viewOf(owner), entry.parent);
      return above === undefined ? undefined : `${above}/${entry.name}`;
    },
    inoOfNumber: (owner: string, n: number): string | undefined => inodesOf(owner).find((r) => inoNumber(r.ino) === n)?.ino,
    findByTags(owner: string, tags: string[]): InodeRecord[] {
      const want = [...new Set(tags)];
      if (want.length === 0) return [];
      return inodesOf(owner).filter((r) => { const have = new Set(tagNames(r.tags)); return want.every((t) => have.has(t)); });
    },
    tagCounts(owner: string): { tag: string; count: number }[] {
      const counts = new Map<string, number>();
      for (const r of inodesOf(owner)) for (const t of tagNames(r.tags)) counts.set(t, (counts.get(t) ?? 0) + 1);
      return [...counts].sort(([a], [b]) => compareBytes(a, b)).map(([tag, count]) => ({ tag, count }));
    },
    trashOwners(): string[] {
      return [...new Set([...st.trash.values()].map((c) => c.owner))].sort(compareBytes);
    },
    trashExpiring(expiresByMs: number, limit: number, after?: TrashCandidate): TrashCandidate[] {
      const keyOf = (c: TrashCandidate): string => linkKey(c.owner, c.linkId);
      const order = (a: TrashCandidate, b: TrashCandidate): number => a.expiresMs - b.expiresMs || compareBytes(keyOf(a), keyOf(b));
      const placed = (c: TrashCandidate): boolean => (viewOf(c.owner).byParent.get(TRASH_INO) ?? []).some((p) => p.linkId === c.linkId);
      return [...st.trash.values()]
        .filter((c) => c.expiresMs <= expiresByMs && (!after || order(after, c) < 0) && placed(c))
        .sort(order).slice(0, limit).map((c) => ({ ...c }));
    },
    inodeCount: (owner: string): number => {
      const placed = viewOf(owner).byIno;
      return inodesOf(owner).filter((r) => r.ino === ROOT_INO || inTree(placed.get(r.ino))).length;
    },
    usage: (owner: string): Usage => {
      const placed = viewOf(owner).byIno;
      return inodesOf(owner).reduce((u, r) => {
        const c = inodeUsage(r, inTree(placed.get(r.ino)));
        return { files: u.files + c.files, bytes: u.bytes + c.bytes };
      }, { files: 0, bytes: 0 });
    },
  };
}

/** Placed by some link in a directory other than the trash (trashed entries are counted apart: trash.ts). */
const inTree = (placed: readonly PlacedLink[] | undefined): boolean => (placed ?? []).some((p) => p.parent !== TRASH_INO);

/** True while some link names the inode with a latest move into a directory (not an unlink). */
function named(st: MemoryState, r: InodeRecord): boolean {
  for (const l of st.records.values()) {
    if (l.type === 'link' && l.owner === r.owner && l.ino === r.ino && l.moves[l.moves.length - 1]?.parent != null) return true;
  }
  return false;
}

/** Chunks of the named inodes (of `owner`, or of everyone): what GC must keep. */
function chunkRefs(st: MemoryState, owner?: string): Set<string> {
  const refs = new Set<string>();
  for (const r of st.records.values()) {
    if (r.type !== 'inode' || (owner !== undefined && r.owner !== owner) || !named(st, r)) continue;
    for (const c of chunksOf(r)) refs.add(c);
  }
  return refs;
}

function chunkMethods(st: MemoryState, j: Journal) {
  const holders = (chunkId: string): string[] => [...(st.locations.get(chunkId) ?? [])].sort(compareBytes);
  const setHolders = (chunkId: string, servers: Set<string>): void => mapSet(j, st.locations, chunkId, servers.size > 0 ? servers : undefined);
  const add = (serverId: string, chunkIds: string[]): void => {
    for (const id of chunkIds) setHolders(id, new Set([...(st.locations.get(id) ?? []), serverId]));
  };
  const remove = (serverId: string, chunkIds: string[]): void => {
    for (const id of chunkIds) setHolders(id, new Set([...(st.locations.get(id) ?? [])].filter((s) => s !== serverId)));
  };
  const referenced = (): string[] => [...chunkRefs(st)].sort(compareBytes);
  return {
    replaceLocations(serverId: string, chunkIds: string[]): void {
      remove(serverId, [...st.locations.keys()]);
      add(serverId, chunkIds);
    },
    saveChunkserver: (id: string, url: string, lastHeartbeatMs: number): void => mapSet(j, st.servers, id, { id, url, lastHeartbeatMs }),
    knownChunkservers: () => [...st.servers.values()].sort((a, b) => compareBytes(a.id, b.id)).map((s) => ({ ...s })),
    addLocations: add,
    removeLocations: remove,
    locationsOf: holders,
    referencedChunkCount: (): number => chunkRefs(st).size,
    underReplicatedCount(want: number, liveServers: string[]): number {
      const live = new Set(liveServers);
      return referenced().filter((c) => holders(c).filter((s) => live.has(s)).length < want).length;
    },
    referencedChunkLocations: () => referenced().map((chunkId) => ({ chunkId, locations: holders(chunkId) })),
    unreferencedChunkLocations() {
      const refs = chunkRefs(st);
      return [...st.locations.keys()].filter((c) => !refs.has(c)).sort(compareBytes).map((chunkId) => ({ chunkId, locations: holders(chunkId) }));
    },
    isChunkReferenced: (chunkId: string): boolean => chunkRefs(st).has(chunkId),
    isChunkOwnedBy: (chunkId: string, owner: string): boolean => chunkRefs(st, owner).has(chunkId),
  };
}

/** True while no link record (of any placement) names the inode. */
function unnamed(st: MemoryState, r: InodeRecord): boolean {
  for (const l of st.records.values()) if (l.type === 'link' && l.owner === r.owner && l.ino === r.ino) return false;
  return true;
}

function stillCollectable(st: MemoryState, r: MetaRecord): boolean {
  if (r.type === 'link') return unlinkedAt(r) !== undefined;
  if (r.type === 'inode') return collectableInode(r) && unnamed(st, r);
  return false;
}

function tombstoneCandidates(st: MemoryState, deletedBeforeMs: number): TombstoneCandidate[] {
  const out: TombstoneCandidate[] = [];
  for (const r of sortedRecords(st)) {
    let at: number | undefined;
    if (r.type === 'link') at = unlinkedAt(r)?.wallMs;
    else if (r.type === 'inode' && stillCollectable(st, r)) at = r.hlc.wallMs;
    if (at === undefined || at > deletedBeforeMs) continue;
    const writes: Record<string, number> = {};
    for (const u of st.log.values()) if (u.record.key === r.key) writes[u.origin] = u.seq;
    out.push({ key: r.key, deletedAtMs: at, writes });
  }
  return out;
}
