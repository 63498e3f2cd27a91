/**
 * The one error catalogue: every failure RedCloud reports has a code, and this table maps each
 * code to its HTTP status (daemons) and its errno (the FUSE driver) and its CLI exit code. A code
 * travels unchanged from a chunkserver through the client to the FUSE errno or the CLI's exit.
 */

export const ERROR_TABLE = {
  INVALID: { status: 400, errno: 'EINVAL', exit: 2 },
  UNAUTHORIZED: { status: 401, errno: 'EACCES', exit: 3 },
  FORBIDDEN: { status: 403, errno: 'EACCES', exit: 3 },
  NOT_FOUND: { status: 404, errno: 'ENOENT', exit: 4 },
  EXISTS: { status: 409, errno: 'EEXIST', exit: 5 },
  /** the session's account lost its name to an account created earlier (a concurrent registration) */
  NAME_TAKEN: { status: 409, errno: 'EACCES', exit: 5 },
  NOT_EMPTY: { status: 409, errno: 'ENOTEMPTY', exit: 5 },
  NOT_DIR: { status: 409, errno: 'ENOTDIR', exit: 5 },
  IS_DIR: { status: 409, errno: 'EISDIR', exit: 5 },
  TOO_LARGE: { status: 413, errno: 'EFBIG', exit: 2 },
  NAME_TOO_LONG: { status: 414, errno: 'ENAMETOOLONG', exit: 2 },
  NOT_PERMITTED: { status: 403, errno: 'EPERM', exit: 3 },
  /** a write into a snapshot (snapshots are read-only) */
  READ_ONLY: { status: 403, errno: 'EROFS', exit: 3 },
  NO_XATTR: { status: 404, errno: 'ENODATA', exit: 4 },
  LOOP: { status: 508, errno: 'ELOOP', exit: 2 },
  TOO_MANY_LINKS: { status: 409, errno: 'EMLINK', exit: 5 },
  INTEGRITY: { status: 422, errno: 'EIO', exit: 6 },
  THROTTLED: { status: 429, errno: 'EAGAIN', exit: 7 },
  NOT_SUPPORTED: { status: 501, errno: 'ENOTSUP', exit: 2 },
  UNAVAILABLE: { status: 503, errno: 'EIO', exit: 8 },
  TIMEOUT: { status: 504, errno: 'ETIMEDOUT', exit: 8 },
  NO_SPACE: { status: 507, errno: 'ENOSPC', exit: 9 },
  /** the write would take the account past its quota (QUOTA_BYTES, QUOTA_FILES, QUOTA_RAW_BYTES, QUOTA_USERS) */
  QUOTA_EXCEEDED: { status: 507, errno: 'EDQUOT', exit: 10 },
  ABORTED: { status: 499, errno: 'EINTR', exit: 130 },
  INTERNAL: { status: 500, errno: 'EIO', exit: 1 },
} as const;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code);
}

export class RedCloudError extends Error {
  readonly code: ErrorCode;
  /** Structured facts about the failure; sent as `details` on the wire. (Not named `details` on
   *  the object: uvu's reporter would take it for an assertion diff and crash.) */
  readonly info?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedCloudError';
    this.code = code;
    this.info = details;
  }

  get status(): number {
    return ERROR_TABLE[this.code].status;
  }

  get errno(): string {
    return ERROR_TABLE[this.code].errno;
  }

  get exitCode(): number {
    return ERROR_TABLE[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.info ? { details: this.info } : {}) };
  }
}

/** Short factories so call sites read as the failure they report. */
export const errors = {
  invalid: (message: string, details?: Record<string, unknown>) => new RedCloudError('INVALID', message, details),
  notFound: (message: string, details?: Record<string, unknown>) => new RedCloudError('NOT_FOUND', message, details),
  exists: (message: string, details?: Record<string, unknown>) => new RedCloudError('EXISTS', message, details),
  notEmpty: (message: string, details?: Record<string, unknown>) => new RedCloudError('NOT_EMPTY', message, details),
  notDir: (message: string, details?: Record<string, unknown>) => new RedCloudError('NOT_DIR', message, details),
  isDir: (message: string, details?: Record<string, unknown>) => new RedCloudError('IS_DIR', message, details),
  unauthorized: (message: string) => new RedCloudError('UNAUTHORIZED', message),
  forbidden: (message: string) => new RedCloudError('FORBIDDEN', message),
  integrity: (message: string, details?: Record<string, unknown>) => new RedCloudError('INTEGRITY', message, details),
  unavailable: (message: string, details?: Record<string, unknown>, cause?: unknown) =>
    new RedCloudError('UNAVAILABLE', message, details, { cause }),
  timeout: (message: string, details?: Record<string, unknown>) => new RedCloudError('TIMEOUT', message, details),
  noSpace: (message: string, details?: Record<string, unknown>) => new RedCloudError('NO_SPACE', message, details),
  quotaExceeded: (message: string, details?: Record<string, unknown>) => new RedCloudError('QUOTA_EXCEEDED', message, details),
  nameTooLong: (message: string, details?: Record<string, unknown>) => new RedCloudError('NAME_TOO_LONG', message, details),
  notPermitted: (message: string, details?: Record<string, unknown>) => new RedCloudError('NOT_PERMITTED', message, details),
  readOnly: (message: string, details?: Record<string, unknown>) => new RedCloudError('READ_ONLY', message, details),
  noXattr: (message: string, details?: Record<string, unknown>) => new RedCloudError('NO_XATTR', message, details),
  loop: (message: string, details?: Record<string, unknown>) => new RedCloudError('LOOP', message, details),
  tooManyLinks: (message: string, details?: Record<string, unknown>) => new RedCloudError('TOO_MANY_LINKS', message, details),
  tooLarge: (message: string, details?: Record<string, unknown>) => new RedCloudError('TOO_LARGE', message, details),
  throttled: (message: string, details?: Record<string, unknown>) => new RedCloudError('THROTTLED', message, details),
  notSupported: (message: string) => new RedCloudError('NOT_SUPPORTED', message),
  aborted: (message: string) => new RedCloudError('ABORTED', message),
  internal: (message: string, cause?: unknown) => new RedCloudError('INTERNAL', message, undefined, { cause }),
};

/**
 * Turns anything thrown into a RedCloudError: AbortSignal reasons become TIMEOUT or ABORTED,
 * Node's ENOSPC becomes NO_SPACE, connection errors become UNAVAILABLE, the rest INTERNAL.
 */
export function toRedCloudError(err: unknown): RedCloudError {
  if (err instanceof RedCloudError) return err;
  const e = err as { name?: string; code?: string; message?: string; type?: string } | undefined;
  const message = e?.message ?? String(err);
  if (e?.name === 'TimeoutError') return new RedCloudError('TIMEOUT', message, undefined, { cause: err });
  if (e?.name === 'AbortError' || e?.type === 'aborted') {
    const cause = (err as { cause?: { name?: string } }).cause;
    if (cause?.name === 'TimeoutError') return new RedCloudError('TIMEOUT', message, undefined, { cause: err });
    return new RedCloudError('ABORTED', message, undefined, { cause: err });
  }
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new RedCloudError('NO_SPACE', message, undefined, { cause: err });
    case 'ENOENT':
      return new RedCloudError('NOT_FOUND', message, undefined, { cause: err });
    case 'EEXIST':
      return new RedCloudError('EXISTS', message, undefined, { cause: err });
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new RedCloudError('TIMEOUT', message, undefined, { cause: err });
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EPIPE':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'UND_ERR_SOCKET':
      return new RedCloudError('UNAVAILABLE', message, undefined, { cause: err });
    default:
      return new RedCloudError('INTERNAL', message, undefined, { cause: err });
  }
}

/** Codes worth retrying against another replica or controller. */
export function isRetryable(err: RedCloudError): boolean {
  return err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT' || err.code === 'INTEGRITY' || err.code === 'INTERNAL';
}
