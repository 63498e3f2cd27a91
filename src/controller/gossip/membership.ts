/**
 * Who the other controllers are: seeds from CONTROLLER_PEERS, every A record of CONTROLLER_DNS
 * (a name that does not resolve is logged and retried, never fatal), and whatever gossip and
 * heartbeats mention. Logs `Discovered N peers` when the view grows. Tracks when each peer last
 * answered, so rounds skip peers that are down (with a bounded backoff) and status can show them.
 * Seeds and DNS are the operator's word and become peers at once; a URL only gossip mentions is a
 * candidate until it answered a whoami challenge from that URL (peer-proof.ts): only then is it
 * contacted with a cluster credential, listed in status or passed on. Bounded: at most maxPeers
 * peers and MAX_CANDIDATES candidates; a learned peer dead for longer than forgetAfterMs is forgotten.
 * A peer that answers under an id already known at another URL that no longer answers has moved
 * (a restart on a new address): the old row goes (when the new one answers or the old one fails,
 * whichever is later), and the old URL is not taken back from gossip for MOVED_URL_TTL_MS.
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
  /** ms; when it became a peer */
  addedAtMs?: number;
}

/** A URL gossip mentioned, not yet proven to be a controller of this cluster. */
export interface Candidate {
  url: string;
  source: string;
  attempts: number;
  nextAttemptMs: number;
}

/** Unproven URLs held at most; more are dropped (and logged once per burst). */
export const MAX_CANDIDATES = 64;
export const DEFAULT_MAX_PEERS = 256;
/** Failed challenges before a candidate is dropped (gossip may bring it back). */
export const MAX_CHALLENGE_ATTEMPTS = 8;

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
  /** most peers held (default DEFAULT_MAX_PEERS) */
  maxPeers?: number;
  /** PEER_FORGET_AFTER: a peer not seen for this long is dropped (seeds never are); undefined = never */
  forgetAfterMs?: number;
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
  private readonly candidates = new Map<string, Candidate>();
  /** URLs that proved to be another URL's controller (checked, not worth asking again) */
  private readonly aliases = new Set<string>();
  private readonly seedUrls = new Set<string>();
  private dnsFailedLogged = false;
  private droppedLogged = false;

  constructor(private readonly o: MembershipOptions) {
    this.selfUrls.add(o.self.url);
    for (const s of o.seeds) {
      const u = toControllerUrl(s);
      if (u) this.seedUrls.add(u);
    }
    this.add(o.seeds.map((s) => toControllerUrl(s)).filter((u): u is string => u !== null), 'seed');
  }

  get self(): PeerRef {
    return this.o.self;
  }

  /**
   * Adds URLs learned from `source`: seeds and DNS as peers (logs `Discovered N peers` when new
   * ones appear), anything else as a candidate to be proven first.
   */
  add(urls: Iterable<string>, source: string): void {
    const trusted = source === 'seed' || source === 'dns';
    let added = 0;
    let dropped = 0;
    for (const raw of urls) {
      const url = toControllerUrl(raw);
      if (!url || this.selfUrls.has(url) || this.peers.has(url) || this.candidates.has(url) || (!trusted && this.aliases.has(url)) || this.recentlyMoved(url)) continue;
      if (!trusted) {
        if (this.candidates.size >= MAX_CANDIDATES) dropped++;
        else this.candidates.set(url, { url, source, attempts: 0, nextAttemptMs: 0 });
        continue;
      }
      if (this.addPeer(url)) added++;
      else dropped++;
    }
    if (added > 0) this.o.logger.info({ added, total: this.peers.size, source }, `Discovered ${this.peers.size} peers`);
    if (dropped > 0 && !this.droppedLogged) {
      this.o.logger.warn({ dropped, source, peers: this.peers.size, candidates: this.candidates.size }, 'Membership is full: ignoring further controller URLs');
      this.droppedLogged = true;
    } else if (dropped === 0 && added > 0) this.droppedLogged = false;
  }

  private addPeer(url: string): boolean {
    if (this.peers.size >= (this.o.maxPeers ?? DEFAULT_MAX_PEERS)) return false;
    this.peers.set(url, { url, lastSeenMs: 0, lastAttemptMs: 0, failures: 0, addedAtMs: this.o.now() });
    return true;
  }

  /** Candidates whose next challenge is due (at most `limit`). */
  candidatesDue(limit = 8): string[] {
    const now = this.o.now();
    return [...this.candidates.values()].filter((c) => c.nextAttemptMs <= now).slice(0, limit).map((c) => c.url);
  }

  /** The candidate at `url` answered a challenge: `proof` is who it proved to be (or null: nothing). */
  challenged(url: string, proof: { id: string; url: string } | null): void {
    const c = this.candidates.get(url);
    if (!c) return;
    if (proof && proof.id === this.o.self.id) {
      this.candidates.delete(url);
      this.selfUrls.add(url);
      return;
    }
    if (proof && proof.url === url) {
      this.candidates.delete(url);
      if (!this.addPeer(url)) return;
      this.o.logger.info({ peer: proof.id, url, source: c.source, total: this.peers.size }, `Discovered ${this.peers.size} peers`);
      this.seen(url, proof.id);
      return;
    }
    if (proof) {
      // a controller of this cluster, but at another URL: ask there (a relay proves nothing about this one)
      this.candidates.delete(url);
      if (this.aliases.size >= 1024) this.aliases.clear();
      this.aliases.add(url);
      this.add([proof.url], c.source);
      return;
    }
    c.attempts++;
    if (c.attempts >= MAX_CHALLENGE_ATTEMPTS) {
      this.candidates.delete(url);
      this.o.logger.info({ url, source: c.source }, 'Dropped a controller URL that never proved itself');
      return;
    }
    c.nextAttemptMs = this.o.now() + Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** c.attempts);
  }

  /** Forgets learned peers not seen for longer than forgetAfterMs (seeds stay: they are configuration). */
  private forgetDead(): void {
    const after = this.o.forgetAfterMs;
    if (after === undefined) return;
    const now = this.o.now();
    for (const p of this.peers.values()) {
      if (this.seedUrls.has(p.url)) continue;
      const last = Math.max(p.lastSeenMs, p.addedAtMs ?? 0);
      if (now - last > after) {
        this.peers.delete(p.url);
        this.o.logger.info({ peer: p.id, url: p.url, lastSeenMs: p.lastSeenMs }, 'Forgot a peer controller dead for longer than PEER_FORGET_AFTER');
      }
    }
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

  /**
   * The same controller known at another URL that no longer answers has moved to `url`: those
   * rows go. A row that still answers as that controller is another way to it (a proxy, a DNS
   * alias) and stays until it fails (`failed`).
   */
  private forgetOldRows(url: string, id: string): void {
    for (const other of this.peers.values()) {
      if (other.url === url || other.id !== id || this.answers(other)) continue;
      this.moved(other, url);
    }
  }

  private answers(p: PeerState): boolean {
    return p.failures === 0 && p.lastSeenMs > 0 && this.o.now() - p.lastSeenMs <= this.o.aliveWindowMs;
  }

  private moved(from: PeerState, to: string): void {
    this.peers.delete(from.url);
    this.movedFrom.set(from.url, this.o.now());
    this.o.logger.info({ peer: from.id, from: from.url, to }, 'Peer controller moved to a new address');
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
    // the same controller answering at another URL: this one is its old address
    const now = p.id === undefined ? undefined : [...this.peers.values()].find((o) => o !== p && o.id === p.id && this.answers(o));
    if (now) return this.moved(p, now.url);
    if (p.failures === 3) this.o.logger.warn({ peer: p.id, url }, 'Peer controller unreachable');
  }

  /** Peers worth contacting now: never-failing ones, and failing ones whose backoff has passed. */
  contactable(): PeerState[] {
    this.forgetDead();
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
