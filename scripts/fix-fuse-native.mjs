#!/usr/bin/env node
// npm postinstall: makes fuse-native 2.2.6 pass file times through utimens correctly, then
// compiles it into node_modules/fuse-native/build/Release, which node-gyp-build loads before the
// bundled prebuild. As published, fuse-native
//  - converts the access time into both utimens arguments (argv 5 gets l->atime, not l->mtime),
//    so every mtime set through the mount (touch -d, cp -p, tar -x, rsync -t) became the atime;
//  - does not set flag_utime_omit_ok, so libfuse 2 drops every change of only one of the two
//    times (touch -m, tar -x, which omits the atime) and still answers success;
//  - maps UTIME_NOW and UTIME_OMIT to the same 1073 ms, so "leave it" could not be told from "now".
// Idempotent. Without a compiler it warns and leaves the prebuild in place: the mount works, but
// file times it is given are unreliable (see fuse/ops.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** [as published, as fixed]: each applied once; fixed text starts with a marker comment or is unique. */
const PATCHES = [
  ['  FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)', '  FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5)'],
  [
    '  l->atime = timespec_to_uint64(&tv[0]);\n  l->mtime = timespec_to_uint64(&tv[1]);',
    '  l->atime = utime_to_uint64(&tv[0]);\n  l->mtime = utime_to_uint64(&tv[1]);',
  ],
  [
    'static void populate_stat (uint32_t *ints, struct stat* stat) {',
    '/* redcloud: utimens times in ms, with UTIME_NOW as 1073 and UTIME_OMIT as 1074 (no real time is either) */\n' +
      'static uint64_t utime_to_uint64 (const struct timespec* ts) {\n' +
      '  if (ts->tv_nsec == UTIME_OMIT) return 1074;\n' +
      '  if (ts->tv_nsec == UTIME_NOW) return 1073;\n' +
      '  return timespec_to_uint64(ts);\n' +
      '}\n\n' +
      'static void populate_stat (uint32_t *ints, struct stat* stat) {',
  ],
  ['  struct fuse_operations ops = { };\n', '  struct fuse_operations ops = { };\n  ops.flag_utime_omit_ok = 1; /* redcloud: forward touch -m / touch -a */\n'],
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'node_modules', 'fuse-native');
const source = join(dir, 'fuse-native.c');
const built = join(dir, 'build', 'Release', 'fuse.node');

function warn(message) {
  process.stderr.write(`fix-fuse-native: ${message}; the mount keeps the prebuilt addon, whose utimens loses mtimes\n`);
}

/** npm gives lifecycle scripts its own node-gyp; else the one bundled with npm next to node. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  for (const base of [join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'), '/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm']) {
    try {
      return createRequire(join(base, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
    } catch {
      /* try the next place */
    }
  }
  return undefined;
}

function main() {
  if (!existsSync(source)) return; // not installed (an image without the mount, or a partial install)
  let text = readFileSync(source, 'utf8');
  const before = text;
  for (const [from, to] of PATCHES) {
    if (text.includes(to)) continue;
    if (!text.includes(from)) {
      warn(`fuse-native.c does not look like version 2.2.6 (no "${from.trim().split('\n')[0]}")`);
      return;
    }
    text = text.replace(from, to);
  }
  if (text === before && existsSync(built)) return; // fixed and built already
  writeFileSync(source, text);
  const gyp = nodeGyp();
  if (!gyp) {
    warn('node-gyp not found');
    return;
  }
  // build against this node's own headers (offline) unless npm says where they are
  const prefix = join(dirname(process.execPath), '..');
  const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
  const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0 || !existsSync(built)) {
    warn(`compiling failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
    return;
  }
  process.stdout.write('fix-fuse-native: compiled fuse-native with working utimens\n');
}

main();
