/**
 * Network partitions between loopback addresses with iptables (needs root): `partition(a, b)`
 * drops traffic both ways and `blackhole(addr)` every packet to one address; each returns a handle
 * whose `heal()` removes exactly the rules it added. Rules carry this run's tag
 * (partition-rules.ts): `cleanupPartitions()` removes this run's rules (finally blocks),
 * `cleanupStalePartitions()` those of runs whose process is gone (scripts/cleanup-stale.sh).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  type RunOwner, blackholeRuleSpec, deleteArgsForOwnRules, deleteArgsForStaleRules, partitionRuleSpecs, runTag, startTicksFromStat,
} from './partition-rules.js';

const run = promisify(execFile);
const IPTABLES_TIMEOUT_MS = 10_000;

async function iptables(args: string[]): Promise<string> {
  // -w waits for the xtables lock instead of failing when another iptables runs.
  const { stdout } = await run('iptables', ['-w', '5', ...args], { timeout: IPTABLES_TIMEOUT_MS });
  return stdout;
}

/** Start time of process `pid` (from /proc), or null if there is no such process. */
export function processStartTicks(pid: number): number | null {
  try {
    return startTicksFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

let selfOwner: RunOwner | undefined;
/** This process as the owner of the rules it adds. */
export function thisRun(): RunOwner {
  selfOwner ??= { pid: process.pid, startTicks: processStartTicks(process.pid) ?? 0 };
  return selfOwner;
}

/** The comment this run's rules carry. */
export function thisRunTag(): string {
  return runTag(thisRun());
}

/**
 * Deletes one rule; a rule that is already gone (removed by `cleanupPartitions`) counts as
 * removed. Fails only if it is still there.
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

async function addRules(specs: string[][], between: [string, string]): Promise<Partition> {
  const added: string[][] = [];
  try {
    for (const spec of specs) {
      await iptables(['-I', ...spec]);
      added.push(spec);
    }
  } catch (err) {
    for (const spec of added.reverse()) await iptables(['-D', ...spec]).catch(() => undefined);
    throw err;
  }
  let healed = false;
  return {
    between,
    async heal() {
      if (healed) return;
      healed = true;
      for (const spec of added) await removeRule(spec);
    },
  };
}

/** Drops all traffic between `a` and `b` (both directions) until `heal()`. */
export async function partition(a: string, b: string): Promise<Partition> {
  return addRules(partitionRuleSpecs(a, b, thisRunTag()), [a, b]);
}

/** Drops every packet sent to `addr` (from anyone) until `heal()`: connections to it hang. */
export async function blackhole(addr: string): Promise<Partition> {
  return addRules([blackholeRuleSpec(addr, thisRunTag())], [addr, '*']);
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

async function deleteAll(pick: (listing: string) => string[][]): Promise<number> {
  let removed = 0;
  const listing = await iptables(['-S', 'INPUT']).catch(() => '');
  for (const args of pick(listing)) await iptables(args).then(() => removed++, () => undefined);
  return removed;
}

/** Removes every iptables rule this run added; returns how many were removed. Other runs' rules stay. */
export async function cleanupPartitions(): Promise<number> {
  const self = thisRun();
  return deleteAll((listing) => deleteArgsForOwnRules(listing, self));
}

/** Removes the rules of runs whose process is gone (or whose pid now belongs to another process). */
export async function cleanupStalePartitions(): Promise<number> {
  return deleteAll((listing) => deleteArgsForStaleRules(listing, processStartTicks));
}
