/**
 * Where the controllers are: CONTROLLER_PEERS (host:port or URLs), every A record of
 * CONTROLLER_DNS on CONTROLLER_DNS_PORT, and the lists controllers answer with. Learned
 * controllers that stay unreachable are eventually forgotten (a live one will list them again).
 */
import { Resolver } from 'node:dns/promises';

/** Consecutive failures after which a controller that is neither configured nor in DNS is dropped. */
export const MAX_LEARNED_FAILURES = 20;

export type ControllerSource = 'config' | 'dns' | 'learned';

/** "host:port" → "http://host:port" (`scheme` when given); URLs lose their trailing slashes. */
export function controllerUrl(peer: string, scheme: 'http' | 'https' = 'http'): string {
  const s = peer.trim().replace(/\/+$/, '');
  return /^https?:\/\//i.test(s) ? s : `${scheme}://${s}`;
}

export function dnsResolver(timeoutMs: number): (name: string) => Promise<string[]> {
  const resolver = new Resolver({ timeout: Math.max(1, Math.min(timeoutMs, 5000)), tries: 2 });
  return (name) => resolver.resolve4(name);
}

interface Known {
  sources: Set<ControllerSource>;
  failures: number;
}

export class ControllerSet {
  private readonly known = new Map<string, Known>();

  add(url: string, source: ControllerSource): boolean {
    const u = controllerUrl(url);
    const k = this.known.get(u);
    if (k) {
      k.sources.add(source);
      return false;
    }
    this.known.set(u, { sources: new Set([source]), failures: 0 });
    return true;
  }

  /** Replaces the DNS-sourced set with `urls`; returns the newly added URLs. */
  setDns(urls: string[]): string[] {
    const fresh = new Set(urls.map((u) => controllerUrl(u)));
    for (const [u, k] of this.known) if (!fresh.has(u)) k.sources.delete('dns');
    return [...fresh].filter((u) => this.add(u, 'dns'));
  }

  succeeded(url: string): void {
    const k = this.known.get(url);
    if (k) k.failures = 0;
  }

  /** Counts a failure; returns true when the controller was dropped. */
  failed(url: string): boolean {
    const k = this.known.get(url);
    if (!k) return false;
    k.failures++;
    const pinned = k.sources.has('config') || k.sources.has('dns');
    if (!pinned && k.failures >= MAX_LEARNED_FAILURES) {
      this.known.delete(url);
      return true;
    }
    return false;
  }

  failures(url: string): number {
    return this.known.get(url)?.failures ?? 0;
  }

  urls(): string[] {
    return [...this.known.keys()];
  }
}
