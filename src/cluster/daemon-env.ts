/**
 * Which configuration `redcloud cluster up` passes to its daemons (pure): every variable of the
 * controller and chunkserver schemas (src/common/config.ts) found in the launcher's environment or
 * given as `--env KEY=VALUE` (which wins), minus those the launcher sets per node itself (addresses,
 * ports, data directories, node ids, peers, TLS files), validated with each role's schema before
 * any process starts. A bad value is an INVALID error naming the variable.
 */
import { chunkserverSchema, controllerSchema, loadConfig, type VarSpec } from '../common/config.js';
import { errors, RedCloudError } from '../common/errors.js';

export type DaemonRole = 'controller' | 'chunkserver';

/** Set by the launcher for each node (or by its flags: --net, --data, --tls-*); never taken from outside. */
export const LAUNCHER_OWNED = [
  'BIND_ADDR', 'ADVERTISE_ADDR', 'PORT', 'DATA_DIR', 'CONTROLLER_PEERS', 'CONTROLLER_DNS', 'CONTROLLER_DNS_PORT',
  'CONTROLLER_NODE_ID', 'CHUNKSERVER_NODE_ID', 'TLS_CERT', 'TLS_KEY', 'TLS_CA',
] as const;

/** The launcher's own defaults, overridable: chunkservers heartbeat every 2 s (the daemon default is 5 s). */
export const LAUNCHER_DEFAULTS: Record<DaemonRole, Record<string, string>> = {
  controller: {},
  chunkserver: { HEARTBEAT_INTERVAL: '2s' },
};

const schemaOf = (role: DaemonRole): Record<string, VarSpec<unknown>> => (role === 'controller' ? controllerSchema : chunkserverSchema);

function namesOf(role: DaemonRole): Set<string> {
  return new Set(Object.values(schemaOf(role)).map((s) => s.env));
}

/** Every variable a controller or a chunkserver reads, sorted. */
export function daemonVariables(): string[] {
  return [...new Set([...namesOf('controller'), ...namesOf('chunkserver')])].sort();
}

/** `--env KEY=VALUE` flags → an object; a malformed flag, an unknown or launcher-owned KEY is INVALID. */
export function parseEnvFlags(flags: readonly string[]): Record<string, string> {
  const known = new Set(daemonVariables());
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const key = eq > 0 ? flag.slice(0, eq) : '';
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw errors.invalid(`--env ${flag}: expected KEY=VALUE, e.g. --env HEARTBEAT_TIMEOUT=10s`);
    if ((LAUNCHER_OWNED as readonly string[]).includes(key)) {
      throw errors.invalid(`--env ${key}: set by the launcher for each node (use --net, --data or --tls-cert/--tls-key/--tls-ca)`);
    }
    if (!known.has(key)) throw errors.invalid(`--env ${key}: not a controller or chunkserver variable (see the configuration table in the README)`);
    out[key] = flag.slice(eq + 1);
  }
  return out;
}

export interface DaemonSettings {
  /** the variables given (environment and --env), as passed to the daemons that read them */
  given: Record<string, string>;
  /** launcher-owned variables found in the environment and ignored */
  ignored: string[];
  /** the extra environment of each role: launcher defaults, then the given variables it reads */
  byRole: Record<DaemonRole, Record<string, string>>;
}

/**
 * The daemon configuration from the launcher's environment and the --env flags (already parsed),
 * validated per role; throws INVALID listing every bad variable (`HEARTBEAT_TIMEOUT: "banana" is not
 * a duration …`).
 */
export function selectDaemonEnv(parentEnv: NodeJS.ProcessEnv, envFlags: Record<string, string>): DaemonSettings {
  const owned = new Set<string>(LAUNCHER_OWNED);
  const given: Record<string, string> = {};
  const ignored: string[] = [];
  for (const name of daemonVariables()) {
    const value = parentEnv[name];
    if (value === undefined) continue;
    if (owned.has(name)) ignored.push(name);
    else given[name] = value;
  }
  Object.assign(given, envFlags);
  const byRole = {} as Record<DaemonRole, Record<string, string>>;
  const problems: string[] = [];
  for (const role of ['controller', 'chunkserver'] as const) {
    const names = namesOf(role);
    const env: Record<string, string> = { ...LAUNCHER_DEFAULTS[role] };
    for (const [k, val] of Object.entries(given)) if (names.has(k)) env[k] = val;
    byRole[role] = env;
    try {
      loadConfig(schemaOf(role), env);
    } catch (err) {
      if (!(err instanceof RedCloudError)) throw err;
      const list = (err.info?.problems as string[] | undefined) ?? [err.message];
      for (const p of list) if (!problems.includes(p)) problems.push(p);
    }
  }
  if (problems.length > 0) {
    throw errors.invalid(`Invalid configuration for the daemons (nothing was started):\n  ${problems.join('\n  ')}`, { problems });
  }
  return { given, ignored, byRole };
}

/** One line for the launcher's output: `HEARTBEAT_TIMEOUT=10s REPAIR_INTERVAL=20s` (secrets hidden). */
export function describeSettings(given: Record<string, string>): string {
  const secret = new Set(Object.values({ ...controllerSchema, ...chunkserverSchema }).filter((s) => s.secret).map((s) => s.env));
  return Object.keys(given).sort().map((k) => `${k}=${secret.has(k) ? '[redacted]' : given[k]}`).join(' ');
}
