/**
 * Controllers for the gossip unit tests: each node an in-memory store with its namespace, a
 * membership and a gossip service on a SimNetwork, all on one test clock. A test may wrap a node's transport (to record
 * what it sends, or to blackhole a peer) and add gossip options (a tombstone TTL).
 */
import { silentLogger } from '../../../src/common/logger.js';
import { Signer } from '../../../src/common/tokens.js';
import { Membership } from '../../../src/controller/gossip/membership.js';
import { createGossipService, type GossipOptions, type GossipService, type GossipTransport } from '../../../src/controller/gossip/service.js';
import type { MetadataStore } from '../../../src/controller/metadata-store.js';
import { openStore } from '../../../src/controller/store.js';
import { fsOps, type FsOps } from './fs-ops.js';
import type { SimNetwork } from './sim-network.js';

export interface SimNode {
  id: string;
  url: string;
  store: MetadataStore;
  gossip: GossipService;
  membership: Membership;
  /** file operations on this node's namespace (owner alice) */
  fs: FsOps;
}

export interface SimNodeOptions {
  clock: { now: number };
  /** wraps the node's network transport */
  transport?: (inner: GossipTransport, url: string) => GossipTransport;
  gossip?: Partial<GossipOptions>;
}

/** `http://sim-1:8000` … for `count` nodes. */
export function simUrls(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `http://sim-${i + 1}:8000`);
}

/** One controller `id` at `url` that knows `seeds`, registered on `net`. */
export function simNode(net: SimNetwork, id: string, url: string, seeds: string[], o: SimNodeOptions): SimNode {
  const now = () => o.clock.now;
  const logger = silentLogger();
  const store = openStore({ path: ':memory:', nodeId: id, now });
  const membership = new Membership({
    self: { id, url }, seeds, dnsName: '', dnsPort: 8000, aliveWindowMs: 10_000, maxBackoffMs: 4000, baseBackoffMs: 500, logger, now,
  });
  const inner = net.transport(url);
  const gossip = createGossipService({
    store, membership, signer: new Signer('test'), logger, now, random: net.random, transport: o.transport ? o.transport(inner, url) : inner,
    options: { gossipIntervalMs: 1000, fanout: 2, antiEntropyIntervalMs: 30_000, requestTimeoutMs: 1000, ...o.gossip },
  });
  net.register(url, gossip.handlers);
  return { id, url, store, gossip, membership, fs: fsOps(store, now) };
}

/** `count` controllers c1… that all know each other (and `extraSeeds`). */
export function simCluster(net: SimNetwork, count: number, o: SimNodeOptions & { extraSeeds?: string[] }): SimNode[] {
  const urls = simUrls(count);
  return urls.map((url, i) => simNode(net, `c${i + 1}`, url, [...urls, ...(o.extraSeeds ?? [])], o));
}
