/**
 * Optional TLS for the daemons and their clients: TLS_CERT + TLS_KEY make a daemon serve HTTPS,
 * TLS_CA is the CA bundle every outgoing call verifies HTTPS peers against. Reads the PEM files
 * once at start and reports a missing or half-configured pair as INVALID naming the variable.
 */
import { readFileSync } from 'node:fs';
import { RedCloudError } from './errors.js';
import { setTrustedCa } from './http-client.js';

export interface ServerTls {
  key: Buffer;
  cert: Buffer;
}

function readPem(variable: string, path: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new RedCloudError('INVALID', `${variable}: cannot read ${path}: ${(err as Error).message}`);
  }
  if (!pem.toString('latin1').includes('-----BEGIN ')) throw new RedCloudError('INVALID', `${variable}: ${path} is not a PEM file`);
  return pem;
}

/** The key pair to serve HTTPS with, or undefined for plain HTTP. */
export function loadServerTls(c: { tlsCert: string; tlsKey: string }): ServerTls | undefined {
  if (!c.tlsCert && !c.tlsKey) return undefined;
  if (!c.tlsCert || !c.tlsKey) throw new RedCloudError('INVALID', 'TLS_CERT and TLS_KEY must be set together');
  return { cert: readPem('TLS_CERT', c.tlsCert), key: readPem('TLS_KEY', c.tlsKey) };
}

/** Makes every outgoing call (src/common/http-client.ts) verify HTTPS peers against TLS_CA, if set. */
export function applyClientTls(c: { tlsCa: string }): void {
  if (c.tlsCa) setTrustedCa(readPem('TLS_CA', c.tlsCa));
}

/** 'https' when the daemon serves TLS. */
export function schemeOf(tls: ServerTls | undefined): 'http' | 'https' {
  return tls ? 'https' : 'http';
}

/**
 * The rule for peers named without a scheme (CONTROLLER_PEERS host:port, CONTROLLER_DNS records):
 * they get the local daemon's scheme, so a TLS cluster reaches them over https. A full URL
 * (http://… or https://…) is kept as given.
 */
export function withScheme(peer: string, scheme: 'http' | 'https'): string {
  const s = peer.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `${scheme}://${s}`;
}
