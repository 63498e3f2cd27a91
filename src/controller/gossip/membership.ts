/**
 * Who the other controllers are: seeds from CONTROLLER_PEERS, every A record of CONTROLLER_DNS
 * (a name that does not resolve is logged and retried, never fatal), and whatever gossip and
 * heartbeats mention. Logs `Discovered N peers` when the view grows. Tracks when each peer last
 * answered, so rounds skip peers that are down (with a bounded backoff) and status can show them.
 * A peer that answers under an id already known at another URL has moved (a restart on a new
 * address): its old row goes, and the old URL is not taken back from gossip for MOVED_URL_TTL_MS.
 */
import { resolve4 } from 'node:dns/promises';
import type { ControllerStatus } from '../../common/api.js';
import type { Logger } from '../../common/logger.js';
import type { PeerRef } from './protocol.js';

export interface PeerState {
  url: string;
  id?: string;
  /** ms; 0 = never answered */
  lastSeenMs: number;
  lastAttemptMs: number;
  failures: number;
}

export interface MembershipOptions {
  self: PeerRef;
  seeds: string[];
  dnsName: string;
  dnsPort: number;
  /** scheme of DNS-found controllers: https when this node serves TLS (default http) */
  scheme?: 'http' | 'https';
  /** a peer is alive if it answered within this window */
  aliveWindowMs: number;
  /** longest wait before retrying a failing peer */
  maxBackoffMs: number;
  baseBackoffMs: number;
  logger: Logger;
  now: () => number;
  resolve?: (name: string) => Promise<string[]>;
}

/** `host:port` or a URL → `http://host:port` (no trailing slash). */
export function toControllerUrl(raw: string, defaultPort = 8000): string | null {
  const s = raw.trim();
  if (!s) return null;
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(s) ? s : `http://${s}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.hostname}:${u.port || defaultPort}`;
  } catch {
    return null;
  }
}

/** How long the old URL of a controller that moved is refused from gossip (peers still listing it). */
export const MOVED_URL_TTL_MS = 10 * 60_000;

export class Membership {
  private readonly peers = new Map<string, PeerState>();
  /** old URL of a moved controller → when it moved (ms) */
  private readonly movedFrom = new Map<string, number>();
  /** URLs that turned out to be this node (e.g. a seed list naming every controller). */
  private readonly selfUrls = new Set<string>();
  private dnsFailedLogged = false;

  constructor(private readonly o: MembershipOptions) {
    this.selfUrls.add(o.self.url);
    this.add(o.seeds.map((s) => toControllerUrl(s)).filter((u): u is string => u !== null), 'seed');
  }

  get self(): PeerRef {
    return this.o.self;
  }

  /** Adds URLs learned from `source`; logs `Discovered N peers` when new ones appear. */
  add(urls: Iterable<string>, source: string): void {
    let added = 0;
    for (const raw of urls) {
      const url = toControllerUrl(raw);
      if (!url || this.selfUrls.has(url) || this.peers.has(url) || this.recentlyMoved(url)) continue;
      this.peers.set(url, { url, lastSeenMs: 0, lastAttemptMs: 0, failures: 0 });
      added++;
    }
    if (added > 0) this.o.logger.info({ added, total: this.peers.size, source }, `Discovered ${this.peers.size} peers`);
  }

  /** A peer answered; if it is this node under another URL, forget it. */
  seen(url: string, id: string): void {
    if (id === this.o.self.id) {
      this.peers.delete(url);
      this.selfUrls.add(url);
      return;
    }
    const p = this.peers.get(url);
    if (!p) return;
    const wasDown = p.failures > 0 || p.lastSeenMs === 0;
    p.id = id;
    this.forgetOldRows(url, id);
    p.lastSeenMs = this.o.now();
    p.lastAttemptMs = p.lastSeenMs;
    p.failures = 0;
    if (wasDown) this.o.logger.info({ peer: id, url }, 'Peer controller is reachable');
  }

  /** The same controller known at another URL has moved to `url`: its old rows go. */
  private forgetOldRows(url: string, id: string): void {
    for (const other of this.peers.values()) {
      if (other.url === url || other.id !== id) continue;
      this.peers.delete(other.url);
      this.movedFrom.set(other.url, this.o.now());
      this.o.logger.info({ peer: id, from: other.url, to: url }, 'Peer controller moved to a new address');
    }
  }

  private recentlyMoved(url: string): boolean {
    const at = this.movedFrom.get(url);
    if (at === undefined) return false;
    if (this.o.now() - at <= MOVED_URL_TTL_MS) return true;
    this.movedFrom.delete(url);
    return false;
  }

  failed(url: string): void {
    const p = this.peers.get(url);
    if (!p) return;
    p.failures++;
    p.lastAttemptMs = this.o.now();
    if (p.failures === 3) this.o.logger.warn({ peer: p.id, url }, 'Peer controller unreachable');
  }

  /** Peers worth contacting now: never-failing ones, and failing ones whose backoff has passed. */
  contactable(): PeerState[] {
    const now = this.o.now();
    return [...this.peers.values()].filter((p) => {
      if (p.failures === 0) return true;
      const backoff = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** Math.min(p.failures, 16));
      return now - p.lastAttemptMs >= backoff;
    });
  }

  alive(): PeerState[] {
    const now = this.o.now();
    return [...this.peers.values()].filter((p) => p.lastSeenMs > 0 && now - p.lastSeenMs <= this.o.aliveWindowMs);
  }

  all(): PeerState[] {
    return [...this.peers.values()];
  }

  /** Every controller URL known, this one first. */
  urls(): string[] {
    return [this.o.self.url, ...this.peers.keys()];
  }

  status(): ControllerStatus[] {
    const now = this.o.now();
    return this.all().map((p) => ({
      id: p.id ?? '?',
      url: p.url,
      alive: p.lastSeenMs > 0 && now - p.lastSeenMs <= this.o.aliveWindowMs,
      lastSeenMs: p.lastSeenMs,
    }));
  }

  /** Adds every A record of CONTROLLER_DNS; failures are logged once and retried by the caller. */
  async refreshDns(): Promise<void> {
    if (!this.o.dnsName) return;
    try {
      const addrs = await (this.o.resolve ?? resolve4)(this.o.dnsName);
      this.dnsFailedLogged = false;
      this.add(addrs.map((a) => `${this.o.scheme ?? 'http'}://${a}:${this.o.dnsPort}`), 'dns');
    } catch (err) {
      if (!this.dnsFailedLogged) {
        this.o.logger.info({ name: this.o.dnsName, err: (err as Error).message }, 'Controller DNS name does not resolve; will retry');
        this.dnsFailedLogged = true;
      }
    }
  }
}
