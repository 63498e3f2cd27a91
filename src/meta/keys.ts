/**
 * Record keys: `e\0<owner>\0<path>` for namespace entries, `u\0<name>` for users; and back. Pure.
 */
import { RedCloudError } from '../common/errors.js';

export function entryKey(owner: string, path: string): string {
  return `e\0${owner}\0${path}`;
}

export function userKey(name: string): string {
  return `u\0${name}`;
}

export type ParsedKey = { type: 'entry'; owner: string; path: string } | { type: 'user'; name: string };

export function parseKey(key: string): ParsedKey {
  const parts = key.split('\0');
  if (parts[0] === 'e' && parts.length === 3) return { type: 'entry', owner: parts[1]!, path: parts[2]! };
  if (parts[0] === 'u' && parts.length === 2) return { type: 'user', name: parts[1]! };
  throw new RedCloudError('INVALID', `Malformed record key ${JSON.stringify(key.slice(0, 80))}`);
}
