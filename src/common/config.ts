/**
 * The one configuration schema. Every environment variable RedCloud reads is declared here with
 * its type, default, range and a line of doc; `process.env` is read here and nowhere else. Bad
 * values are all reported together at start, naming the variable. The README's configuration
 * table is generated from these schemas (`node dist/src/common/config-table.js`).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { RedCloudError } from './errors.js';
import { parseQuotaUsers, type QuotaUsers } from './quota-spec.js';

export interface VarSpec<T> {
  env: string;
  doc: string;
  /** Shown in the docs table; the parsed default is `parse(defaultRaw)` unless `defaultValue` is given. */
  defaultRaw: string;
  parse: (raw: string) => T;
  secret?: boolean;
}

type Schema = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends Schema> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

class ParseError extends Error {}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
};

/** "30" (seconds), "30s", "500ms", "5m", "1h", "7d" → milliseconds. */
export function parseDurationMs(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(raw);
  if (!m) throw new ParseError(`"${raw}" is not a duration (e.g. 30, 30s, 500ms, 5m, 1h)`);
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 's').toLowerCase()]!);
}

/** "4194304", "4MiB", "4M", "1.5G" → bytes. */
export function parseBytes(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ParseError(`"${raw}" is not a size (e.g. 4194304, 4MiB, 1G)`);
  return Math.round(Number(m[1]) * unit);
}

export const v = {
  str: (env: string, defaultRaw: string, doc: string, opts: { secret?: boolean; pattern?: RegExp } = {}): VarSpec<string> => ({
    env, defaultRaw, doc, secret: opts.secret,
    parse: (raw) => {
      if (opts.pattern && !opts.pattern.test(raw)) throw new ParseError(`"${raw}" does not match ${opts.pattern}`);
      return raw;
    },
  }),
  int: (env: string, defaultRaw: string, doc: string, min: number, max: number): VarSpec<number> => ({
    env, defaultRaw, doc,
    parse: (raw) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new ParseError(`"${raw}" is not an integer in [${min}, ${max}]`);
      return n;
    },
  }),
  durationMs: (env: string, defaultRaw: string, doc: string, minMs = 1, maxMs = 365 * 86_400_000): VarSpec<number> => ({
    env, defaultRaw, doc,
    parse: (raw) => {
      const ms = parseDurationMs(raw);
      if (ms < minMs || ms > maxMs) throw new ParseError(`"${raw}" is outside [${minMs} ms, ${maxMs} ms]`);
      return ms;
    },
  }),
  bytes: (env: string, defaultRaw: string, doc: string, min = 0, max = Number.MAX_SAFE_INTEGER): VarSpec<number> => ({
    env, defaultRaw, doc,
    parse: (raw) => {
      const n = parseBytes(raw);
      if (n < min || n > max) throw new ParseError(`"${raw}" is outside [${min}, ${max}] bytes`);
      return n;
    },
  }),
  /** Comma- or space-separated list; empty string → []. */
  list: (env: string, defaultRaw: string, doc: string): VarSpec<string[]> => ({
    env, defaultRaw, doc,
    parse: (raw) => raw.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean),
  }),
  oneOf: <T extends string>(env: string, defaultRaw: T, doc: string, values: readonly T[]): VarSpec<T> => ({
    env, defaultRaw, doc,
    parse: (raw) => {
      if (!(values as readonly string[]).includes(raw)) throw new ParseError(`"${raw}" is not one of ${values.join(', ')}`);
      return raw as T;
    },
  }),
  bool: (env: string, defaultRaw: 'true' | 'false', doc: string): VarSpec<boolean> => ({
    env, defaultRaw, doc,
    parse: (raw) => {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new ParseError(`"${raw}" is not a boolean (true/false)`);
    },
  }),
};

/** "all" or a positive integer. */
export type ReplicationFactor = 'all' | number;
function replicationFactor(env: string, defaultRaw: string, doc: string): VarSpec<ReplicationFactor> {
  return {
    env, defaultRaw, doc,
    parse: (raw) => {
      if (raw === 'all') return 'all';
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new ParseError(`"${raw}" is neither "all" nor an integer in [1, 64]`);
      return n;
    },
  };
}

function quotaUsers(env: string, defaultRaw: string, doc: string): VarSpec<QuotaUsers> {
  return {
    env, defaultRaw, doc,
    parse: (raw) => {
      try {
        return parseQuotaUsers(raw, parseBytes);
      } catch (err) {
        throw new ParseError((err as Error).message);
      }
    },
  };
}

/** Account names (as registered) or `*` for any account; at least one. */
function accountList(env: string, defaultRaw: string, doc: string): VarSpec<string[]> {
  return {
    env, defaultRaw, doc,
    parse: (raw) => {
      const names = raw.split(/[\s,]+/).filter(Boolean);
      if (names.length === 0) throw new ParseError('names no account (give account names, or * for any account)');
      // the account name rule of src/common/paths.ts USER_NAME_RE
      const bad = names.find((n) => n !== '*' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(n));
      if (bad !== undefined) throw new ParseError(`"${bad}" is neither an account name nor *`);
      return names;
    },
  };
}

export const DEV_CLUSTER_SECRET = 'redcloud-insecure-dev-secret';

const common = {
  clusterSecret: v.str('CLUSTER_SECRET', DEV_CLUSTER_SECRET,
    'Shared secret of controllers and chunkservers; authenticates internal calls and signs tokens and capabilities. The default is for local development only and is logged as a warning.',
    { secret: true }),
  clusterSecretFile: v.str('CLUSTER_SECRET_FILE', '',
    'File whose content (trimmed) is CLUSTER_SECRET when that is unset, e.g. a Docker secret at /run/secrets/redcloud_cluster_secret.'),
  allowDevSecret: v.bool('REDCLOUD_ALLOW_DEV_SECRET', 'false',
    'Let a daemon on a non-loopback BIND_ADDR start with the development CLUSTER_SECRET (throwaway clusters only).'),
  bindAddr: v.str('BIND_ADDR', '0.0.0.0', 'Address the daemon listens on.'),
  advertiseAddr: v.str('ADVERTISE_ADDR', '', 'Address other nodes use to reach this one (default: BIND_ADDR unless it is 0.0.0.0, else the address this machine reaches the first CONTROLLER_PEERS/CONTROLLER_DNS controller from, else that of the default route).'),
  logLevel: v.oneOf('LOG_LEVEL', 'info', 'Log level.', ['debug', 'info', 'warn', 'error'] as const),
  controllerPeers: v.list('CONTROLLER_PEERS', '', 'Controllers to contact at start, as host:port list (comma-separated).'),
  controllerDns: v.str('CONTROLLER_DNS', 'controller', 'DNS name whose every A record is a controller (port CONTROLLER_DNS_PORT); empty to disable.'),
  controllerDnsPort: v.int('CONTROLLER_DNS_PORT', '8000', 'Port of the controllers found through CONTROLLER_DNS.', 1, 65535),
  requestTimeoutMs: v.durationMs('REQUEST_TIMEOUT', '10s', 'Timeout of one internal HTTP call.'),
  maxBodyBytes: v.bytes('MAX_BODY_BYTES', '8MiB', 'Largest JSON request body accepted.', 1024),
  tlsCert: v.str('TLS_CERT', '', 'PEM certificate file: serve HTTPS instead of HTTP (with TLS_KEY); empty for plain HTTP.'),
  tlsKey: v.str('TLS_KEY', '', 'PEM private key file of TLS_CERT.', { secret: true }),
  tlsCa: v.str('TLS_CA', '', 'PEM CA bundle that peers\' HTTPS certificates are verified against (default: the system CAs).'),
};

export const controllerSchema = {
  ...common,
  nodeId: v.str('CONTROLLER_NODE_ID', '', 'Node id (default: hostname-timestamp, generated once and kept in the data directory).',
    { pattern: /^$|^[A-Za-z0-9._-]{1,64}$/ }),
  port: v.int('PORT', '8000', 'HTTP port.', 0, 65535),
  dataDir: v.str('DATA_DIR', '/app/data', 'Data directory; the database is DATA_DIR/controller-<id>/redcloud.db.'),
  gossipIntervalMs: v.durationMs('GOSSIP_INTERVAL', '1s', 'Interval between gossip rounds.', 10),
  gossipFanout: v.int('GOSSIP_FANOUT', '2', 'Peers contacted per gossip round.', 1, 16),
  peerForgetAfterMs: v.durationMs('PEER_FORGET_AFTER', '24h', 'A controller learned through gossip and silent for this long leaves the membership (CONTROLLER_PEERS stay).', 1000),
  antiEntropyIntervalMs: v.durationMs('ANTI_ENTROPY_INTERVAL', '30s', 'Interval between bucket-hash anti-entropy rounds.', 100),
  heartbeatTimeoutMs: v.durationMs('HEARTBEAT_TIMEOUT', '30s', 'A chunkserver silent for longer is marked failed.', 100),
  repairIntervalMs: v.durationMs('REPAIR_INTERVAL', '60s', 'Interval between repair cycles (also run on membership change).', 100),
  replicationFactor: replicationFactor('REPLICATION_FACTOR', 'all', 'Replicas per chunk: "all" (every healthy chunkserver) or N (rendezvous placement).'),
  writeQuorum: v.int('WRITE_QUORUM', '1', 'Replicas each chunk needs before a write is acknowledged.', 1, 64),
  placementWaitMs: v.durationMs('PLACEMENT_WAIT', '10s', 'How long a write that finds fewer than WRITE_QUORUM chunkservers waits for more (heartbeats, peer controllers) before answering UNAVAILABLE; default two HEARTBEAT_INTERVALs; 0 to answer at once.', 0),
  tombstoneTtlMs: v.durationMs('TOMBSTONE_TTL', '7d', 'Minimum age before a tombstone every peer has may be collected.', 1000),
  gcGraceMs: v.durationMs('GC_GRACE', '1h', 'Unreferenced chunks older than this are deleted.', 1000),
  trashTtlMs: v.durationMs('TRASH_TTL', '24h', 'How long a removed or replaced file or directory stays in its user\'s trash (redcloud trash ls) before it is removed for good and its chunks become garbage; 0 removes at once.', 0),
  tokenTtlMs: v.durationMs('TOKEN_TTL', '24h', 'Lifetime of a login token.', 1000),
  loginLockMs: v.durationMs('LOGIN_LOCK', '5s', 'First lock of a user name (5 attempts) or address (20) after failed logins; doubles with each further attempt, up to 15 min.', 100, 15 * 60_000),
  registerLimit: v.int('REGISTER_LIMIT', '20', 'Registrations accepted from one remote address per 10 minutes.', 1, 1_000_000),
  capabilityTtlMs: v.durationMs('CAPABILITY_TTL', '10m', 'Lifetime of a chunk capability.', 1000),
  replicaPipeline: v.oneOf('REPLICA_PIPELINE', 'off', 'How clients send a chunk to its REPLICATION_FACTOR chunkservers: off (the client sends every copy itself) or on (once, to the first, which streams it on to the next while storing it, as MooseFS and GFS do; a hop that fails is sent directly): on saves the client 2/3 of its sends, but the chunkservers spend that CPU forwarding and the mount wrote ~12% slower on one 2-core machine (bench/write-path.ts).', ['on', 'off'] as const),
  chunkSizeBytes: v.bytes('CHUNK_SIZE', '4MiB', 'Chunk size announced to clients.', 64 * 1024, 64 * 1024 ** 2),
  inlineMaxBytes: v.bytes('INLINE_MAX', '64KiB', 'Largest file kept inside its inode record instead of chunks (one commit to write, no chunkserver to read), and the most bytes of inline chunks (small fsynced writes of a larger file) one record holds; larger inline commits are refused (413 TOO_LARGE) and clients fall back to chunks; 0 disables both.', 0, 1024 ** 2),
  tagsPerFileMax: v.int('TAGS_PER_FILE_MAX', '256', 'Tags one file may have; adding more is refused (413 TOO_LARGE).', 1, 1_000_000),
  tagsPerUserMax: v.int('TAGS_PER_USER_MAX', '100000', 'Tags (file, tag pairs) one user may have over all files; adding more is refused (413 TOO_LARGE).', 1, 100_000_000),
  reportBadPerUserMax: v.int('REPORT_BAD_PER_USER_MAX', '30', 'Bad-replica reports one user may send per minute; more are refused (429 THROTTLED).', 1, 100_000),
  reportBadIntervalMs: v.durationMs('REPORT_BAD_INTERVAL', '10m', 'A reported replica is re-verified at most once per this interval; further reports are coalesced.', 0),
  placementChunksMax: v.int('PLACEMENT_CHUNKS_MAX', '1024', 'Chunks one placement request may ask for (clients ask in batches of 64); more is refused (413 TOO_LARGE).', 1, 262_144),
  quotaBytes: v.bytes('QUOTA_BYTES', '0', 'Logical bytes of files each account may store (0: no limit); a write past it fails with QUOTA_EXCEEDED (EDQUOT in the mount, exit 10). Overridden per user by QUOTA_USERS; give every controller the same quota settings.'),
  quotaFiles: v.int('QUOTA_FILES', '0', 'Inodes (files, directories, links, the root) each account may have (0: no limit).', 0, Number.MAX_SAFE_INTEGER),
  quotaRawBytes: v.bytes('QUOTA_RAW_BYTES', '0', 'Bytes each account may store counting every copy (logical bytes × the copies each chunk gets now; 0: no limit).'),
  quotaUsers: quotaUsers('QUOTA_USERS', '', 'Per-user quotas over the QUOTA_* defaults: USER:KEY=VALUE[,KEY=VALUE] separated by ";", keys bytes, files, raw-bytes, e.g. "alice:bytes=10G,files=100000;bob:bytes=0" (0: no limit).'),
  statusPage: v.oneOf('STATUS_PAGE', 'public', 'The read-only status page (GET /ui) and its JSON (GET /v1/cluster-view): public (no login; cluster health only, never file names or user data), login (a login of an account STATUS_PAGE_USERS admits), off (404).',
    ['public', 'login', 'off'] as const),
  statusPageUsers: accountList('STATUS_PAGE_USERS', '*', 'With STATUS_PAGE=login, the accounts that may see the cluster view (comma-separated); * lets any account in, and registration is open: anyone who reaches the port can make one.'),
};

export const chunkserverSchema = {
  ...common,
  nodeId: v.str('CHUNKSERVER_NODE_ID', '', 'Node id (default: hostname-timestamp, generated once and kept in the data directory).',
    { pattern: /^$|^[A-Za-z0-9._-]{1,64}$/ }),
  port: v.int('PORT', '9000', 'HTTP port.', 0, 65535),
  dataDir: v.str('DATA_DIR', '/app/data', 'Data directory; chunks live in DATA_DIR/chunks/<aa>/<id>, block lists beside them in <id>.<format>.'),
  heartbeatIntervalMs: v.durationMs('HEARTBEAT_INTERVAL', '5s', 'Interval between heartbeats to each controller.', 10),
  fullInventoryIntervalMs: v.durationMs('FULL_INVENTORY_INTERVAL', '5m', 'Interval between full chunk inventories (deltas in between).', 100),
  capacityBytes: v.bytes('CAPACITY_BYTES', '0', 'Quota for stored chunks; 0 means the free space of the disk.'),
  minFreeBytes: v.bytes('MIN_FREE_BYTES', '64MiB', 'Refuse new chunks when free space would fall below this.'),
  scrubIntervalMs: v.durationMs('SCRUB_INTERVAL', '1h', 'Interval between full scrubs of stored chunks.', 100),
  scrubRateBytes: v.bytes('SCRUB_RATE', '32MiB', 'Bytes per second the scrubber may read.', 1024),
  replicationInflightMax: v.int('REPLICATION_INFLIGHT_MAX', '4', 'Chunk copies this chunkserver pulls at once.', 1, 64),
  putStallTimeoutMs: v.durationMs('PUT_STALL_TIMEOUT', '20s', 'A chunk upload whose body sends nothing for this long is answered 408 and cut off (space is only reserved as bytes arrive).', 100),
  putsPerClientMax: v.int('PUTS_PER_CLIENT_MAX', '64', 'Chunk uploads one client address may have in flight; more are refused with 429.', 1, 4096),
};

export const clientSchema = {
  controllers: v.list('REDCLOUD_CONTROLLERS', '', 'Controller URLs for the CLI and the mount (comma-separated); overrides what login saved.'),
  configDir: v.str('REDCLOUD_CONFIG_DIR', '', 'Where the CLI keeps its token and controller list (default ~/.config/redcloud).'),
  chunkSizeBytes: v.bytes('CHUNK_SIZE', '4MiB', 'Chunk size of uploads.', 64 * 1024, 64 * 1024 ** 2),
  inlineMaxBytes: v.bytes('INLINE_MAX', '64KiB', 'Files up to this size are written inside their inode record (one commit, no chunkserver), and so are new chunks of up to this size of a larger file (a small write + fsync), while the record holds at most this many bytes of them; 0: always chunks.', 0, 1024 ** 2),
  chunkFormat: v.oneOf('CHUNK_FORMAT', 'b3-64k', 'Format of new chunks: b3-64k (BLAKE3 per 64 KiB block, any range verified alone), sha256 (whole-chunk SHA-256 as before 2026-12, for chunkservers not yet upgraded) or s256-64k (SHA-256 per block, for comparison).', ['b3-64k', 'sha256', 's256-64k'] as const),
  uploadConcurrency: v.int('UPLOAD_CONCURRENCY', '8', 'Chunk transfers in flight per upload or download.', 1, 64),
  requestTimeoutMs: v.durationMs('REQUEST_TIMEOUT', '30s', 'Timeout of one HTTP call from the client.'),
  logLevel: v.oneOf('LOG_LEVEL', 'warn', 'Log level.', ['debug', 'info', 'warn', 'error'] as const),
  tlsCa: v.str('TLS_CA', '', 'PEM CA bundle that HTTPS controllers and chunkservers are verified against (default: the system CAs).'),
  tagsDir: v.str('REDCLOUD_TAGS_DIR', '.tags', 'Name of the mount\'s virtual tag-query directory at its root (hidden from `ls /`; empty: none); `redcloud mount --tags-dir` overrides it.'),
  downloadDir: v.str('REDCLOUD_DOWNLOAD_DIR', '', 'Where `download NAME` without DEST writes when that directory exists (default: the working directory; the CLI image sets /downloads).'),
};

/** CLUSTER_SECRET from CLUSTER_SECRET_FILE when only the file is given (Docker secrets). */
function withSecretFile(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = env.CLUSTER_SECRET_FILE;
  if (!file || env.CLUSTER_SECRET !== undefined) return env;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new RedCloudError('INVALID', `Invalid configuration:\n  CLUSTER_SECRET_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (text === '') throw new RedCloudError('INVALID', `Invalid configuration:\n  CLUSTER_SECRET_FILE: ${file} is empty`);
  return { ...env, CLUSTER_SECRET: text };
}

export function loadConfig<S extends Schema>(schema: S, rawEnv: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const env = 'clusterSecret' in schema ? withSecretFile(rawEnv) : rawEnv;
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(schema)) {
    const raw = env[spec.env];
    const value = raw === undefined ? spec.defaultRaw : raw;
    try {
      out[key] = spec.parse(value);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      problems.push(`${spec.env}: ${err.message}`);
    }
  }
  if (problems.length > 0) {
    throw new RedCloudError('INVALID', `Invalid configuration:\n  ${problems.join('\n  ')}`, { problems });
  }
  return out as ConfigOf<S>;
}

/** The configuration with secrets replaced, for the start-up log line. */
export function redactConfig<S extends Schema>(schema: S, config: ConfigOf<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    out[key] = spec.secret ? '[redacted]' : (config as Record<string, unknown>)[key];
  }
  return out;
}

export function defaultNodeId(now: number): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${now}`;
}
