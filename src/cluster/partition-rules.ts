/**
 * The iptables rules of a network partition between two loopback addresses, as argument lists
 * (pure). Each direction is one INPUT rule on lo, tagged with the comment PARTITION_COMMENT so a
 * cleanup can find every rule the tests added and nothing else.
 */
export const PARTITION_COMMENT = 'redcloud-test';

const LOOPBACK_RE = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function assertLoopback(addr: string): string {
  const m = LOOPBACK_RE.exec(addr);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) {
    throw new Error(`Partitions are only made between 127.0.0.0/8 addresses, not ${JSON.stringify(addr)}`);
  }
  return addr;
}

/** The rule specs (without -A/-I/-D) that drop traffic from `a` to `b` and from `b` to `a`. */
export function partitionRuleSpecs(a: string, b: string): string[][] {
  assertLoopback(a);
  assertLoopback(b);
  const rule = (src: string, dst: string) => [
    'INPUT', '-i', 'lo', '-s', src, '-d', dst, '-m', 'comment', '--comment', PARTITION_COMMENT, '-j', 'DROP',
  ];
  return [rule(a, b), rule(b, a)];
}

/** Turns `iptables -S` output lines carrying our comment into delete argument lists. */
export function deleteArgsForTaggedRules(listing: string): string[][] {
  return listing
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('-A ') && line.includes(`--comment ${PARTITION_COMMENT}`))
    .map((line) => ['-D', ...line.slice(3).split(/\s+/)]);
}
