/**
 * Path rules for the namespace. Paths are absolute, `/`-separated and normalised; `.`, `..`,
 * empty segments and NUL are rejected with an INVALID error that says which rule broke, over-long
 * names (255 bytes) and paths (8 KiB) with NAME_TOO_LONG (ENAMETOOLONG). Pure functions.
 */
import { errors } from './errors.js';

export const MAX_NAME_BYTES = 255;
/**
 * A path from the tree's root. The kernel limits the path of one system call to 4095 bytes
 * (PATH_MAX), but a process deep in the tree names files relative to its working directory, so
 * the path from the root (what the mount sends) may be longer, as on ext4. 8 KiB bounds the work
 * and keeps a GET naming it within the servers' 16 KiB of request headers.
 */
export const MAX_PATH_BYTES = 8 * 1024;
export const MAX_PATH_DEPTH = MAX_PATH_BYTES / 2;
export const ROOT = '/';

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Validates and normalises a path. A single trailing slash is dropped (`/a/` → `/a`); with
 * `relativeTo`, a path without a leading `/` is taken relative to that directory (CLI input).
 */
export function normalizePath(raw: unknown, opts: { relativeTo?: string } = {}): string {
  if (typeof raw !== 'string') throw errors.invalid('Path must be a string');
  if (raw.length === 0) throw errors.invalid('Path must not be empty');
  if (raw.includes('\0')) throw errors.invalid('Path must not contain NUL', { path: raw.replace(/\0/g, '\\0') });
  let p = raw;
  if (!p.startsWith('/')) {
    if (opts.relativeTo === undefined) throw errors.invalid(`Path must be absolute (start with "/"): ${raw}`, { path: raw });
    p = opts.relativeTo === ROOT ? `/${p}` : `${opts.relativeTo}/${p}`;
  }
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (utf8Length(p) > MAX_PATH_BYTES) throw errors.nameTooLong(`Path is longer than ${MAX_PATH_BYTES} bytes`);
  if (p === ROOT) return ROOT;
  const segments = p.slice(1).split('/');
  if (segments.length > MAX_PATH_DEPTH) throw errors.invalid(`Path is deeper than ${MAX_PATH_DEPTH} levels`);
  for (const segment of segments) {
    if (segment === '') throw errors.invalid(`Path must not contain empty segments ("//"): ${raw}`, { path: raw });
    if (segment === '..') throw errors.invalid(`Path must not contain "..": ${raw}`, { path: raw });
    if (segment === '.') throw errors.invalid(`Path must not contain ".": ${raw}`, { path: raw });
    if (utf8Length(segment) > MAX_NAME_BYTES) throw errors.nameTooLong(`Name is longer than ${MAX_NAME_BYTES} bytes: ${segment.slice(0, 40)}…`);
  }
  return p;
}

export function isValidPath(raw: unknown): boolean {
  try {
    return normalizePath(raw) === raw;
  } catch {
    return false;
  }
}

/** `/a/b` → `/a`; `/a` → `/`; `/` → `/`. Expects a normalised path. */
export function parentOf(path: string): string {
  if (path === ROOT) return ROOT;
  const i = path.lastIndexOf('/');
  return i <= 0 ? ROOT : path.slice(0, i);
}

/** `/a/b` → `b`; `/` → ``. */
export function baseName(path: string): string {
  return path === ROOT ? '' : path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a normalised directory and one name, validating the result. */
export function joinPath(dir: string, name: string): string {
  return normalizePath(dir === ROOT ? `/${name}` : `${dir}/${name}`);
}

/** True when `path` is `ancestor` or lies below it. */
export function isSelfOrDescendant(path: string, ancestor: string): boolean {
  if (ancestor === ROOT) return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

/** All proper ancestors, nearest last: `/a/b/c` → [`/`, `/a`, `/a/b`]. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  let p = path;
  while (p !== ROOT) {
    p = parentOf(p);
    out.unshift(p);
  }
  return out;
}

/** User names: 1–64 of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const USER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function assertUserName(name: unknown): string {
  if (typeof name !== 'string' || !USER_NAME_RE.test(name)) {
    throw errors.invalid('User name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return name;
}

/** Tags: 1–128 printable characters without `/`, `,` or whitespace. */
export const TAG_RE = /^[^\s/,\0]{1,128}$/u;

export function assertTag(tag: unknown): string {
  if (typeof tag !== 'string' || !TAG_RE.test(tag)) {
    throw errors.invalid(`Invalid tag ${JSON.stringify(String(tag).slice(0, 40))}: 1-128 characters, no whitespace, "/" or ","`);
  }
  return tag;
}
