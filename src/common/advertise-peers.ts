/**
 * The address toward the peers, for daemons bound to a wildcard without ADVERTISE_ADDR: the
 * source address this machine's routing would use to reach the first configured controller
 * (CONTROLLER_PEERS hosts, else the A records of CONTROLLER_DNS), found with a connected UDP
 * socket (no packet is sent). In a container on several networks (a Docker Swarm overlay plus
 * docker_gwbridge, which carries the default route but no traffic between containers) that is
 * the address on the peers' network, where the default route's would not be. Bounded by
 * `timeoutMs`; undefined when nothing resolves or the answer is loopback.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isWildcard } from './advertise.js';

export interface PeerHints {
  advertiseAddr?: string;
  bindAddr: string;
  controllerPeers: readonly string[];
  controllerDns: string;
}

/** Host part of `host:port`, `[v6]:port` or a URL. */
export function hostOf(peer: string): string {
  const noScheme = peer.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const v6 = /^\[([^\]]+)\]/.exec(noScheme);
  if (v6) return v6[1]!;
  return noScheme.replace(/:\d+$/, '');
}

function sourceToward(ip: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4');
    const done = (addr?: string): void => {
      try { socket.close(); } catch { /* closed */ }
      resolve(addr);
    };
    socket.once('error', () => done());
    socket.connect(9, ip, () => {
      try {
        done(socket.address().address);
      } catch {
        done();
      }
    });
  });
}

/** The address to advertise toward the peers, or undefined (then the rule of advertise.ts decides). */
export async function addressTowardPeers(h: PeerHints, timeoutMs = 2000): Promise<string | undefined> {
  if (h.advertiseAddr?.trim() || !isWildcard(h.bindAddr)) return undefined;
  const hosts = [...h.controllerPeers.map(hostOf), ...(h.controllerDns ? [h.controllerDns] : [])].filter(Boolean);
  const attempt = async (): Promise<string | undefined> => {
    for (const host of hosts) {
      const ip = isIP(host) ? host : await lookup(host, { family: 4 }).then((r) => r.address, () => undefined);
      if (!ip || ip.startsWith('127.')) continue;
      const source = await sourceToward(ip);
      if (source && !source.startsWith('127.') && !isWildcard(source)) return source;
    }
    return undefined;
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), timeoutMs); });
  try {
    return await Promise.race([attempt(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
