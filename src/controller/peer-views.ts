/**
 * Chunkserver liveness from peer controllers (registry-view.ts): at start, GET /internal/chunkservers
 * from every peer at once (a restarted or new controller can place writes before its own first
 * heartbeat arrives), then every GOSSIP_INTERVAL from GOSSIP_FANOUT random peers. Each call has
 * the request timeout and stops at shutdown; a failing peer is only logged (gossip tracks peers).
 */
import { requestJson } from '../common/http-client.js';
import type { Logger } from '../common/logger.js';
import { clusterSigner } from '../common/cluster-auth.js';
import type { Signer } from '../common/tokens.js';
import { pickRandom } from './gossip/protocol.js';
import type { Registry } from './registry.js';
import { parsePeerView } from './registry-view.js';

export interface PeerViewDeps {
  registry: Registry;
  /** base URLs of the peer controllers worth contacting now */
  peers: () => string[];
  signer: Signer;
  nodeId: string;
  logger: Logger;
  now: () => number;
  random: () => number;
  intervalMs: number;
  fanout: number;
  requestTimeoutMs: number;
}

export interface PeerViews {
  start(): void;
  stop(): void;
  /** asks `urls` (default: every peer) now; resolves when all answered or failed */
  pull(urls?: string[]): Promise<void>;
}

export function createPeerViews(d: PeerViewDeps): PeerViews {
  const log = d.logger.child({ component: 'peer-views' });
  const shutdown = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const inflight = new Set<string>();

  async function pullOne(url: string): Promise<void> {
    if (inflight.has(url) || shutdown.signal.aborted) return;
    inflight.add(url);
    const sentMs = d.now();
    try {
      const raw = await requestJson<unknown>(`${url}/internal/chunkservers`, {
        timeoutMs: d.requestTimeoutMs, signal: shutdown.signal,
        sign: clusterSigner(d.signer, 'controller', d.nodeId, d.now),
      });
      const changed = d.registry.merge(parsePeerView(raw), d.now() - sentMs);
      if (changed.length > 0) log.debug({ peer: url, changed }, 'Adopted chunkserver liveness from a peer');
    } catch (err) {
      if (!shutdown.signal.aborted) log.debug({ peer: url, err: (err as Error).message }, 'Could not get a peer\'s chunkserver view');
    } finally {
      inflight.delete(url);
    }
  }

  const views: PeerViews = {
    async pull(urls = d.peers()) {
      await Promise.all(urls.map(pullOne));
    },
    start() {
      void views.pull();
      timer = setInterval(() => void views.pull(pickRandom(d.peers(), d.fanout, d.random)), d.intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      shutdown.abort();
    },
  };
  return views;
}
