/**
 * Pure bookkeeping of what each controller has been told about this chunkserver's chunks: a
 * full inventory on the first heartbeat, every `fullIntervalMs`, after a failed heartbeat and
 * whenever a controller asks (needInventory); otherwise the changes (added/removed) since the
 * last heartbeat that controller acknowledged. The clock is passed in.
 */

/** Beyond this many pending changes a full inventory is cheaper to track. */
export const MAX_PENDING_CHANGES = 100_000;

interface PeerState {
  needFull: boolean;
  lastFullAtMs?: number;
  pendingAdded: Set<string>;
  pendingRemoved: Set<string>;
  /** what the heartbeat in flight carries, if any */
  inFlight?: { full: boolean; sentAtMs: number };
  acked: number;
}

export type InventoryPayload = { inventory: string[] } | { added: string[]; removed: string[] };

export class InventoryTracker {
  private readonly peers = new Map<string, PeerState>();

  constructor(private readonly fullIntervalMs: number) {}

  ensure(peer: string): void {
    if (!this.peers.has(peer)) {
      this.peers.set(peer, { needFull: true, pendingAdded: new Set(), pendingRemoved: new Set(), acked: 0 });
    }
  }

  forget(peer: string): void {
    this.peers.delete(peer);
  }

  /** Heartbeats this peer acknowledged so far. */
  acked(peer: string): number {
    return this.peers.get(peer)?.acked ?? 0;
  }

  record(type: 'added' | 'removed', id: string): void {
    for (const p of this.peers.values()) {
      if (p.needFull) continue;
      if (type === 'added') {
        p.pendingRemoved.delete(id);
        p.pendingAdded.add(id);
      } else {
        p.pendingAdded.delete(id);
        p.pendingRemoved.add(id);
      }
      if (p.pendingAdded.size + p.pendingRemoved.size > MAX_PENDING_CHANGES) this.resetToFull(p);
    }
  }

  /** What the next heartbeat to `peer` carries; `list` is the current inventory. */
  next(peer: string, nowMs: number, list: () => string[]): InventoryPayload {
    this.ensure(peer);
    const p = this.peers.get(peer)!;
    const full = p.needFull || p.lastFullAtMs === undefined || nowMs - p.lastFullAtMs >= this.fullIntervalMs;
    p.inFlight = { full, sentAtMs: nowMs };
    if (full) {
      p.needFull = false;
      p.pendingAdded.clear();
      p.pendingRemoved.clear();
      return { inventory: list() };
    }
    const payload = { added: [...p.pendingAdded], removed: [...p.pendingRemoved] };
    p.pendingAdded.clear();
    p.pendingRemoved.clear();
    return payload;
  }

  ack(peer: string, needInventory: boolean): void {
    const p = this.peers.get(peer);
    if (!p) return;
    if (p.inFlight?.full) p.lastFullAtMs = p.inFlight.sentAtMs;
    p.inFlight = undefined;
    p.acked++;
    if (needInventory) this.resetToFull(p);
  }

  /** The heartbeat in flight was lost: the peer's view is unknown, so the next one is full. */
  fail(peer: string): void {
    const p = this.peers.get(peer);
    if (!p) return;
    p.inFlight = undefined;
    this.resetToFull(p);
  }

  private resetToFull(p: PeerState): void {
    p.needFull = true;
    p.pendingAdded.clear();
    p.pendingRemoved.clear();
  }
}
