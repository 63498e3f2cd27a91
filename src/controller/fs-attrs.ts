/**
 * The attribute operations of the namespace: setattr (chmod, chown, utimens, truncate to 0),
 * tags, and extended attributes with Linux's rules (user./trusted./security. names of at most 255
 * bytes, values of at most 64 KiB, XATTR_CREATE/XATTR_REPLACE). Who may do what is the kernel's
 * check (the mount passes default_permissions); this module stores it. Each change is one write of
 * the inode's register (src/meta/ops.ts changeInode), so concurrent changes of other attributes
 * survive the merge.
 */
import type { EntryInfo, SetAttrRequest, SetXattrRequest, TimeSet } from '../common/api.js';
import { errors } from '../common/errors.js';
import { assertTag } from '../common/paths.js';
import type { InodeChange } from '../meta/ops.js';
import { tsFromMs } from '../meta/register.js';
import type { InodeRecord, Ts } from '../meta/types.js';
import type { FsView } from './fs-view.js';
import type { MetadataStore } from './metadata-store.js';
import { refuseCatalogXattr } from '../meta/snapshot.js';

export const XATTR_NAME_MAX_BYTES = 255;
export const XATTR_VALUE_MAX_BYTES = 64 * 1024;
export const XATTRS_MAX = 1024;
const XATTR_NAMESPACES = ['user.', 'trusted.', 'security.'];

export interface FsAttrDeps {
  store: MetadataStore;
  view: FsView;
  touch(inode: InodeRecord, change?: InodeChange): InodeRecord;
  nowTs(): Ts;
}

function assertXattrName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) throw errors.invalid('Extended attribute name must be a non-empty string without NUL');
  if (Buffer.byteLength(name) > XATTR_NAME_MAX_BYTES) throw errors.nameTooLong(`Extended attribute name is longer than ${XATTR_NAME_MAX_BYTES} bytes`);
  if (!XATTR_NAMESPACES.some((ns) => name.startsWith(ns) && name.length > ns.length)) {
    throw errors.notSupported(`Extended attribute namespace not supported: ${name.slice(0, 40)}`);
  }
}

const toTs = (t: TimeSet, now: Ts): Ts => (t === 'now' ? now : [t.sec, t.nsec]);

export function createFsAttrs(d: FsAttrDeps) {
  const { store, view } = d;
  const liveXattr = (inode: InodeRecord, name: string): string | undefined => {
    const v = inode.xattrs[name]?.v;
    return v === null || v === undefined ? undefined : v;
  };

  function setattr(owner: string, req: SetAttrRequest): EntryInfo {
    return store.transaction(() => {
      const r = view.mustResolve(owner, req.path);
      const now = d.nowTs();
      const change: InodeChange = {};
      if (req.mode !== undefined || req.uid !== undefined || req.gid !== undefined) {
        const cur = r.inode.attr.v;
        change.attr = { mode: req.mode !== undefined ? req.mode & 0o7777 : cur.mode, uid: req.uid ?? cur.uid, gid: req.gid ?? cur.gid };
      }
      if (req.atime !== undefined) change.atime = toTs(req.atime, now);
      if (req.mtime !== undefined) change.mtime = toTs(req.mtime, now);
      else if (req.mtimeMs !== undefined) change.mtime = tsFromMs(req.mtimeMs);
      if (req.size !== undefined && req.size !== r.inode.content.v.size) {
        if (r.inode.kind === 'dir') throw errors.isDir(`Is a directory: ${r.path}`, { path: r.path });
        if (r.inode.kind !== 'file') throw errors.invalid(`Cannot truncate ${r.inode.kind} ${r.path}`, { path: r.path });
        if (req.size !== 0) throw errors.invalid('setattr can only truncate to 0; commit the new chunks for other sizes');
        change.content = { size: 0, chunks: [] };
        change.mtime ??= now;
      }
      return view.info(owner, { ...r, inode: d.touch(r.inode, change) });
    });
  }

  function tags(owner: string, path: string, add: string[] = [], remove: string[] = []): EntryInfo {
    const addTags = add.map(assertTag);
    const removeTags = remove.map(assertTag);
    return store.transaction(() => {
      const r = view.mustResolve(owner, path);
      if (r.path === '/') throw errors.invalid('Cannot tag the root directory');
      return view.info(owner, { ...r, inode: d.touch(r.inode, { addTags, removeTags }) });
    });
  }

  function getXattr(owner: string, path: string, name: string): string {
    assertXattrName(name);
    const v = liveXattr(view.mustResolve(owner, path).inode, name);
    if (v === undefined) throw errors.noXattr(`No such attribute: ${name}`, { path, name });
    return v;
  }

  function listXattrs(owner: string, path: string): string[] {
    const inode = view.mustResolve(owner, path).inode;
    return Object.keys(inode.xattrs).filter((n) => liveXattr(inode, n) !== undefined).sort();
  }

  function setXattr(owner: string, req: SetXattrRequest): void {
    assertXattrName(req.name);
    refuseCatalogXattr(req.name);
    const bytes = Buffer.from(req.value, 'base64');
    if (bytes.length > XATTR_VALUE_MAX_BYTES) throw errors.tooLarge(`Extended attribute value is larger than ${XATTR_VALUE_MAX_BYTES} bytes`);
    store.transaction(() => {
      const r = view.mustResolve(owner, req.path);
      const exists = liveXattr(r.inode, req.name) !== undefined;
      if (req.flag === 'create' && exists) throw errors.exists(`Attribute exists: ${req.name}`, { path: r.path, name: req.name });
      if (req.flag === 'replace' && !exists) throw errors.noXattr(`No such attribute: ${req.name}`, { path: r.path, name: req.name });
      if (!exists && listXattrs(owner, r.path).length >= XATTRS_MAX) throw errors.noSpace(`More than ${XATTRS_MAX} extended attributes on ${r.path}`);
      d.touch(r.inode, { xattrs: { [req.name]: bytes.toString('base64') } });
    });
  }

  function removeXattr(owner: string, path: string, name: string): void {
    assertXattrName(name);
    refuseCatalogXattr(name);
    store.transaction(() => {
      const r = view.mustResolve(owner, path);
      if (liveXattr(r.inode, name) === undefined) throw errors.noXattr(`No such attribute: ${name}`, { path, name });
      d.touch(r.inode, { xattrs: { [name]: null } });
    });
  }

  return { setattr, tags, getXattr, listXattrs, setXattr, removeXattr };
}
