/**
 * createClient: the RedCloudClient over the routes of src/common/api.ts. Controller calls go
 * through the failover pool with the Bearer token; uploads stream through the chunker into
 * storeChunks and commit only when every chunk reached quorum; downloads go through fetchChunk.
 */
import { stat as fsStat } from 'node:fs/promises';
import { REMOVE_MANY_MAX, type ClusterStatus, type CommitRequest, type EntryInfo, type LoginResponse, type ReadPlan, type RemoveOutcome, type StatfsInfo, type TrashItem } from '../common/api.js';
import { BufferPool } from '../common/buffer-pool.js';
import { RedCloudError, errors } from '../common/errors.js';
import { chunkIdOf, DEFAULT_CHUNK_FORMAT, type ChunkFormat } from '../common/chunk-format.js';
import { sha256HexAsync } from '../common/hash.js';
import { requestJson, type RequestOptions } from '../common/http-client.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { normalizePath, parentOf } from '../common/paths.js';
import type { ChunkRef } from '../meta/types.js';
import { chunkStream, fileChunks } from './chunker.js';
import { ControllerPool } from './controllers.js';
import { type DownloadContext, downloadToFile, fetchChunk } from './download.js';
import { CONTROLLER_BACKOFF_MS } from './limits.js';
import { BlockLists, fetchRange } from './range-read.js';
import type { CallOptions, DownloadOptions, FreshChunk, RedCloudClient, StagedChunk, UploadOptions } from './types.js';
import { snapshotApi, type SnapshotApi } from './snapshots.js';
import { SNAPSHOT_HEADER } from '../common/snapshot-api.js';
import { storeChunks, type ChunkToStore, type Receipts, type UploadContext } from './upload.js';
import { fitsInline, INLINE_MAX_DEFAULT, inlineChunkLimits } from '../meta/inline.js';
import { toRecord, type Extent } from '../meta/extents.js';
import { inlineRefusal, refusesField, smallStream } from './inline.js';

export interface ClientOptions {
  controllers: string[];
  token?: string;
  chunkSizeBytes: number;
  /** INLINE_MAX: files up to this size are committed inside their inode record (default INLINE_MAX_DEFAULT; 0: never) */
  inlineMaxBytes?: number;
  /** chunk transfers in flight (and chunks in memory) per upload or download */
  concurrency: number;
  requestTimeoutMs: number;
  logger?: Logger;
  /** pause between failover rounds over the controllers */
  controllerBackoffMs?: number;
  /** read snapshot NAME instead of the live tree (every write is refused as READ_ONLY) */
  snapshot?: string;
  /** the format new chunks are written in (chunk-format.ts); 'sha256' writes v1 chunks as before blocks */
  chunkFormat?: ChunkFormat;
}

/** The client plus what the CLI needs to save its session. */
export interface RedCloudClientHandle extends Omit<RedCloudClient, 'inSnapshot' | 'snapshots'>, SnapshotApi {
  /** the same account reading snapshot NAME (read-only; snapshots.ts) */
  inSnapshot(name: string): RedCloudClientHandle;
  /** current session token, if logged in */
  readonly token: string | undefined;
  /** known controllers, the one that worked last first */
  controllers(): string[];
  /** ends every session of the logged-in account, on every controller */
  logout(o?: CallOptions): Promise<void>;
  /** deletes the account (its password is the proof); the name cannot be registered again */
  deleteAccount(user: string, password: string, o?: CallOptions): Promise<void>;
}

type Query = Record<string, string | string[] | undefined>;

function queryString(q: Query): string {
  const params = new URLSearchParams();
  for (const [k, val] of Object.entries(q)) {
    if (val === undefined) continue;
    for (const one of Array.isArray(val) ? val : [val]) params.append(k, one);
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function createClient(opts: ClientOptions): RedCloudClientHandle {
  const logger = (opts.logger ?? silentLogger()).child({ component: 'client' });
  if (!Number.isInteger(opts.chunkSizeBytes) || opts.chunkSizeBytes < 1) throw errors.invalid(`Invalid chunk size ${opts.chunkSizeBytes}`);
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw errors.invalid(`Invalid concurrency ${opts.concurrency}`);
  const pool = new ControllerPool({ controllers: opts.controllers, logger, backoffMs: opts.controllerBackoffMs ?? CONTROLLER_BACKOFF_MS });
  let token = opts.token;
  const scope: Record<string, string> = opts.snapshot !== undefined ? { [SNAPSHOT_HEADER]: opts.snapshot } : {};
  const authHeaders = (): Record<string, string> => (token ? { authorization: `Bearer ${token}`, ...scope } : scope);
  const format = opts.chunkFormat ?? DEFAULT_CHUNK_FORMAT;
  const idOf = (data: Buffer): string => chunkIdOf(format, data);
  const blockLists = new BlockLists();
  const ctx: UploadContext & DownloadContext = {
    chunkFormat: format,
    controllers: pool, authHeaders, requestTimeoutMs: opts.requestTimeoutMs, concurrency: opts.concurrency, logger,
    reportBad: (chunk, serverId) => {
      post('/v1/fs/report-bad', { chunkId: chunk.id, serverId, cap: chunk.cap }).catch((err: unknown) => {
        logger.debug({ chunkId: chunk.id, serverId, err: (err as Error).message }, 'Could not report a bad replica');
      });
    },
  };

  /** A call, and which controller answered it. */
  const callAt = <T>(method: RequestOptions['method'], route: string, q: Query, body: unknown, o?: CallOptions): Promise<{ base: string; res: T }> =>
    pool.call(
      async (base, attempt) => ({
        base,
        res: await requestJson<T>(`${base}${route}${queryString(q)}`, { method, body, headers: authHeaders(), timeoutMs: o?.timeoutMs ?? opts.requestTimeoutMs, signal: attempt }),
      }),
      o?.signal,
    );
  const call = async <T>(method: RequestOptions['method'], route: string, q: Query, body: unknown, o?: CallOptions): Promise<T> =>
    (await callAt<T>(method, route, q, body, o)).res;
  const get = <T>(route: string, q: Query, o?: CallOptions): Promise<T> => call<T>('GET', route, q, undefined, o);
  const post = <T>(route: string, body: unknown, o?: CallOptions): Promise<T> => call<T>('POST', route, {}, body, o);
  /** remote names without a leading "/" are relative to "/" */
  const p = (path: string): string => normalizePath(path, { relativeTo: '/' });
  const owner = (o?: { uid?: number; gid?: number }): { uid?: number; gid?: number } =>
    ({ ...(o?.uid !== undefined ? { uid: o.uid } : {}), ...(o?.gid !== undefined ? { gid: o.gid } : {}) });

  let inlineMax = opts.inlineMaxBytes ?? INLINE_MAX_DEFAULT;
  const commit = (
    remotePath: string, refs: ChunkRef[], receipts: Record<string, string[]>, size: number, o: UploadOptions & { ifVersion?: string }, inline?: Buffer,
    extents?: Extent[], inlineChunks?: Record<string, string>,
  ): Promise<EntryInfo> => {
    const req: CommitRequest = {
      path: p(remotePath), size, chunks: refs, receipts,
      ...(extents ? { extents } : {}),
      ...(inlineChunks ? { inlineChunks } : {}),
      ...(inline ? { inline: inline.toString('base64') } : {}),
      ...(o.mode !== undefined ? { mode: o.mode } : {}),
      ...(o.mtimeMs !== undefined ? { mtimeMs: o.mtimeMs } : {}),
      ...(o.mtime !== undefined ? { mtime: o.mtime } : {}),
      ...(o.atime !== undefined && known.atime ? { atime: o.atime } : {}),
      ...(o.tags && o.tags.length > 0 ? { tags: o.tags } : {}),
      ...(o.ifVersion !== undefined ? { ifVersion: o.ifVersion } : {}),
      ...(o.ino !== undefined ? { ino: o.ino } : {}),
      ...(o.replaces && known.replaces ? { replaces: true } : {}),
      ...(o.newIno !== undefined && known.newIno ? { newIno: o.newIno } : {}),
      ...(o.uid !== undefined ? { uid: o.uid } : {}),
      ...(o.gid !== undefined ? { gid: o.gid } : {}),
    };
    return commitReplacing(req, o);
  };
  /**
   * A controller older than CommitRequest.replaces, .newIno or .atime refuses the field (400, additional
   * properties; nothing committed): the commit is sent again without them, and later ones leave
   * them out (no replaced version is kept there; a new file gets the controller's inode id, so its
   * number changes at its first commit; an atime set before the first commit is not kept). If that retry is refused the same way, another field was
   * the cause (inline, for the caller's fallback): the fields stay on.
   */
  const known = { replaces: true, newIno: true, atime: true, inlineChunks: true };
  const commitReplacing = async (req: CommitRequest, o: CallOptions): Promise<EntryInfo> => {
    try {
      return await post<EntryInfo>('/v1/fs/commit', req, o);
    } catch (err) {
      const optional = (['replaces', 'newIno', 'atime'] as const).filter((k) => req[k] !== undefined);
      if (optional.length === 0 || !refusesField(err)) throw err;
      const without: CommitRequest = { ...req };
      for (const k of optional) {
        delete without[k];
        known[k] = false;
      }
      try {
        const entry = await post<EntryInfo>('/v1/fs/commit', without, o);
        logger.warn({ path: req.path, fields: optional }, 'Controller predates fields of this commit (replaced versions in the trash, mount-chosen inode ids); committed without them');
        return entry;
      } catch (again) {
        if (refusesField(again)) for (const k of optional) known[k] = true;
        throw again;
      }
    }
  };

  /** An inline commit; undefined (and the limit lowered) when the controller keeps no file this large inline. */
  const commitInline = async (remotePath: string, data: Buffer, o: UploadOptions & { ifVersion?: string }): Promise<EntryInfo | undefined> => {
    try {
      return await commit(remotePath, [], {}, data.length, o, data);
    } catch (err) {
      const refused = inlineRefusal(err, data.length);
      if (refused === undefined) throw err;
      inlineMax = Math.min(inlineMax, refused);
      logger.info({ path: remotePath, sizeBytes: data.length, inlineMaxBytes: inlineMax }, 'Controller keeps no file this large inline; storing chunks');
      return undefined;
    }
  };

  /**
   * Whether a commit with inline chunks was refused for them: an older controller's schema (the
   * field: later commits send none) or a lower INLINE_MAX (413 { inlineMax }: the limit is lowered).
   */
  const refusedInlineChunks = (err: unknown): boolean => {
    if (refusesField(err)) {
      known.inlineChunks = false;
      logger.warn({}, 'Controller predates inline chunks; storing small chunks on chunkservers');
      return true;
    }
    const max = err instanceof RedCloudError && err.code === 'TOO_LARGE' ? Number(err.info?.inlineMax) : Number.NaN;
    if (!Number.isInteger(max) || max < 0) return false;
    inlineMax = Math.min(inlineMax, max);
    logger.info({ inlineMaxBytes: inlineMax }, 'Controller keeps fewer inline chunk bytes; storing these on chunkservers');
    return true;
  };

  /** Chunks, hashes and stores a stream; commits only when every chunk has quorum (a small file: inline, one call). */
  const uploadFrom = async (source: AsyncGenerator<Buffer>, remotePath: string, o: UploadOptions, totalBytes?: number, pool?: BufferPool): Promise<EntryInfo> => {
    try {
      const small = await smallStream(source, (n) => fitsInline(n, inlineMax, opts.chunkSizeBytes));
      if (small.data) {
        const entry = await commitInline(remotePath, small.data, o);
        if (entry) {
          o.onProgress?.({ doneBytes: small.data.length, totalBytes: small.data.length });
          logger.info({ path: p(remotePath), sizeBytes: small.data.length, inline: true }, 'Uploaded');
          return entry;
        }
      }
      return await uploadChunks(small.rest, remotePath, o, totalBytes, pool);
    } finally {
      await source.return(undefined); // closes the file or stream whatever path was taken
    }
  };

  const uploadChunks = async (source: AsyncGenerator<Buffer>, remotePath: string, o: UploadOptions, totalBytes?: number, pool?: BufferPool): Promise<EntryInfo> => {
    const path = p(remotePath);
    const refs: ChunkRef[] = [];
    let readBytes = 0;
    let doneBytes = 0;
    async function* hashed(): AsyncGenerator<ChunkToStore> {
      for await (const data of source) {
        const ref = { id: idOf(data), size: data.length };
        refs.push(ref);
        readBytes += data.length;
        yield pool ? { ref, data, release: () => pool.give(data) } : { ref, data };
      }
    }
    try {
      const receipts = await storeChunks(ctx, hashed(), {
        signal: o.signal,
        onStored: (n) => {
          doneBytes += n;
          o.onProgress?.({ doneBytes, totalBytes: totalBytes ?? readBytes });
        },
      });
      const entry = await commit(path, refs, receipts, readBytes, o);
      logger.info({ path, sizeBytes: readBytes, chunks: refs.length }, 'Uploaded');
      return entry;
    } finally {
      await source.return(undefined); // closes the file or stream when the upload stopped early
    }
  };

  const client: RedCloudClientHandle = {
    chunkSizeBytes: opts.chunkSizeBytes,
    get inlineMaxBytes() {
      return inlineMax;
    },
    commitInline: (remotePath, data, o = {}) => commitInline(remotePath, data, o),
    get token() {
      return token;
    },
    controllers: () => pool.list(),
    inSnapshot: (name) => createClient({ ...opts, controllers: pool.list(), token, snapshot: name }),
    ...snapshotApi({ get, post }),

    async register(user, password, o) {
      await post('/v1/register', { user, password }, o);
    },
    async login(user, password, o) {
      const { base, res } = await callAt<LoginResponse>('POST', '/v1/login', {}, { user, password }, o);
      token = res.token;
      pool.learn(res.controllers, base);
      return res;
    },
    async logout(o) {
      await post('/v1/logout', undefined, o);
      token = undefined;
    },
    async deleteAccount(user, password, o) {
      await post('/v1/account/delete', { user, password }, o);
      token = undefined;
    },
    async whoami(o) {
      const { base, res } = await callAt<{ user: string; controllers: string[] }>('GET', '/v1/whoami', {}, undefined, o);
      pool.learn(res.controllers, base);
      return res;
    },

    stat: (path, o) => get<EntryInfo>('/v1/fs/stat', { path: p(path) }, o),
    list: async (path, o) => (await get<{ entries: EntryInfo[] }>('/v1/fs/list', { path: p(path) }, o)).entries,
    find: async (tags, o) =>
      (await get<{ entries: EntryInfo[] }>('/v1/fs/find', { tag: tags, path: o?.under !== undefined ? p(o.under) : undefined }, o)).entries,
    tags: async (o) => (await get<{ tags: { tag: string; count: number }[] }>('/v1/fs/tags', {}, o)).tags,
    trashList: (o) => get<{ items: TrashItem[]; ttlMs: number }>('/v1/trash', {}, o),
    trashRead: (id, o) => get<ReadPlan>('/v1/trash/read', { id }, o),
    trashRestore: async (path, o) => (await post<{ restored: TrashItem[] }>('/v1/trash/restore', { path: p(path), ...(o?.to !== undefined ? { to: p(o.to) } : {}) }, o)).restored,
    trashEmpty: async (o) => (await post<{ removed: number }>('/v1/trash/empty', o?.path !== undefined ? { path: p(o.path) } : {}, o)).removed,
    mkdir: (path, o) =>
      post<EntryInfo>('/v1/fs/mkdir', {
        path: p(path), ...(o?.mode !== undefined ? { mode: o.mode } : {}), ...(o?.parents ? { parents: true } : {}), ...owner(o),
      }, o),
    symlink: (path, target, o) => post<EntryInfo>('/v1/fs/symlink', { path: p(path), target, ...owner(o) }, o),
    mknod: (req, o) => post<EntryInfo>('/v1/fs/mknod', { ...req, path: p(req.path) }, o),
    link: (from, to, o) => post<EntryInfo>('/v1/fs/link', { from: p(from), to: p(to) }, o),
    getXattr: async (path, name, o) => Buffer.from((await get<{ value: string }>('/v1/fs/xattr', { path: p(path), name }, o)).value, 'base64'),
    listXattrs: async (path, o) => (await get<{ names: string[] }>('/v1/fs/xattrs', { path: p(path) }, o)).names,
    async setXattr(path, name, value, o) {
      await post('/v1/fs/xattr', { path: p(path), name, value: value.toString('base64'), ...(o?.flag ? { flag: o.flag } : {}) }, o);
    },
    async removeXattr(path, name, o) {
      await post('/v1/fs/xattr/remove', { path: p(path), name }, o);
    },
    statfs: (o) => get<StatfsInfo>('/v1/fs/statfs', {}, o),
    remove: async (path, o) => (await post<{ removed: number }>('/v1/fs/remove', { path: p(path), ...(o?.recursive ? { recursive: true } : {}) }, o)).removed,
    async unlink(path, o) {
      const res = await post<{ removed: number; parent?: EntryInfo }>('/v1/fs/remove', { path: p(path) }, o);
      const dir = parentOf(p(path));
      // only a directory entry of the right path (older controllers send none)
      const parent = res.parent && typeof res.parent === 'object' && res.parent.kind === 'dir' && res.parent.path === dir ? res.parent : undefined;
      return { removed: res.removed, ...(parent ? { parent } : {}) };
    },
    async unlinkMany(paths, o) {
      if (paths.length === 0 || paths.length > REMOVE_MANY_MAX) throw errors.invalid(`unlinkMany takes 1 to ${REMOVE_MANY_MAX} paths, not ${paths.length}`);
      const res = await post<{ results?: unknown }>('/v1/fs/remove-many', { paths: paths.map(p) }, o);
      return removeOutcomes(res.results, paths.length);
    },
    rename: (from, to, o) => post<EntryInfo>('/v1/fs/rename', { from: p(from), to: p(to) }, o),
    setattr: (path, attrs, o) => post<EntryInfo>('/v1/fs/setattr', { path: p(path), ...attrs }, o),
    tag: (path, change, o) => post<EntryInfo>('/v1/fs/tags', { path: p(path), ...change }, o),
    status: (o) => get<ClusterStatus>('/v1/status', {}, o),

    async uploadFile(localPath, remotePath, o = {}) {
      const st = await fsStat(localPath).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? errors.notFound(`No such local file: ${localPath}`) : err;
      });
      if (!st.isFile()) throw errors.invalid(`Not a regular file: ${localPath}`);
      // chunk buffers are reused once stored: memory stays at `concurrency` chunks without waiting for the GC
      const pool = new BufferPool(opts.chunkSizeBytes, opts.concurrency + 1);
      return uploadFrom(fileChunks(localPath, opts.chunkSizeBytes, pool), remotePath, { mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, replaces: true, ...o }, st.size, pool);
    },
    uploadStream: (source, remotePath, o = {}) => uploadFrom(chunkStream(source, opts.chunkSizeBytes), remotePath, { replaces: true, ...o }),

    async commitChunks(remotePath, chunks: StagedChunk[], size, o = {}) {
      // refs of lazy chunks are known once loaded (during the upload)
      const refs = chunks.map((c): ChunkRef | undefined => {
        if (c.data) return { id: idOf(c.data), size: c.data.length };
        if (c.load) {
          if (!Number.isInteger(c.sizeBytes) || c.sizeBytes! < 0) throw errors.invalid(`Staged chunk ${c.index} has a loader but no size`);
          return undefined;
        }
        if (c.ref) return c.ref;
        throw errors.invalid(`Staged chunk ${c.index} has neither data, loader nor ref`);
      });
      const total = chunks.reduce((n, c, i) => n + (refs[i]?.size ?? c.sizeBytes!), 0);
      // chunks stored earlier (storeChunk) bring their receipts
      const stored: Receipts = {};
      for (const c of chunks) if (c.ref && c.receipts) stored[c.ref.id] = c.receipts;
      if (total !== size) throw errors.invalid(`Staged chunks cover ${total} bytes, size is ${size}`);
      async function* fresh(): AsyncGenerator<ChunkToStore> {
        for (const [i, c] of chunks.entries()) {
          if (c.data) yield { ref: refs[i]!, data: c.data };
          else if (c.load) {
            const loaded = await c.load();
            if (loaded.data.length !== c.sizeBytes || loaded.ref.size !== c.sizeBytes) {
              throw errors.invalid(`Staged chunk ${c.index} loaded ${loaded.data.length} bytes, ${c.sizeBytes} expected`);
            }
            refs[i] = loaded.ref;
            yield loaded;
          }
        }
      }
      let doneBytes = 0;
      const receipts = await storeChunks(ctx, fresh(), {
        signal: o.signal,
        onStored: (n) => {
          doneBytes += n;
          o.onProgress?.({ doneBytes, totalBytes: size });
        },
      });
      return commit(remotePath, refs as ChunkRef[], { ...stored, ...receipts }, size, o);
    },

    async commitExtents(remotePath, spans, fresh, size, o = {}) {
      // the new chunks go first (each with quorum), inline ones in the commit; the record then names them and the old ones
      const stored: Receipts = {};
      for (const f of fresh) if (!f.data && f.receipts) stored[f.ref.id] = f.receipts;
      const limits = client.inlineChunkLimits!;
      for (const f of fresh) if (f.inline && (!f.data || f.data.length > limits.chunkMaxBytes)) f.inline = false;
      const toStore = async function* (only: FreshChunk[]): AsyncGenerator<ChunkToStore> {
        for (const f of only) if (f.data) yield { ref: f.ref, data: f.data };
      };
      // phase timings (debug log; bench/fsync-latency.ts reads them): placement, PUTs, commit
      const t0 = performance.now();
      let placedAt = t0;
      const outside = fresh.filter((f) => !f.inline);
      const receipts = outside.some((f) => f.data) ? await storeChunks(ctx, toStore(outside), { signal: o.signal, onPlaced: () => { placedAt = performance.now(); } }) : {};
      const t1 = performance.now();
      const rec = toRecord(spans, size);
      const inside = fresh.filter((f) => f.inline);
      const inlineChunks = inside.length > 0 ? Object.fromEntries(inside.map((f) => [f.ref.id, f.data!.toString('base64')])) : undefined;
      let entry: EntryInfo;
      try {
        entry = await commit(remotePath, rec.chunks, { ...stored, ...receipts }, size, o, undefined, rec.extents, inlineChunks);
      } catch (err) {
        if (!inlineChunks || !refusedInlineChunks(err)) throw err;
        // an older controller (no such field) or a lower INLINE_MAX: those chunks go to the chunkservers after all
        for (const f of inside) f.inline = false;
        const more = await storeChunks(ctx, toStore(inside), { signal: o.signal });
        entry = await commit(remotePath, rec.chunks, { ...stored, ...receipts, ...more }, size, o, undefined, rec.extents);
      }
      const ms = (x: number): number => Math.round(x * 100) / 100;
      logger.debug({
        path: p(remotePath), sizeBytes: size, newChunks: fresh.length, inlineChunks: inside.filter((f) => f.inline).length, extents: rec.extents?.length ?? 0,
        placementMs: ms(placedAt - t0), putMs: ms(t1 - placedAt), commitMs: ms(performance.now() - t1),
      }, 'Committed extents');
      return entry;
    },

    get inlineChunkLimits() {
      return known.inlineChunks ? inlineChunkLimits(inlineMax) : { chunkMaxBytes: 0, recordMaxBytes: 0 };
    },

    async storeChunk(data, o) {
      const ref = { id: await client.chunkId(data), size: data.length };
      const receipts = await storeChunks(ctx, (async function* one() { yield { ref, data }; })(), { signal: o?.signal });
      return { ref, receipts: receipts[ref.id] ?? [] };
    },

    readPlan: (path, o) => get<ReadPlan>('/v1/fs/read', { path: p(path) }, o),
    // v1 SHA-256 on the thread pool; BLAKE3 blocks cost ~1 ms per 4 MiB on the loop
    chunkId: async (data) => (format === 'sha256' ? sha256HexAsync(data) : idOf(data)),
    fetchChunk: (chunk, o) => fetchChunk(ctx, chunk, o?.signal, o?.deadlineMs, o?.into),
    fetchRange: (chunk, from, to, o) => fetchRange(ctx, blockLists, chunk, from, to, o?.signal, o?.deadlineMs),

    async downloadFile(remotePath, localPath, o: DownloadOptions = {}) {
      const plan = await client.readPlan(remotePath, o);
      if (plan.entry.kind !== 'file') throw errors.isDir(`Not a file: ${plan.entry.path}`, { path: plan.entry.path });
      await downloadToFile(ctx, plan, localPath, {
        ...o, fetchRange: (chunk, from, to, signal) => fetchRange(ctx, blockLists, chunk, from, to, signal),
      });
      return plan.entry;
    },
  };
  return client;
}

/** A remove-many answer, checked: one outcome per path sent, each `{ ok: true }` or a code and message. */
function removeOutcomes(results: unknown, n: number): RemoveOutcome[] {
  if (!Array.isArray(results) || results.length !== n) throw errors.unavailable(`remove-many answered ${Array.isArray(results) ? results.length : 'no'} results for ${n} paths`);
  return results.map((r: unknown): RemoveOutcome => {
    const o = r as { ok?: unknown; code?: unknown; message?: unknown } | null;
    if (o?.ok === true) return { ok: true };
    if (o?.ok === false && typeof o.code === 'string' && typeof o.message === 'string') return { ok: false, code: o.code, message: o.message };
    throw errors.unavailable('remove-many answered a malformed result');
  });
}
