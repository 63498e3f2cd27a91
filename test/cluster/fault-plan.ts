/**
 * Seeded fault schedules for the fault-schedule suite (Jepsen-style nemesis plans), pure: the
 * same seed and length always give the same list of faults, so a failing run replays from its
 * seed. A fault is a kill -9 of a node (restarted `forMs` later), a partition between two nodes
 * (healed `forMs` later) or a full disk on the one chunkserver whose data directory is a small
 * tmpfs (emptied `forMs` later). No node takes part in two faults at once.
 */
import { seededRandom } from '../helpers/prng.js';

export type Fault =
  | { atMs: number; forMs: number; kind: 'kill'; node: string }
  | { atMs: number; forMs: number; kind: 'partition'; a: string; b: string }
  | { atMs: number; forMs: number; kind: 'full-disk'; node: string };

export interface FaultNodes {
  controllers: readonly string[];
  chunkservers: readonly string[];
  /** the chunkserver that can be filled (its data directory is a tmpfs) */
  fillable?: string;
}

export interface FaultPlanOptions {
  seed: number;
  durationMs: number;
  /** gap between two fault starts, ms */
  gapMs?: [number, number];
  /** how long a fault lasts, ms */
  lengthMs?: [number, number];
}

export function faultSchedule(nodes: FaultNodes, o: FaultPlanOptions): Fault[] {
  const rnd = seededRandom(o.seed);
  const between = ([lo, hi]: [number, number]): number => Math.floor(lo + rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const all = [...nodes.controllers, ...nodes.chunkservers];
  const busyUntil = new Map<string, number>();
  const free = (node: string, atMs: number): boolean => (busyUntil.get(node) ?? 0) <= atMs;
  const faults: Fault[] = [];
  for (let atMs = between(o.gapMs ?? [500, 1500]); atMs < o.durationMs; atMs += between(o.gapMs ?? [1000, 3000])) {
    const forMs = Math.min(between(o.lengthMs ?? [1000, 5000]), o.durationMs - atMs);
    const roll = rnd();
    let fault: Fault | undefined;
    if (roll < 0.25) {
      const node = pick(nodes.controllers);
      if (free(node, atMs)) fault = { atMs, forMs, kind: 'kill', node };
    } else if (roll < 0.5) {
      const node = pick(nodes.chunkservers);
      if (free(node, atMs)) fault = { atMs, forMs, kind: 'kill', node };
    } else if (roll < 0.85 || !nodes.fillable) {
      const a = pick(all);
      const b = pick(all.filter((n) => n !== a));
      if (free(a, atMs) && free(b, atMs)) fault = { atMs, forMs, kind: 'partition', a, b };
    } else if (free(nodes.fillable, atMs)) {
      fault = { atMs, forMs, kind: 'full-disk', node: nodes.fillable };
    }
    if (!fault) continue;
    faults.push(fault);
    for (const n of fault.kind === 'partition' ? [fault.a, fault.b] : [fault.node]) busyUntil.set(n, atMs + forMs);
  }
  return faults;
}

/** One line per fault, for the failure report. */
export function describeSchedule(faults: readonly Fault[]): string {
  return faults.map((f) => {
    const what = f.kind === 'partition' ? `partition ${f.a} | ${f.b}` : `${f.kind} ${f.node}`;
    return `  t=${(f.atMs / 1000).toFixed(1)}s ${what} for ${(f.forMs / 1000).toFixed(1)}s`;
  }).join('\n');
}

/** "1..3,7" → [1, 2, 3, 7] */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\.\.(\d+))?$/.exec(part);
    if (!m) throw new Error(`FAULT_SEEDS: "${part}" is neither a number nor a range like 1..100`);
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    for (let s = lo; s <= hi; s++) seeds.push(s);
  }
  return seeds;
}
