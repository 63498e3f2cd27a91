/**
 * When a daemon may start with the development CLUSTER_SECRET: the built-in default (or an unset
 * secret) is accepted only on a loopback BIND_ADDR (127.0.0.0/8, ::1, localhost: local clusters
 * and tests) or with REDCLOUD_ALLOW_DEV_SECRET=1, and then logged as a warning; anywhere else the
 * daemon refuses to start. A secret shorter than MIN_SECRET_CHARS (guessable offline from any
 * token a user holds) is refused as soon as BIND_ADDR or ADVERTISE_ADDR is not loopback, and only
 * warned about on loopback. Pure: returns the warnings to log, throws INVALID to refuse.
 */
import { isIP } from 'node:net';
import { DEV_CLUSTER_SECRET } from './config.js';
import { RedCloudError } from './errors.js';

export const MIN_SECRET_CHARS = 16;

export function isLoopbackAddress(addr: string): boolean {
  const a = addr.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  if (a.startsWith('::ffff:')) return isLoopbackAddress(a.slice(7));
  return isIP(a) === 4 && a.startsWith('127.');
}

export interface SecretFacts {
  clusterSecret: string;
  bindAddr: string;
  allowDevSecret: boolean;
  /** ADVERTISE_ADDR ('' or absent: BIND_ADDR's) */
  advertiseAddr?: string;
}

/** The first of BIND_ADDR and ADVERTISE_ADDR that is not a loopback address, named. */
function exposedAddress(f: SecretFacts): { name: string; addr: string } | undefined {
  if (!isLoopbackAddress(f.bindAddr)) return { name: 'BIND_ADDR', addr: f.bindAddr };
  if (f.advertiseAddr && !isLoopbackAddress(f.advertiseAddr)) return { name: 'ADVERTISE_ADDR', addr: f.advertiseAddr };
  return undefined;
}

/** Returns warnings to log; throws INVALID when the daemon must not start. */
export function checkClusterSecret(f: SecretFacts): string[] {
  if (f.clusterSecret === '') throw new RedCloudError('INVALID', 'CLUSTER_SECRET must not be empty');
  const exposed = exposedAddress(f);
  if (f.clusterSecret === DEV_CLUSTER_SECRET) {
    if (exposed && !f.allowDevSecret) {
      throw new RedCloudError('INVALID',
        `CLUSTER_SECRET is not set and ${exposed.name} ${exposed.addr} is not a loopback address: set CLUSTER_SECRET to a random value `
        + '(e.g. `openssl rand -hex 32`), shared by every controller and chunkserver (or REDCLOUD_ALLOW_DEV_SECRET=1 for a throwaway cluster)');
    }
    return ['CLUSTER_SECRET is the insecure development default; set it for any real cluster'];
  }
  if (f.clusterSecret.length < MIN_SECRET_CHARS) {
    if (exposed) {
      throw new RedCloudError('INVALID',
        `CLUSTER_SECRET is shorter than ${MIN_SECRET_CHARS} characters and ${exposed.name} ${exposed.addr} is not a loopback address: `
        + 'a short secret can be recovered offline from any token; use a long random value (e.g. `openssl rand -hex 32`)');
    }
    return [`CLUSTER_SECRET is shorter than ${MIN_SECRET_CHARS} characters; use a long random value`];
  }
  return [];
}
