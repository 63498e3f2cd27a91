/**
 * Usage errors in words, pure: oclif's "Missing 1 required arg:\nfile  Local file." becomes
 * "Missing argument FILE (local file to upload). See: redcloud upload --help".
 */
import { TAG_CHARS_MAX, TAGS_PER_CALL_MAX } from '../../src/common/api.js';

export interface ArgInfo {
  name: string;
  description?: string;
}

/** "Local file to upload." → "local file to upload" (a leading capital kept for names like "FILE"). */
function phrase(description: string | undefined): string {
  const d = (description ?? '').trim().replace(/\.+$/, '');
  if (!d) return '';
  return /^[A-Z][a-z]/.test(d) ? d[0]!.toLowerCase() + d.slice(1) : d;
}

/** `commandId` as oclif names it (`tag:add`) or as typed (`tag add`). */
export function missingArgMessage(bin: string, commandId: string, args: ArgInfo[]): string {
  const named = args.filter((a) => a.name);
  const list = named.map((a) => {
    const p = phrase(a.description);
    return p ? `${a.name.toUpperCase()} (${p})` : a.name.toUpperCase();
  });
  const what = list.length === 0 ? 'a required argument' : `${list.length === 1 ? 'argument' : 'arguments'} ${list.join(', ')}`;
  return `Missing ${what}. See: ${bin} ${commandId.replace(/:/g, ' ')} --help`;
}

/** `Too many failed logins` + when to retry, unless the message says so already. */
export function withRetryHint(message: string, retryAfterMs: unknown): string {
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return message;
  if (/try again in \d+ s/.test(message)) return message;
  return `${message}; try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`;
}

/** The controller's tag limits (src/common/api.ts), for `--help` texts. */
export const TAG_LIMITS_TEXT = `Tags: at most ${TAGS_PER_CALL_MAX} per command, each 1 to ${TAG_CHARS_MAX} characters.`;
