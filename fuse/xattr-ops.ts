/**
 * Extended attributes as Linux has them: names in the user., trusted. and security. namespaces
 * (others, e.g. system.posix_acl_*, are ENOTSUP: no ACLs; security.selinux is never kept: SELinux
 * labels a FUSE mount as a whole, by its context= option, and reads no per-file label from it, so
 * getting it is ENODATA, answered by the addon itself since ls -l asks every file, and setting it
 * ENOTSUP), names up to 255 bytes and values up to 64 KiB, XATTR_CREATE / XATTR_REPLACE.
 * `user.redcloud.tags` stays the file's tags, and so does freedesktop's `user.xdg.tags` (the same
 * comma-separated list; setting either sets the tags); the
 * root's declared-tag attributes (common/declared-tags.ts) are not listed. The size
 * probing and ERANGE of getxattr/listxattr are decided by xattrReply in ops.ts. The kernel has
 * already checked who may (trusted.* needs CAP_SYS_ADMIN, user.* only on files and directories).
 * Controllers older than the xattr routes answer 404 for an existing file: then only the tags exist.
 */
import { RedCloudError, errors } from '../src/common/errors.js';
import { fuseErrors, FuseErrnoError } from './errno.js';
import type { HandlerContext, Sig } from './handlers.js';
import { DECLARED_TAG_PREFIX } from '../src/common/declared-tags.js';
import { SNAPSHOT_XATTR_PREFIX } from '../src/meta/snapshot.js';
import { parseTags, TAGS_XATTR, tagDiff } from './stat.js';

/** freedesktop's shared-metadata name for a file's tags (comma-separated). */
export const XDG_TAGS_XATTR = 'user.xdg.tags';
/** The attributes that are the file's tags. */
const isTagsXattr = (name: string): boolean => name === TAGS_XATTR || name === XDG_TAGS_XATTR;

export const XATTR_NAME_MAX_BYTES = 255;
export const XATTR_SIZE_MAX_BYTES = 64 * 1024;
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
const NAMESPACES = ['user.', 'trusted.', 'security.'];
/** what the kernel asks before every write (file capabilities, cleared on write) */
const CAPABILITY_XATTR = 'security.capability';
/** never kept (see the header); the patched addon answers getxattr of it without calling the op */
const SELINUX_XATTR = 'security.selinux';

/** Refuses a name Linux would refuse (ERANGE) or a namespace RedCloud does not keep (ENOTSUP). Pure. */
export function checkXattrName(name: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > XATTR_NAME_MAX_BYTES) throw fuseErrors.range(`Attribute name of ${bytes} bytes`);
  if (!NAMESPACES.some((ns) => name.startsWith(ns) && name.length > ns.length)) {
    throw fuseErrors.notSupported(`Attribute namespace of ${name} is not supported`);
  }
}

/** setxattr's flags → the contract's flag. Pure. */
export function xattrFlag(flags: number): 'create' | 'replace' | undefined {
  if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0) throw errors.invalid(`Unknown setxattr flags ${flags}`);
  if (flags & XATTR_CREATE) return 'create';
  return flags & XATTR_REPLACE ? 'replace' : undefined;
}

export function xattrOps(ctx: HandlerContext) {
  const { client } = ctx;

  /** True when a NOT_FOUND came from a controller without the route (the file itself exists). */
  async function routeMissing(err: unknown, path: string, signal: Sig): Promise<boolean> {
    if (!(err instanceof RedCloudError) || err.code !== 'NOT_FOUND') return false;
    ctx.meta.deleteAttr(path);
    return ctx.statEntry(path, signal).then(() => true, () => false);
  }

  /** The inode of `path`, if known (a file staged here and not yet committed may have none). */
  async function inoOf(path: string, signal: Sig): Promise<number | undefined> {
    return (await ctx.statEntry(path, signal).catch(() => undefined))?.ino ?? (await ctx.stagedFor(path))?.shownIno;
  }

  /** Cached entries name their xattrs: drop every cached name of the inode, hard links included. */
  function xattrsChanged(path: string, ino: number | undefined): void {
    ctx.meta.invalidateIno(ino);
    ctx.changed(path);
  }

  async function tagsOf(path: string, signal: Sig): Promise<string[]> {
    return (await ctx.statEntry(path, signal)).tags;
  }

  async function setTags(path: string, value: Buffer, flag: 'create' | 'replace' | undefined, signal: Sig): Promise<void> {
    const s = await ctx.stagedFor(path);
    if (s?.needsCommit) await ctx.commit(s, signal);
    ctx.meta.deleteAttr(path);
    const current = await tagsOf(path, signal);
    if (flag === 'create' && current.length > 0) throw errors.exists(`Tags exist on ${path}`);
    if (flag === 'replace' && current.length === 0) throw fuseErrors.noData(`No tags on ${path}`);
    const change = tagDiff(current, parseTags(value));
    if (change.add.length > 0 || change.remove.length > 0) await client.tag(path, change, { signal });
    ctx.changed(path);
    ctx.tagsChanged();
  }

  return {
    async getxattr(path: string, name: string, signal: Sig): Promise<Buffer> {
      checkXattrName(name);
      if (name === SELINUX_XATTR) throw fuseErrors.noData(`No attribute ${name}`);
      if (isTagsXattr(name)) {
        const tags = await tagsOf(path, signal);
        if (tags.length === 0) throw fuseErrors.noData(`No tags on ${path}`);
        return Buffer.from(tags.join(','), 'utf8');
      }
      // ls -l asks every file for security.selinux, a write for security.capability: a cached entry
      // that names its xattrs answers for a name it does not have
      const cached = ctx.meta.attr(path);
      if (cached?.xattrs && !cached.xattrs.includes(name)) throw fuseErrors.noData(`No attribute ${name}`);
      const capIno = name === CAPABILITY_XATTR ? cached?.ino ?? (await ctx.stagedFor(path))?.shownIno : undefined;
      if (capIno !== undefined && ctx.noXattrs.get(String(capIno))) throw fuseErrors.noData(`No attribute ${name}`);
      try {
        return await client.getXattr(path, name, { signal });
      } catch (err) {
        // the kernel asks again before every write (each 128 KiB of a dd): remember the answer for
        // the attribute TTL, as a create here does (a setxattr or removexattr here forgets it)
        if (capIno !== undefined && err instanceof RedCloudError && err.code === 'NO_XATTR') ctx.noXattrs.set(String(capIno), true);
        if (await routeMissing(err, path, signal)) throw fuseErrors.noData(`No attribute ${name}`);
        throw err;
      }
    },

    async listxattr(path: string, signal: Sig): Promise<string[]> {
      const tags = await tagsOf(path, signal);
      let names: string[] = [];
      try {
        names = await client.listXattrs(path, { signal });
      } catch (err) {
        if (!(await routeMissing(err, path, signal))) throw err;
      }
      // (a security.selinux stored by a version that kept it stays hidden, as getxattr does not show it)
      const own = names.filter((n) => !isTagsXattr(n) && n !== SELINUX_XATTR && !(path === '/' && (n.startsWith(DECLARED_TAG_PREFIX) || n.startsWith(SNAPSHOT_XATTR_PREFIX))));
      return tags.length > 0 ? [...own, TAGS_XATTR, XDG_TAGS_XATTR] : own;
    },

    async setxattr(path: string, name: string, value: Buffer, flags: number, signal: Sig): Promise<void> {
      checkXattrName(name);
      if (value.length > XATTR_SIZE_MAX_BYTES) throw new FuseErrnoError('E2BIG', `Attribute value of ${value.length} bytes`);
      if (name === SELINUX_XATTR) throw fuseErrors.notSupported('SELinux labels are not kept: a FUSE mount is labelled as a whole (mount option context=)');
      const flag = xattrFlag(flags);
      if (isTagsXattr(name)) return setTags(path, value, flag, signal);
      const ino = await inoOf(path, signal);
      ctx.noXattrs.clear();
      try {
        await client.setXattr(path, name, value, { signal, ...(flag ? { flag } : {}) });
      } catch (err) {
        if (await routeMissing(err, path, signal)) throw fuseErrors.notSupported(`This controller keeps no attribute but ${TAGS_XATTR}`);
        throw err;
      }
      xattrsChanged(path, ino);
    },

    async removexattr(path: string, name: string, signal: Sig): Promise<void> {
      checkXattrName(name);
      if (name === SELINUX_XATTR) throw fuseErrors.noData(`No attribute ${name}`);
      if (isTagsXattr(name)) {
        ctx.meta.deleteAttr(path);
        const tags = await tagsOf(path, signal);
        if (tags.length === 0) throw fuseErrors.noData(`No tags on ${path}`);
        await client.tag(path, { remove: tags }, { signal });
        ctx.tagsChanged();
        ctx.changed(path);
      } else {
        const ino = await inoOf(path, signal);
        ctx.noXattrs.clear();
        try {
          await client.removeXattr(path, name, { signal });
        } catch (err) {
          if (await routeMissing(err, path, signal)) throw fuseErrors.noData(`No attribute ${name}`);
          throw err;
        }
        xattrsChanged(path, ino);
      }
    },
  };
}
