/**
 * Flags of the mount process (bin/redcloud-mount.js, `redcloud mount`): DIR, --cache-size,
 * --disk-cache-size, --read-ahead, --cache-dir, --controllers, timeouts, the tag directory
 * (--tags-dir NAME, default REDCLOUD_TAGS_DIR or `.tags`; --tags-read-only; --show-tags-dir). Parsed once into RunMountOptions; bad
 * values are INVALID errors naming the flag. Pure except for defaults taken from the home dir.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBytes, parseDurationMs } from '../src/common/config.js';
import { errors } from '../src/common/errors.js';
import type { RunMountOptions } from './run.js';
import { TAGS_DIR_DEFAULT } from './tag-dir.js';

export const MOUNT_FLAG_DEFAULTS = {
  cacheSize: '256MiB',
  diskCacheSize: '10GiB',
  writeBehind: '2',
  readAhead: '4',
  opTimeout: '10s',
  commitTimeout: '120s',
  attrTtl: '1s',
} as const;

export interface ParsedMountArgs extends RunMountOptions {
  controllers?: string[];
  foreground: boolean;
  logLevel?: string;
}

function parseFlag<T>(name: string, raw: string, parse: (s: string) => T): T {
  try {
    return parse(raw);
  } catch (err) {
    throw errors.invalid(`--${name}: ${(err as Error).message}`);
  }
}

/** Where mounts keep their caches unless --cache-dir says otherwise: one directory per mountpoint. */
export function cacheRoot(): string {
  return join(homedir(), '.cache', 'redcloud');
}

export function defaultCacheDir(mountpoint: string): string {
  const safe = resolve(mountpoint).replace(/[^A-Za-z0-9._-]+/g, '_');
  return join(cacheRoot(), safe);
}

/** A count of chunks in [0, 64]. */
function chunkCount(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`"${s}" is not an integer in [0, 64]`);
  return n;
}

/** A tag directory name: one path component ('' turns the directory off). */
export function tagsDirName(s: string): string {
  if (s === '') return s;
  if (s.includes('/') || s.includes('\0') || s === '.' || s === '..' || Buffer.byteLength(s) > 255) {
    throw new Error(`"${s}" is not a single file name`);
  }
  return s;
}

export function parseMountArgs(argv: string[], defaults: { tagsDir?: string } = {}): ParsedMountArgs {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      foreground: { type: 'boolean', short: 'f', default: false },
      'cache-size': { type: 'string', default: MOUNT_FLAG_DEFAULTS.cacheSize },
      'disk-cache-size': { type: 'string', default: MOUNT_FLAG_DEFAULTS.diskCacheSize },
      'read-ahead': { type: 'string', default: MOUNT_FLAG_DEFAULTS.readAhead },
      'write-behind': { type: 'string', default: MOUNT_FLAG_DEFAULTS.writeBehind },
      'cache-dir': { type: 'string' },
      controllers: { type: 'string' },
      'op-timeout': { type: 'string', default: MOUNT_FLAG_DEFAULTS.opTimeout },
      'commit-timeout': { type: 'string', default: MOUNT_FLAG_DEFAULTS.commitTimeout },
      'attr-ttl': { type: 'string', default: MOUNT_FLAG_DEFAULTS.attrTtl },
      'kernel-attr-ttl': { type: 'string' },
      'allow-other': { type: 'boolean', default: false },
      'tags-dir': { type: 'string', default: defaults.tagsDir ?? TAGS_DIR_DEFAULT },
      'tags-read-only': { type: 'boolean', default: false },
      'show-tags-dir': { type: 'boolean', default: false },
      'log-level': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw errors.invalid('Usage: redcloud-mount DIR [--cache-size 256MiB] [--disk-cache-size 10GiB] [--read-ahead 4] [--write-behind 2] [--cache-dir DIR] [--controllers URL,…] [--attr-ttl 1s] [--kernel-attr-ttl 1s] [--allow-other] [--tags-dir .tags] [--tags-read-only] [--show-tags-dir]');
  const mountpoint = resolve(positionals[0]!);
  const readAheadChunks = parseFlag('read-ahead', values['read-ahead']!, chunkCount);
  const opTimeoutMs = parseFlag('op-timeout', values['op-timeout']!, parseDurationMs);
  return {
    mountpoint,
    foreground: values.foreground!,
    cacheDir: resolve(values['cache-dir'] ?? defaultCacheDir(mountpoint)),
    cacheSizeBytes: parseFlag('cache-size', values['cache-size']!, parseBytes),
    diskCacheSizeBytes: parseFlag('disk-cache-size', values['disk-cache-size']!, parseBytes),
    readAheadChunks,
    writeBehindChunks: parseFlag('write-behind', values['write-behind']!, chunkCount),
    opTimeoutMs,
    commitTimeoutMs: parseFlag('commit-timeout', values['commit-timeout']!, parseDurationMs),
    attrTtlMs: parseFlag('attr-ttl', values['attr-ttl']!, parseDurationMs),
    ...(values['kernel-attr-ttl'] !== undefined ? { kernelAttrTtlMs: parseFlag('kernel-attr-ttl', values['kernel-attr-ttl'], parseDurationMs) } : {}),
    checkTimeoutMs: opTimeoutMs,
    allowOther: values['allow-other']!,
    tagsDir: parseFlag('tags-dir', values['tags-dir']!, tagsDirName),
    tagsWritable: !values['tags-read-only'],
    tagsListed: values['show-tags-dir']!,
    ...(values.controllers ? { controllers: values.controllers.split(/[\s,]+/).filter(Boolean) } : {}),
    ...(values['log-level'] ? { logLevel: values['log-level'] } : {}),
  };
}
