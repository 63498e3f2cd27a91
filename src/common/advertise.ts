/**
 * The one rule for the address a daemon advertises to others (controllers, chunkservers):
 * ADVERTISE_ADDR, else BIND_ADDR unless it is a wildcard, else the address toward the configured
 * peers (advertise-peers.ts; the daemons' main sets it as ADVERTISE_ADDR before this runs), else
 * the IPv4 address of the interface of the default route (/proc/net/route), else the first
 * non-internal IPv4 address, and loopback only when there is nothing else. The choice is pure (route table and interfaces passed in);
 * `advertisedAddress` reads them from the machine.
 */
import { readFileSync } from 'node:fs';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

export type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

export function isWildcard(addr: string): boolean {
  const a = addr.trim().replace(/^\[(.*)\]$/, '$1');
  return a === '' || a === '0.0.0.0' || a === '::' || a === '::0' || a === '0:0:0:0:0:0:0:0';
}

/**
 * The interface of the default IPv4 route in the text of /proc/net/route: destination and mask
 * 0, the route up (flag 0x1), the lowest metric first; null when there is none.
 */
export function defaultRouteInterface(routeTable: string): string | null {
  let best: { iface: string; metric: number } | null = null;
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, , flags, , , metric, mask] = f as [string, string, string, string, string, string, string, string];
    if (dest !== '00000000' || mask !== '00000000' || (parseInt(flags, 16) & 0x1) === 0) continue;
    const m = Number(metric);
    if (!best || m < best.metric) best = { iface, metric: Number.isFinite(m) ? m : Number.MAX_SAFE_INTEGER };
  }
  return best?.iface ?? null;
}

const ipv4 = (infos: NetworkInterfaceInfo[] | undefined, internal: boolean): string | undefined =>
  infos?.find((a) => a.family === 'IPv4' && a.internal === internal)?.address;

export interface AdvertiseInputs {
  advertiseAddr?: string;
  bindAddr: string;
  /** text of /proc/net/route ('' when unreadable) */
  routeTable: string;
  interfaces: Interfaces;
}

/** The address to advertise (see the header for the order). */
export function chooseAdvertiseAddr(i: AdvertiseInputs): string {
  if (i.advertiseAddr && i.advertiseAddr.trim()) return i.advertiseAddr.trim();
  if (!isWildcard(i.bindAddr)) return i.bindAddr.trim();
  const iface = defaultRouteInterface(i.routeTable);
  const viaRoute = iface ? ipv4(i.interfaces[iface], false) : undefined;
  if (viaRoute) return viaRoute;
  for (const name of Object.keys(i.interfaces)) {
    const a = ipv4(i.interfaces[name], false);
    if (a) return a;
  }
  return '127.0.0.1';
}

/** This machine's choice for `config` (reads /proc/net/route and the interfaces). */
export function advertisedAddress(config: { advertiseAddr?: string; bindAddr: string }): string {
  if (config.advertiseAddr?.trim() || !isWildcard(config.bindAddr)) return chooseAdvertiseAddr({ ...config, routeTable: '', interfaces: {} });
  let routeTable = '';
  try {
    routeTable = readFileSync('/proc/net/route', 'utf8');
  } catch {
    /* not Linux: the interfaces decide */
  }
  return chooseAdvertiseAddr({ ...config, routeTable, interfaces: networkInterfaces() });
}

/** `addr` as the host part of a URL (IPv6 in brackets). */
export function urlHost(addr: string): string {
  return addr.includes(':') && !addr.startsWith('[') ? `[${addr}]` : addr;
}
