#!/usr/bin/env node
// npm postinstall: patches fuse-native 2.2.6 (fuse-native.c and index.js) so the mount can be a
// faithful POSIX filesystem, then compiles it into node_modules/fuse-native/build/Release, which
// node-gyp-build loads before the bundled prebuild. As published, fuse-native
//  - converts the access time into both utimens arguments (argv 5 gets l->atime, not l->mtime),
//    does not set flag_utime_omit_ok (libfuse 2 then drops every change of only one of the two
//    times, touch -m / tar -x, and still answers success), maps UTIME_NOW and UTIME_OMIT to the
//    same value and passes times in ms;
//  - fills st_ino from 32 bits and the stat times from ms (no nanoseconds, nothing before 1970);
//  - gives JS no way to know the calling process (new files must be owned by it);
//  - answers getxattr/listxattr with more bytes than the caller's buffer instead of ERANGE, and
//    probes listxattr sizes 128 bytes too large (the op never learns the buffer's size).
// After the patch:
//  - stat arrays are 22 uint32s: mode uid gid size(lo,hi) dev nlink ino(lo,hi) rdev blksize
//    blocks(lo,hi), then atime, mtime, ctime each as sec(lo,hi: signed 64-bit) and nsec; index.js
//    fills them from { sec, nsec } Timespecs, Dates or ms;
//  - ops.utimens(path, atime, mtime, cb) gets each time as { sec, nsec }, 'now' or 'omit';
//  - ops.getxattr(path, name, size, cb) and ops.listxattr(path, size, cb) get the caller's buffer
//    size and answer cb(lengthOrErrno, bytes), so the op decides size probing and ERANGE;
//  - Fuse.callerContext() returns { uid, gid, pid, umask } of the process whose request is being
//    dispatched (fuse_get_context(), captured when the request enters the addon). It is valid
//    only synchronously at the start of the JS op handler, before any await.
//  - an open whose fd has bit 30 (Fuse.openKeepCacheBit) set keeps the kernel's page cache of the
//    file (fi->keep_cache, FOPEN_KEEP_CACHE); the handle's fh is the fd without the bit;
//  - getxattr of security.selinux (never kept) is answered ENODATA on the FUSE thread.
// Each patch is applied once (its marker says it is there), so the script is idempotent; it also
// upgrades a fuse-native.c carrying this script's earlier (ms-based) utimens fix. Offline. Without
// a compiler it warns and leaves the prebuild in place: the mount then refuses to start (fuse/mount.ts
// checks Fuse.callerContext), since its stat arrays would not be understood.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Replaces the text from `start` up to and including the first `end` after it; undefined if absent. */
function replaceBlock(text, start, end, replacement) {
  const from = text.indexOf(start);
  if (from < 0) return undefined;
  const to = text.indexOf(end, from + start.length);
  if (to < 0) return undefined;
  return text.slice(0, from) + replacement + text.slice(to + end.length);
}

/** Inserts `insertion` before the first `anchor`; undefined if absent. */
function insertBefore(text, anchor, insertion) {
  const at = text.indexOf(anchor);
  return at < 0 ? undefined : text.slice(0, at) + insertion + text.slice(at);
}

function replaceOnce(text, from, to) {
  return text.includes(from) ? text.replace(from, to) : undefined;
}

const C_LOCALS = String.raw`  size_t atime;
  size_t mtime;
  /* redcloud: utimens times as given; uid, gid, pid, umask of the caller (fuse_get_context) */
  struct timespec atim;
  struct timespec mtim;
  uint32_t caller[4];
`;

const C_HANDLER_CAPTURE = String.raw`  l->op_fn = fuse_native_dispatch_##name;\
  { struct fuse_context *rc_ctx = fuse_get_context(); /* redcloud: the caller */\
    l->caller[0] = rc_ctx->uid; l->caller[1] = rc_ctx->gid; l->caller[2] = rc_ctx->pid; l->caller[3] = rc_ctx->umask; }\
`;

const C_POPULATE_STAT = String.raw`/* redcloud: stat v2 — 64-bit st_ino, times as signed 64-bit seconds and nanoseconds */
static void uint32s_to_timespec_ns (struct timespec* ts, uint32_t** ints) {
  uint64_t low = *((*ints)++);
  uint64_t high = *((*ints)++);
  ts->tv_sec = (time_t) (int64_t) ((high << 32) | low);
  ts->tv_nsec = *((*ints)++);
}

static void populate_stat (uint32_t *ints, struct stat* stat) {
  stat->st_mode = *ints++;
  stat->st_uid = *ints++;
  stat->st_gid = *ints++;
  stat->st_size = uint32s_to_uint64(&ints);
  stat->st_dev = *ints++;
  stat->st_nlink = *ints++;
  stat->st_ino = uint32s_to_uint64(&ints);
  stat->st_rdev = *ints++;
  stat->st_blksize = *ints++;
  stat->st_blocks = uint32s_to_uint64(&ints);
#ifdef __APPLE__
  uint32s_to_timespec_ns(&stat->st_atimespec, &ints);
  uint32s_to_timespec_ns(&stat->st_mtimespec, &ints);
  uint32s_to_timespec_ns(&stat->st_ctimespec, &ints);
#else
  uint32s_to_timespec_ns(&stat->st_atim, &ints);
  uint32s_to_timespec_ns(&stat->st_mtim, &ints);
  uint32s_to_timespec_ns(&stat->st_ctim, &ints);
#endif
  (void) uint32s_to_timespec;
  (void) timespec_to_uint64;
}
`;

const C_UTIMENS = String.raw`/* redcloud: utimens v2 — each time as sec(lo,hi) and nsec, UTIME_NOW/UTIME_OMIT left in nsec */
#define REDCLOUD_TIMESPEC_ARGV(ts, pos)\
  napi_create_uint32(env, (uint32_t) ((uint64_t) (ts).tv_sec & 0xffffffff), &(argv[pos]));\
  napi_create_uint32(env, (uint32_t) ((uint64_t) (ts).tv_sec >> 32), &(argv[pos + 1]));\
  napi_create_uint32(env, (uint32_t) (ts).tv_nsec, &(argv[pos + 2]));

FUSE_METHOD_VOID(utimens, 7, 0, (const char *path, const struct timespec tv[2]), {
  l->path = path;
  l->atim = tv[0];
  l->mtim = tv[1];
}, {
  napi_create_string_utf8(env, l->path, NAPI_AUTO_LENGTH, &(argv[2]));
  REDCLOUD_TIMESPEC_ARGV(l->atim, 3)
  REDCLOUD_TIMESPEC_ARGV(l->mtim, 6)
})
`;

const C_GET_CALLER = String.raw`/* redcloud: [uid, gid, pid, umask] of the request the thread with locals l serves */
NAPI_METHOD(fuse_native_get_caller) {
  NAPI_ARGV(1)
  NAPI_ARGV_BUFFER_CAST(fuse_thread_locals_t *, l, 0);
  napi_value out;
  napi_create_array_with_length(env, 4, &out);
  for (uint32_t i = 0; i < 4; i++) {
    napi_value v;
    napi_create_uint32(env, l->caller[i], &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

`;

const C_LINKED_ATTRS = String.raw`/* redcloud: linked inodes uncached v2: the channel between libfuse and /dev/fuse, as libfuse's own
   (fuse_kern_chan.c: read, writev, close), except that a reply carrying attributes of an inode
   with several names (not a directory) tells the kernel to keep them for 0 s. libfuse's
   high-level API gives each name its own kernel inode and applies one attr_timeout to every
   reply, so a change made through one name (nlink, ctime, mode) would stay hidden under the
   others for that long; every other inode keeps the mount's attr_timeout. The one change of such
   an inode made through another kernel inode is a link of it (nlink 1 -> 2: the kernel updates
   only the new name's inode, and only the ctime of the source's), so before the reply to a LINK
   the source's cached attributes are invalidated (FUSE_NOTIFY_INVAL_INODE). */
#include <fuse_kernel.h>
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define RC_SLOTS 4096
/* the opcode of each request in flight whose reply carries attributes, by unique id */
static struct { uint64_t unique; uint32_t opcode; uint64_t link_source; } rc_requests[RC_SLOTS];
static pthread_mutex_t rc_requests_lock = PTHREAD_MUTEX_INITIALIZER;

static int rc_chan_receive (struct fuse_chan **chp, char *buf, size_t size) {
  struct fuse_chan *ch = *chp;
  struct fuse_session *se = fuse_chan_session(ch);
  ssize_t res;
  int err;
restart:
  res = read(fuse_chan_fd(ch), buf, size);
  err = errno;
  if (fuse_session_exited(se)) return 0;
  if (res == -1) {
    if (err == ENOENT) goto restart; /* interrupted: safe to restart */
    if (err == ENODEV) {
      fuse_session_exit(se);
      return 0;
    }
    if (err != EINTR && err != EAGAIN) perror("fuse: reading device");
    return -err;
  }
  if ((size_t) res < sizeof(struct fuse_in_header)) {
    fprintf(stderr, "short read on fuse device\n");
    return -EIO;
  }
  struct fuse_in_header *in = (struct fuse_in_header *) buf;
  switch (in->opcode) {
    case FUSE_LOOKUP: case FUSE_GETATTR: case FUSE_SETATTR: case FUSE_MKNOD: case FUSE_MKDIR:
    case FUSE_SYMLINK: case FUSE_LINK: case FUSE_CREATE:
      pthread_mutex_lock(&rc_requests_lock);
      rc_requests[in->unique % RC_SLOTS].unique = in->unique;
      rc_requests[in->unique % RC_SLOTS].opcode = in->opcode;
      rc_requests[in->unique % RC_SLOTS].link_source = in->opcode == FUSE_LINK && (size_t) res >= sizeof(struct fuse_in_header) + sizeof(struct fuse_link_in)
        ? ((struct fuse_link_in *) (buf + sizeof(struct fuse_in_header)))->oldnodeid : 0;
      pthread_mutex_unlock(&rc_requests_lock);
      break;
    default:
      break;
  }
  return res;
}

static int rc_attr_uncached (struct fuse_attr *a) {
  return (a->mode & S_IFMT) != S_IFDIR && a->nlink > 1;
}

#define RC_ATTR_END (offsetof(struct fuse_attr, nlink) + sizeof(uint32_t))

/* a successful reply to LOOKUP/GETATTR/SETATTR/MKNOD/MKDIR/SYMLINK/LINK/CREATE: its attr_valid set to 0
   for a linked inode; answers the node id whose attributes to invalidate first (a link's source) or 0 */
static uint64_t rc_adjust_reply (const struct iovec iov[], size_t count) {
  if (count < 1 || iov[0].iov_len != sizeof(struct fuse_out_header)) return 0;
  struct fuse_out_header *out = (struct fuse_out_header *) iov[0].iov_base;
  if (out->unique == 0) return 0; /* a notification */
  uint32_t opcode = 0;
  uint64_t link_source = 0;
  pthread_mutex_lock(&rc_requests_lock);
  if (rc_requests[out->unique % RC_SLOTS].unique == out->unique) {
    opcode = rc_requests[out->unique % RC_SLOTS].opcode;
    link_source = rc_requests[out->unique % RC_SLOTS].link_source;
    rc_requests[out->unique % RC_SLOTS].unique = 0;
  }
  pthread_mutex_unlock(&rc_requests_lock);
  if (opcode == 0 || out->error != 0) return 0;
  if (count < 2) return link_source;
  if (opcode == FUSE_GETATTR || opcode == FUSE_SETATTR) {
    if (iov[1].iov_len < offsetof(struct fuse_attr_out, attr) + RC_ATTR_END) return 0;
    struct fuse_attr_out *a = (struct fuse_attr_out *) iov[1].iov_base;
    if (rc_attr_uncached(&a->attr)) {
      a->attr_valid = 0;
      a->attr_valid_nsec = 0;
    }
  } else {
    if (iov[1].iov_len < offsetof(struct fuse_entry_out, attr) + RC_ATTR_END) return link_source;
    struct fuse_entry_out *e = (struct fuse_entry_out *) iov[1].iov_base;
    if (rc_attr_uncached(&e->attr)) {
      e->attr_valid = 0;
      e->attr_valid_nsec = 0;
    }
  }
  return link_source;
}

static int rc_chan_send (struct fuse_chan *ch, const struct iovec iov[], size_t count) {
  if (!iov) return 0;
  uint64_t invalidate = rc_adjust_reply(iov, count);
  /* before the reply, so link() has returned only once the source's attributes are dropped */
  if (invalidate != 0) fuse_lowlevel_notify_inval_inode(ch, invalidate, -1, 0);
  ssize_t res = writev(fuse_chan_fd(ch), iov, count);
  int err = errno;
  if (res == -1) {
    struct fuse_session *se = fuse_chan_session(ch);
    if (!fuse_session_exited(se) && err != ENOENT) perror("fuse: writing device");
    return -err;
  }
  return 0;
}

static void rc_chan_destroy (struct fuse_chan *ch) {
  int fd = fuse_chan_fd(ch);
  if (fd != -1) close(fd);
}

/* A channel over the fd of fuse_mount's: libfuse exports no way to clear the old channel's fd
   (destroying it would close the fd), so its small struct is left allocated, once per mount. */
static struct fuse_chan *rc_wrap_chan (struct fuse_chan *orig) {
  if (orig == NULL) return NULL;
  struct fuse_chan_ops op = { .receive = rc_chan_receive, .send = rc_chan_send, .destroy = rc_chan_destroy };
  struct fuse_chan *ch = fuse_chan_new(&op, fuse_chan_fd(orig), fuse_chan_bufsize(orig), NULL);
  return ch != NULL ? ch : orig;
}

NAPI_METHOD(fuse_native_linked_attrs_uncached) {
  napi_value out;
  napi_get_boolean(env, 1, &out);
  return out;
}

`;

const C_LINKED_ATTRS_END = 'NAPI_METHOD(fuse_native_linked_attrs_uncached) {\n  napi_value out;\n  napi_get_boolean(env, 1, &out);\n  return out;\n}\n\n';

const C_OPEN_SIGNAL = `}, {
  NAPI_ARGV_INT32(fd, 2)
  if (fd != 0) {
    l->info->fh = fd;
  }
})

FUSE_METHOD(opendir,`;

const C_OPEN_SIGNAL_KEEP = `}, {
  NAPI_ARGV_INT32(fd, 2)
  /* redcloud: keep_cache on open — bit 30 of the fd asks the kernel to keep the file's cached pages */
  if (fd & 0x40000000) {
    l->info->keep_cache = 1;
    fd &= ~0x40000000;
  }
  if (fd != 0) {
    l->info->fh = fd;
  }
})

FUSE_METHOD(opendir,`;

const C_KEEP_CACHE_FN = `/* redcloud: the bit of open's fd that sets keep_cache (0: not supported) */
NAPI_METHOD(fuse_native_open_keep_cache) {
  napi_value out;
  napi_create_uint32(env, 0x40000000, &out);
  return out;
}

`;

/*
 * security.selinux is never kept (fuse/xattr-ops.ts: SELinux labels a FUSE mount as a whole, by
 * its context= option, and never reads per-file labels from it), and ls -l asks every file for
 * it: answered ENODATA on the FUSE thread, with no trip through the event loop. (system.* names,
 * POSIX ACLs, the kernel answers itself: libfuse 2 negotiates no ACLs.)
 */
const C_SELINUX_XATTR = String.raw`/* redcloud: security.selinux answered here */
#ifndef __APPLE__
static int rc_getxattr (const char *path, const char *name, char *value, size_t size) {
  if (strcmp(name, "security.selinux") == 0) return -ENODATA;
  return fuse_native_getxattr(path, name, value, size);
}
#endif

`;

/** Patches of fuse-native.c: [marker, apply(text) → text or undefined when it does not fit]. */
const C_PATCHES = [
  ['redcloud: utimens times as given', (t) => replaceOnce(t, '  size_t atime;\n  size_t mtime;\n', C_LOCALS)],
  ['redcloud: the caller', (t) => replaceOnce(t, '  l->op_fn = fuse_native_dispatch_##name;\\\n', C_HANDLER_CAPTURE)],
  // the earlier ms-based fix of this script, if present, goes (it preceded populate_stat)
  ['redcloud: stat v2', (t) => replaceBlock(replaceBlock(t, '/* redcloud: utimens times in ms', '\n}\n\n', '') ?? t,
    'static void populate_stat (', '\n}\n', C_POPULATE_STAT)],
  ['redcloud: utimens v2', (t) => replaceBlock(t, 'FUSE_METHOD_VOID(utimens,', '\n})\n', C_UTIMENS)],
  ['redcloud: forward touch -m', (t) => replaceOnce(t, '  struct fuse_operations ops = { };\n',
    '  struct fuse_operations ops = { };\n  ops.flag_utime_omit_ok = 1; /* redcloud: forward touch -m / touch -a */\n')],
  ['fuse_native_get_caller) {', (t) => insertBefore(t, 'NAPI_INIT() {', C_GET_CALLER)],
  ['NAPI_EXPORT_FUNCTION(fuse_native_get_caller)', (t) => replaceOnce(t, '  NAPI_EXPORT_FUNCTION(fuse_native_unmount)\n',
    '  NAPI_EXPORT_FUNCTION(fuse_native_unmount)\n  NAPI_EXPORT_FUNCTION(fuse_native_get_caller)\n')],
  // (v1 of this block, without the link source's invalidation, goes)
  ['redcloud: linked inodes uncached v2', (t) => insertBefore(replaceBlock(t, '/* redcloud: linked inodes uncached \u2014', C_LINKED_ATTRS_END, '') ?? t,
    'NAPI_METHOD(fuse_native_mount) {', C_LINKED_ATTRS)],
  ['rc_wrap_chan(fuse_mount(', (t) => replaceOnce(t, '  struct fuse_chan *ch = fuse_mount(mnt, &args);\n',
    '  struct fuse_chan *ch = rc_wrap_chan(fuse_mount(mnt, &args));\n')],
  ['NAPI_EXPORT_FUNCTION(fuse_native_linked_attrs_uncached)', (t) => replaceOnce(t, '  NAPI_EXPORT_FUNCTION(fuse_native_get_caller)\n',
    '  NAPI_EXPORT_FUNCTION(fuse_native_get_caller)\n  NAPI_EXPORT_FUNCTION(fuse_native_linked_attrs_uncached)\n')],
  // open's fd with bit 30 set: keep the kernel's page cache of the file (FOPEN_KEEP_CACHE), fh without the bit
  ['redcloud: keep_cache on open', (t) => replaceOnce(t, C_OPEN_SIGNAL, C_OPEN_SIGNAL_KEEP)],
  ['redcloud: security.selinux answered here', (t) => replaceOnce(insertBefore(t, 'NAPI_METHOD(fuse_native_mount) {', C_SELINUX_XATTR) ?? t,
    '  if (implemented[op_getxattr]) ops.getxattr = fuse_native_getxattr;\n',
    '#ifndef __APPLE__\n  if (implemented[op_getxattr]) ops.getxattr = rc_getxattr;\n#else\n  if (implemented[op_getxattr]) ops.getxattr = fuse_native_getxattr;\n#endif\n')],
  ['NAPI_EXPORT_FUNCTION(fuse_native_open_keep_cache)', (t) => replaceOnce(insertBefore(t, 'NAPI_INIT() {', C_KEEP_CACHE_FN) ?? t,
    '  NAPI_EXPORT_FUNCTION(fuse_native_get_caller)\n', '  NAPI_EXPORT_FUNCTION(fuse_native_get_caller)\n  NAPI_EXPORT_FUNCTION(fuse_native_open_keep_cache)\n')],
];

const JS_STAT = `function getStatArray (stat) { // redcloud: stat v2 (see fuse-native.c populate_stat)
  const ints = new Uint32Array(22)

  ints[0] = (stat && stat.mode) || 0
  ints[1] = (stat && stat.uid) || 0
  ints[2] = (stat && stat.gid) || 0
  setDoubleInt(ints, 3, (stat && stat.size) || 0)
  ints[5] = (stat && stat.dev) || 0
  ints[6] = (stat && stat.nlink) || 1
  setDoubleInt(ints, 7, (stat && stat.ino) || 0)
  ints[9] = (stat && stat.rdev) || 0
  ints[10] = (stat && stat.blksize) || 0
  setDoubleInt(ints, 11, (stat && stat.blocks) || 0)
  setTimeInts(ints, 13, stat && stat.atime)
  setTimeInts(ints, 16, stat && stat.mtime)
  setTimeInts(ints, 19, stat && stat.ctime)

  return ints
}

// a { sec, nsec } Timespec (sec may be negative), a Date, or ms since the epoch
function setTimeInts (arr, idx, t) {
  let sec, nsec
  if (t && typeof t === 'object' && typeof t.sec === 'number') {
    sec = t.sec
    nsec = t.nsec || 0
  } else {
    const ms = typeof t === 'number' ? t : (t ? t.getTime() : Date.now())
    sec = Math.floor(ms / 1000)
    nsec = Math.round((ms - sec * 1000) * 1e6)
  }
  const high = Math.floor(sec / 4294967296)
  arr[idx] = sec - high * 4294967296
  arr[idx + 1] = high >>> 0
  arr[idx + 2] = nsec
}

const UTIME_NOW = 1073741823
const UTIME_OMIT = 1073741822

function getUtime (secLow, secHigh, nsec) {
  if (nsec === UTIME_NOW) return 'now'
  if (nsec === UTIME_OMIT) return 'omit'
  return { sec: (secHigh | 0) * 4294967296 + secLow, nsec }
}
`;

const JS_UTIMENS = `_op_utimens (signal, path, aLow, aHigh, aNsec, mLow, mHigh, mNsec) { // redcloud: utimens v2
    this.ops.utimens(path, getUtime(aLow, aHigh, aNsec), getUtime(mLow, mHigh, mNsec), err => {
      return signal(err)
    })
  }
`;

const JS_XATTR = `_op_getxattr (signal, path, name, valueBuf, position) { // redcloud: xattr sizes decided by the op
    // ops.getxattr(path, name, size, cb(res, data)): res is the length (or -errno) to answer, data the bytes
    this.ops.getxattr(path, name, valueBuf.length, (res, data) => {
      if (res > 0 && data && valueBuf.length > 0) data.copy(valueBuf, 0, 0, Math.min(res, valueBuf.length))
      return signal(res, valueBuf.buffer)
    })
  }

  _op_listxattr (signal, path, listBuf) {
    // ops.listxattr(path, size, cb(res, data)): data is the NUL-terminated names
    this.ops.listxattr(path, listBuf.length, (res, data) => {
      if (res > 0 && data && listBuf.length > 0) data.copy(listBuf, 0, 0, Math.min(res, listBuf.length))
      return signal(res, listBuf.buffer)
    })
  }
`;

const JS_CALLER = `// redcloud: the caller of the request being dispatched, valid synchronously in the op handler
let currentNativeHandler = null
Fuse.callerContext = function () {
  if (!currentNativeHandler || !binding.fuse_native_get_caller) return null
  const [uid, gid, pid, umask] = binding.fuse_native_get_caller(currentNativeHandler)
  return { uid, gid, pid, umask }
}

module.exports = Fuse
`;

/** Patches of index.js. */
const JS_PATCHES = [
  ['redcloud: stat v2', (t) => replaceBlock(t, 'function getStatArray (stat) {', '\n  return ints\n}\n', JS_STAT)],
  ['redcloud: utimens v2', (t) => replaceBlock(t, '_op_utimens (signal, path,', '\n  }\n', JS_UTIMENS)],
  ['redcloud: xattr sizes decided by the op', (t) => replaceBlock(t, '_op_getxattr (signal, path, name, valueBuf, position) {', '\n  _op_removexattr', `${JS_XATTR}\n  _op_removexattr`)],
  ['redcloud: the caller of the request', (t) => replaceOnce(t, 'module.exports = Fuse\n', JS_CALLER)],
  ['redcloud: linked inodes uncached', (t) => replaceOnce(t, 'module.exports = Fuse\n',
    '// redcloud: linked inodes uncached (fuse-native.c rc_chan_send: attributes of an inode with several names are kept 0 s)\n' +
    'Fuse.linkedAttrsUncached = typeof binding.fuse_native_linked_attrs_uncached === \'function\'\n\nmodule.exports = Fuse\n')],
  ['redcloud: keep_cache bit', (t) => replaceOnce(t, 'module.exports = Fuse\n',
    '// redcloud: keep_cache bit (fuse-native.c: open\'s fd with this bit keeps the kernel\'s page cache; 0 when absent)\n' +
    'Fuse.openKeepCacheBit = typeof binding.fuse_native_open_keep_cache === \'function\' ? binding.fuse_native_open_keep_cache() : 0\n\nmodule.exports = Fuse\n')],
  ['currentNativeHandler = nativeHandler', (t) => replaceOnce(t, '      return function (nativeHandler, opCode, ...args) {\n',
    '      return function (nativeHandler, opCode, ...args) {\n        currentNativeHandler = nativeHandler\n')],
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.env.REDCLOUD_FUSE_NATIVE_DIR || join(root, 'node_modules', 'fuse-native');
const built = join(dir, 'build', 'Release', 'fuse.node');

function warn(message) {
  process.stderr.write(`fix-fuse-native: ${message}; the mount needs the patched addon and will refuse to start\n`);
}

/** Applies the patches not yet applied; returns the new text, or undefined (and warns) if one does not fit. */
function patch(file, patches) {
  const before = readFileSync(file, 'utf8');
  let text = before;
  for (const [marker, apply] of patches) {
    if (text.includes(marker)) continue;
    const next = apply(text);
    if (next === undefined || !next.includes(marker)) {
      warn(`${file} does not look like fuse-native 2.2.6 (patch "${marker}" does not apply)`);
      return undefined;
    }
    text = next;
  }
  return { text, changed: text !== before };
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
  const source = join(dir, 'fuse-native.c');
  const index = join(dir, 'index.js');
  if (!existsSync(source) || !existsSync(index)) return; // not installed (an image without the mount, or a partial install)
  const c = patch(source, C_PATCHES);
  const js = patch(index, JS_PATCHES);
  if (!c || !js) return;
  if (js.changed) writeFileSync(index, js.text);
  if (!c.changed && existsSync(built)) return; // patched and built already
  writeFileSync(source, c.text);
  if (process.env.REDCLOUD_FUSE_NATIVE_NO_BUILD) return;
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
  process.stdout.write('fix-fuse-native: compiled fuse-native with 64-bit inodes, ns times, working utimens and the caller\'s uid/gid\n');
}

main();
