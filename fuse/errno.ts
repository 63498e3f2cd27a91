/**
 * Error → errno for the FUSE driver: a RedCloudError's code goes through the one error table
 * (ERROR_TABLE[code].errno), FUSE-only conditions (ENODATA, EBADF, ENOTSUP…) are FuseErrnoErrors,
 * and anything else is EIO. Values are negative, as fuse-native callbacks expect. Pure.
 */
import { constants } from 'node:os';
import { ERROR_TABLE, RedCloudError } from '../src/common/errors.js';

export type ErrnoName = keyof typeof constants.errno;

/**
 * A failure that only exists at the POSIX boundary (no RedCloud code for it). An answer, not a
 * fault: built without a stack trace (`ls -l` gets ENODATA for an xattr of every file, and
 * capturing the stack was a tenth of the mount's time for it).
 */
export class FuseErrnoError extends Error {
  readonly errnoName: ErrnoName;
  constructor(errnoName: ErrnoName, message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'FuseErrnoError';
    this.errnoName = errnoName;
  }
}

export const fuseErrors = {
  noData: (message: string) => new FuseErrnoError('ENODATA', message),
  badFd: (fd: number) => new FuseErrnoError('EBADF', `Unknown file handle ${fd}`),
  notSupported: (message: string) => new FuseErrnoError('ENOTSUP', message),
  range: (message: string) => new FuseErrnoError('ERANGE', message),
};

/** Negative errno for a name, e.g. 'ENOENT' → -2 (EIO if the platform lacks the name). */
export function errnoOf(name: string): number {
  const n = (constants.errno as Record<string, number>)[name];
  return -(n ?? constants.errno.EIO);
}

/** Errors of the mount's own local files (staging) that the caller should see as they are. */
const LOCAL_ERRNOS = new Set<string>(['EFBIG', 'ENOSPC', 'EDQUOT']);

/** The negative errno for anything thrown, and whether it was an expected (known) failure. */
export function errnoFor(err: unknown): { errno: number; known: boolean } {
  if (err instanceof FuseErrnoError) return { errno: errnoOf(err.errnoName), known: true };
  if (err instanceof RedCloudError) return { errno: errnoOf(ERROR_TABLE[err.code].errno), known: true };
  const local = err as NodeJS.ErrnoException | undefined;
  if (typeof local?.code === 'string' && typeof local.syscall === 'string' && LOCAL_ERRNOS.has(local.code)) {
    return { errno: errnoOf(local.code), known: true };
  }
  return { errno: errnoOf('EIO'), known: false };
}
