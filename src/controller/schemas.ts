/**
 * JSON schemas of the controller's request bodies and query strings: every object closed
 * (additionalProperties false), every string and array bounded.
 */
import { NEW_INO_RE, REMOVE_MANY_MAX, TAG_CHARS_MAX, TAGS_PER_CALL_MAX } from '../common/api.js';
import { MAX_INLINE_BYTES } from '../meta/validate.js';
import { MAX_EXTENTS } from '../meta/extents.js';

const path = { type: 'string', minLength: 1, maxLength: 65_536 } as const; // bytes and names are checked by paths.ts
const tag = { type: 'string', minLength: 1, maxLength: TAG_CHARS_MAX } as const;
const tagList = { type: 'array', items: tag, maxItems: TAGS_PER_CALL_MAX } as const;
const chunkId = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const bytes = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
/** permission bits; file-type bits (as in fs.Stats.mode) are accepted and masked off */
const mode = { type: 'integer', minimum: 0, maximum: 0o177777 } as const;
/** ms since epoch; fractions (fs.Stats.mtimeMs) are accepted and floored */
const timeMs = { type: 'number', minimum: 0, maximum: 8_640_000_000_000_000 } as const;
const MAX_CHUNKS = 262_144;
const chunkRef = { type: 'object', additionalProperties: false, required: ['id', 'size'], properties: { id: chunkId, size: bytes } } as const;
const idList = { type: 'array', items: chunkId, maxItems: 10_000_000 } as const;
const nodeId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' } as const;
const url = { type: 'string', minLength: 1, maxLength: 512, pattern: '^https?://' } as const;

const id32 = { type: 'integer', minimum: 0, maximum: 0xffff_ffff } as const;
const timespec = {
  oneOf: [
    { type: 'string', enum: ['now'] },
    { type: 'object', additionalProperties: false, required: ['sec', 'nsec'], properties: {
      sec: { type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }, nsec: { type: 'integer', minimum: 0, maximum: 999_999_999 } } },
  ],
} as const;
const fixedTimespec = timespec.oneOf[1];
const xattrName = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const owner = { uid: id32, gid: id32 };

const obj = (required: string[], properties: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required, properties });

export const schemas = {
  credentials: obj(['user', 'password'], { user: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 1024 } }),
  pathQuery: obj(['path'], { path }),
  findQuery: obj(['tag'], { tag: { ...tagList, minItems: 1 }, path }),
  emptyQuery: obj([], {}),
  placement: obj(['chunks'], { chunks: { type: 'array', items: chunkRef, maxItems: MAX_CHUNKS }}),
  commit: obj(['path', 'size', 'chunks', 'receipts'], {
    path, size: bytes, mode, mtimeMs: timeMs, mtime: fixedTimespec, atime: fixedTimespec, ino: bytes, ...owner,
    chunks: { type: 'array', items: chunkRef, maxItems: MAX_CHUNKS },
    receipts: {
      type: 'object', propertyNames: chunkId, maxProperties: MAX_CHUNKS,
      additionalProperties: { type: 'array', items: { type: 'string', maxLength: 4096 }, maxItems: 64 },
    },
    tags: tagList,
    ifVersion: { type: 'string', maxLength: 256 },
    inline: { type: 'string', maxLength: Math.ceil(MAX_INLINE_BYTES / 3) * 4 },
    // checked in full (base64, sizes, hashes, limits) by the namespace's commit
    inlineChunks: {
      type: 'object', propertyNames: chunkId, maxProperties: 1024,
      additionalProperties: { type: 'string', maxLength: Math.ceil(MAX_INLINE_BYTES / 3) * 4 },
    },
    // checked in full by src/meta/extents.ts extentsProblem
    extents: { type: 'array', maxItems: MAX_EXTENTS, items: obj(['off', 'len', 'chunk', 'chunkOff'], { off: bytes, len: bytes, chunk: bytes, chunkOff: bytes }) },
    replaces: { type: 'boolean' },
    newIno: { type: 'string', pattern: NEW_INO_RE.source },
  }),
  mkdir: obj(['path'], { path, mode, parents: { type: 'boolean' }, ...owner }),
  symlink: obj(['path', 'target'], { path, target: { type: 'string', minLength: 1, maxLength: 8192 }, ...owner }),
  mknod: obj(['path', 'kind', 'mode'], { path, kind: { type: 'string', enum: ['fifo', 'socket', 'char', 'block', 'file'] }, mode, rdev: id32, ...owner }),
  link: obj(['from', 'to'], { from: path, to: path }),
  xattrQuery: obj(['path', 'name'], { path, name: xattrName }),
  setXattr: obj(['path', 'name', 'value'], {
    path, name: xattrName, value: { type: 'string', maxLength: 90_000 }, flag: { type: 'string', enum: ['create', 'replace'] },
  }),
  removeXattr: obj(['path', 'name'], { path, name: xattrName }),
  remove: obj(['path'], { path, recursive: { type: 'boolean' } }),
  removeMany: obj(['paths'], { paths: { type: 'array', items: path, minItems: 1, maxItems: REMOVE_MANY_MAX } }),
  rename: obj(['from', 'to'], { from: path, to: path }),
  setattr: obj(['path'], { path, mode, mtimeMs: timeMs, size: bytes, ...owner, atime: timespec, mtime: timespec }),
  tags: obj(['path'], { path, add: tagList, remove: tagList }),
  heartbeat: obj(['id', 'url', 'capacityBytes', 'freeBytes', 'chunkCount', 'full'], {
    id: nodeId, url, capacityBytes: bytes, freeBytes: bytes, chunkCount: bytes, full: { type: 'boolean' },
    inventory: idList, added: idList, removed: idList, usedBytes: bytes,
    disk: obj(['id', 'totalBytes', 'availBytes'], { id: { type: 'string', pattern: '^[0-9a-f]{8,64}$' }, totalBytes: bytes, availBytes: bytes }),
  }),
  reportBad: obj(['chunkId', 'serverId'], { chunkId, serverId: nodeId, reason: { type: 'string', maxLength: 1024 } }),
  clientReportBad: obj(['chunkId', 'serverId', 'cap'], { chunkId, serverId: nodeId, cap: { type: 'string', minLength: 1, maxLength: 4096 } }),
};
