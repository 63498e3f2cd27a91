/**
 * The iptables rules of a network partition between two loopback addresses, as argument lists
 * (pure). Each direction is one INPUT rule on lo, tagged with a comment naming the run that added
 * it (`redcloud-test-<pid>-<start ticks>`: the owning process and its start time, so a reused pid
 * is not mistaken for the owner). A run removes only its own rules; a cleanup of stale runs removes
 * only rules whose owner is gone. Untagged `redcloud-test` rules (older code) name no owner and
 * are left alone.
 */
export const PARTITION_COMMENT = 'redcloud-test';

/** The owner of a tagged rule: a process and its start time (clock ticks since boot; 0 = unknown). */
export interface RunOwner {
  pid: number;
  startTicks: number;
}

const LOOPBACK_RE = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const TAG_RE = /^redcloud-test-(\d{1,10})-(\d{1,20})$/;

export function assertLoopback(addr: string): string {
  const m = LOOPBACK_RE.exec(addr);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) {
    throw new Error(`Partitions are only made between 127.0.0.0/8 addresses, not ${JSON.stringify(addr)}`);
  }
  return addr;
}

/** The comment of the rules a run adds. */
export function runTag(owner: RunOwner): string {
  return `${PARTITION_COMMENT}-${owner.pid}-${owner.startTicks}`;
}

/** The owner named by a rule's comment; null for anything else (including the untagged legacy comment). */
export function parseRunTag(comment: string): RunOwner | null {
  const m = TAG_RE.exec(comment);
  if (!m) return null;
  const pid = Number(m[1]);
  const startTicks = Number(m[2]);
  return pid > 0 && Number.isSafeInteger(startTicks) ? { pid, startTicks } : null;
}

/** Start time of a process from the text of /proc/<pid>/stat (field 22, after the parenthesised name). */
export function startTicksFromStat(stat: string): number | null {
  const rest = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
  const ticks = Number(rest[19]);
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : null;
}

/** The rule specs (without -A/-I/-D) that drop traffic from `a` to `b` and from `b` to `a`. */
export function partitionRuleSpecs(a: string, b: string, tag: string = PARTITION_COMMENT): string[][] {
  assertLoopback(a);
  assertLoopback(b);
  const rule = (src: string, dst: string) => [
    'INPUT', '-i', 'lo', '-s', src, '-d', dst, '-m', 'comment', '--comment', tag, '-j', 'DROP',
  ];
  return [rule(a, b), rule(b, a)];
}

/** The rule spec that drops every packet to `addr` (a blackholed node: it neither answers nor hears). */
export function blackholeRuleSpec(addr: string, tag: string = PARTITION_COMMENT): string[] {
  assertLoopback(addr);
  return ['INPUT', '-i', 'lo', '-d', addr, '-m', 'comment', '--comment', tag, '-j', 'DROP'];
}

/** One `-A` line of `iptables -S`: its comment (unquoted) and the arguments that delete it. */
function parseRuleLine(line: string): { comment: string; deleteArgs: string[] } | null {
  if (!line.startsWith('-A ')) return null;
  const m = /--comment ("?)([^\s"]+)\1(\s|$)/.exec(line);
  if (!m) return null;
  const args = line.slice(3).split(/\s+/).map((a) => a.replace(/^"(.*)"$/, '$1'));
  return { comment: m[2]!, deleteArgs: ['-D', ...args] };
}

/**
 * Delete argument lists for the rules of `iptables -S` output that carry a run tag and that
 * `select(owner)` picks (this run's own, or those of runs that are gone).
 */
export function deleteArgsForRunRules(listing: string, select: (owner: RunOwner) => boolean): string[][] {
  const out: string[][] = [];
  for (const raw of listing.split('\n')) {
    const rule = parseRuleLine(raw.trim());
    const owner = rule ? parseRunTag(rule.comment) : null;
    if (rule && owner && select(owner)) out.push(rule.deleteArgs);
  }
  return out;
}

/** Rules of this run only. */
export function deleteArgsForOwnRules(listing: string, self: RunOwner): string[][] {
  return deleteArgsForRunRules(listing, (o) => o.pid === self.pid && o.startTicks === self.startTicks);
}

/**
 * Rules of runs that are gone: `startTicksOf(pid)` is the live process's start time, or null when
 * no such process exists. A live pid with another start time is a reused pid: its owner is gone.
 * An owner recorded with start time 0 (unknown) counts as alive while its pid is.
 */
export function deleteArgsForStaleRules(listing: string, startTicksOf: (pid: number) => number | null): string[][] {
  return deleteArgsForRunRules(listing, (o) => {
    const live = startTicksOf(o.pid);
    if (live === null) return true;
    return o.startTicks !== 0 && live !== o.startTicks;
  });
}

/** Untagged legacy rules (`--comment redcloud-test`), reported but never removed automatically. */
export function untaggedRules(listing: string): string[] {
  return listing.split('\n').map((l) => l.trim()).filter((l) => parseRuleLine(l)?.comment === PARTITION_COMMENT);
}
