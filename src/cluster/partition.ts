/**
 * Network partitions between loopback addresses with iptables (needs root): `partition(a, b)`
 * drops traffic both ways and returns a handle whose `heal()` removes exactly the rules it added;
 * `cleanupPartitions()` removes every rule tagged redcloud-test (for finally blocks and stale runs).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { deleteArgsForTaggedRules, partitionRuleSpecs } from './partition-rules.js';

const run = promisify(execFile);
const IPTABLES_TIMEOUT_MS = 10_000;

async function iptables(args: string[]): Promise<string> {
  // -w waits for the xtables lock instead of failing when another iptables runs.
  const { stdout } = await run('iptables', ['-w', '5', ...args], { timeout: IPTABLES_TIMEOUT_MS });
  return stdout;
}

/**
 * Deletes one rule; a rule that is already gone (removed by `cleanupPartitions` or
 * scripts/cleanup-stale.sh from another run) counts as removed. Fails only if it is still there.
 */
async function removeRule(spec: string[]): Promise<void> {
  try {
    await iptables(['-D', ...spec]);
  } catch (err) {
    const stillThere = await iptables(['-C', ...spec]).then(() => true, () => false);
    if (stillThere) throw err;
  }
}

export interface Partition {
  readonly between: [string, string];
  heal(): Promise<void>;
}

/** Drops all traffic between `a` and `b` (both directions) until `heal()`. */
export async function partition(a: string, b: string): Promise<Partition> {
  const added: string[][] = [];
  try {
    for (const spec of partitionRuleSpecs(a, b)) {
      await iptables(['-I', ...spec]);
      added.push(spec);
    }
  } catch (err) {
    for (const spec of added.reverse()) await iptables(['-D', ...spec]).catch(() => undefined);
    throw err;
  }
  let healed = false;
  return {
    between: [a, b],
    async heal() {
      if (healed) return;
      healed = true;
      for (const spec of added) await removeRule(spec);
    },
  };
}

/** Cuts `group` off from `others`: a partition between every pair across the two sides. */
export async function isolate(group: string[], others: string[]): Promise<Partition[]> {
  const parts: Partition[] = [];
  try {
    for (const a of group) for (const b of others) parts.push(await partition(a, b));
  } catch (err) {
    for (const p of parts) await p.heal().catch(() => undefined);
    throw err;
  }
  return parts;
}

/** Removes every iptables rule tagged redcloud-test; returns how many were removed. */
export async function cleanupPartitions(): Promise<number> {
  let removed = 0;
  const listing = await iptables(['-S', 'INPUT']).catch(() => '');
  for (const args of deleteArgsForTaggedRules(listing)) {
    await iptables(args).then(() => removed++, () => undefined);
  }
  return removed;
}
