/**
 * May this controller register a name now? Only if it knows the cluster's accounts: it must have
 * exchanged digests recently, and held everything the peer had, with a majority of the controllers
 * it knows (itself included). A partitioned minority, or a controller that just started and has not
 * caught up, refuses (UNAVAILABLE) instead of creating an account whose name may already be taken;
 * a lone controller of a one-controller cluster is its own majority. Registrations that still race
 * (on two controllers within one exchange) are settled by src/meta/accounts.ts. Pure.
 */

export interface PeerExchange {
  /** the peer's node id */
  id: string;
  /** when its digest was last learned, ms */
  atMs: number;
  /** updates it held that this controller lacked then */
  behindUpdates: number;
}

export interface GateInput {
  /** ids (or URLs, for peers never reached) of the other controllers this one knows */
  knownPeers: readonly string[];
  exchanges: readonly PeerExchange[];
  nowMs: number;
  /** an exchange older than this does not count */
  freshMs: number;
}

export type GateResult = { ok: true } | { ok: false; reason: string };

export function registrationGate(i: GateInput): GateResult {
  const known = new Set(i.knownPeers);
  const fresh = new Set(i.exchanges.filter((e) => known.has(e.id) && i.nowMs - e.atMs <= i.freshMs && e.behindUpdates === 0).map((e) => e.id));
  const total = known.size + 1;
  const need = Math.floor(total / 2) + 1;
  const have = fresh.size + 1;
  if (have >= need) return { ok: true };
  return { ok: false, reason: `this controller is in sync with ${have} of the ${total} controllers it knows (itself included) and needs a majority (${need})` };
}
