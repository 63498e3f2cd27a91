/**
 * `redcloud status`'s account lines (pure): the logged-in user's usage (files, logical bytes,
 * bytes counting every copy) beside its quotas (QUOTA_* / QUOTA_USERS on the controllers).
 */
import type { StatfsInfo } from '../../src/common/api.js';
import { formatBytes } from './format.js';

const of = (used: string, limit: number, fmt: (n: number) => string): string => (limit > 0 ? `${used} of ${fmt(limit)} quota` : `${used} (no quota)`);

export function accountLines(user: string, fs: StatfsInfo): string[] {
  if (!fs.usage || !fs.quota) return [];
  const { usage: u, quota: q } = fs;
  return [
    `Account ${user}:`,
    `  files: ${of(String(u.files), q.files, String)}`,
    `  bytes: ${of(formatBytes(u.bytes), q.bytes, formatBytes)}`,
    `  bytes with every copy: ${of(formatBytes(u.rawBytes), q.rawBytes, formatBytes)}`,
  ];
}
