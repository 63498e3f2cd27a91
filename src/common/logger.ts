/**
 * Structured logs: one JSON object a line with level, time, node and msg (pino). One root logger
 * per process, a child per component: `log.child({ component: 'gossip' })`, object first and
 * message second, errors under `err`. Secrets, passwords and tokens are redacted wherever they
 * appear in a logged object.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const REDACT_PATHS = [
  'password', 'token', 'secret', 'clusterSecret', 'authorization', 'cap', 'capability',
  '*.password', '*.token', '*.secret', '*.clusterSecret', '*.authorization', '*.cap', '*.capability',
  'req.headers.authorization', 'req.headers["x-redcloud-cap"]', 'req.headers["x-redcloud-cluster"]',
];

export function createLogger(opts: { node: string; level?: LogLevel; role?: string; fd?: 1 | 2 }): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { node: opts.node, ...(opts.role ? { role: opts.role } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    pino.destination({ fd: opts.fd ?? 1, sync: true }),
  );
}

/** A logger that discards everything, for unit tests and libraries used without one. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
