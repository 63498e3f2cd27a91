/**
 * Repair planning (pure): from the referenced chunks and where they are, the chunkservers and
 * their health, the wanted replication factor and the live controllers, decide which copies to
 * make (replicate to the best-ranked servers lacking a chunk, from healthy holders) and which
 * surplus replicas to drop (only when every replica is on a healthy server whose inventory
 * has been confirmed, and more than wanted remain; the best-ranked ones stay). Each controller plans only its share of the chunks: the
 * chunks whose rendezvous hash over live controller ids ranks it first. Bounded per cycle.
 */
import type { ReplicationFactor } from '../../common/config.js';
import { rankServers, wantedReplicas, type PlacementCandidate } from '../placement.js';

export interface ChunkPlacement {
  chunkId: string;
  /** server ids that hold it, healthy or not (unknown ids count as not healthy) */
  locations: readonly string[];
}

export interface ReplicateTask {
  chunkId: string;
  target: string;
  /** healthy holders, best-ranked first */
  sources: string[];
}

export interface TrimTask {
  chunkId: string;
  server: string;
}

export interface RepairServer extends PlacementCandidate {
  /** false until the server's full inventory arrived: its listed chunks may be stale, so no trims */
  inventoryKnown?: boolean;
}

export interface RepairPlanInput {
  chunks: readonly ChunkPlacement[];
  servers: readonly RepairServer[];
  factor: ReplicationFactor;
  selfId: string;
  /** ids of the other live controllers */
  peerIds: readonly string[];
  /** at most this many replicate tasks, and as many trim tasks, per cycle */
  maxTasks: number;
}

export interface RepairPlan {
  replicate: ReplicateTask[];
  trim: TrimTask[];
  stats: {
    /** chunks in this controller's share */
    mine: number;
    underReplicated: number;
    overReplicated: number;
    /** under-replicated chunks with no healthy holder: nothing to copy from */
    noSource: number;
    /** tasks left for later cycles by the bound */
    deferred: number;
  };
}

/** The controller (among self and live peers) that handles a chunk: rendezvous over controller ids. */
export function ownerOf(chunkId: string, controllerIds: readonly string[]): string | undefined {
  return rankServers(chunkId, [...new Set(controllerIds)])[0];
}

/** Chunks of `chunkIds` this controller handles. */
export function myShare<T extends { chunkId: string }>(items: readonly T[], selfId: string, peerIds: readonly string[]): T[] {
  const ids = [selfId, ...peerIds];
  return items.filter((c) => ownerOf(c.chunkId, ids) === selfId);
}

interface ChunkView {
  chunkId: string;
  healthyHolders: string[];
  /** some holder is failed, unknown or not yet confirmed by its inventory: never trim then */
  anyDoubtful: boolean;
}

function viewOf(c: ChunkPlacement, healthy: ReadonlySet<string>, confirmed: ReadonlySet<string>): ChunkView {
  const uniq = [...new Set(c.locations)];
  const healthyHolders = uniq.filter((id) => healthy.has(id));
  return { chunkId: c.chunkId, healthyHolders, anyDoubtful: healthyHolders.length < uniq.length || uniq.some((id) => !confirmed.has(id)) };
}

export function planRepair(input: RepairPlanInput): RepairPlan {
  const healthy = new Set(input.servers.filter((s) => s.healthy).map((s) => s.id));
  const confirmed = new Set(input.servers.filter((s) => s.healthy && s.inventoryKnown !== false).map((s) => s.id));
  const eligible = input.servers.filter((s) => s.healthy && !s.full).map((s) => s.id);
  const wanted = wantedReplicas(input.factor, healthy.size);
  const mine = myShare(input.chunks, input.selfId, input.peerIds).map((c) => viewOf(c, healthy, confirmed));
  // Most endangered first (fewest healthy copies), then by id for determinism.
  mine.sort((a, b) => a.healthyHolders.length - b.healthyHolders.length || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0));
  const plan: RepairPlan = { replicate: [], trim: [], stats: { mine: mine.length, underReplicated: 0, overReplicated: 0, noSource: 0, deferred: 0 } };
  for (const c of mine) {
    if (c.healthyHolders.length < wanted) {
      plan.stats.underReplicated += 1;
      if (c.healthyHolders.length === 0) {
        plan.stats.noSource += 1;
        continue;
      }
      const holders = new Set(c.healthyHolders);
      const targets = rankServers(c.chunkId, eligible.filter((id) => !holders.has(id))).slice(0, wanted - c.healthyHolders.length);
      const sources = rankServers(c.chunkId, c.healthyHolders);
      for (const target of targets) {
        if (plan.replicate.length >= input.maxTasks) plan.stats.deferred += 1;
        else plan.replicate.push({ chunkId: c.chunkId, target, sources });
      }
    } else if (c.healthyHolders.length > wanted && !c.anyDoubtful && wanted > 0) {
      plan.stats.overReplicated += 1;
      const surplus = rankServers(c.chunkId, c.healthyHolders).slice(wanted);
      for (const server of surplus) {
        if (plan.trim.length >= input.maxTasks) plan.stats.deferred += 1;
        else plan.trim.push({ chunkId: c.chunkId, server });
      }
    }
  }
  return plan;
}
