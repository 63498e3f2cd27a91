/**
 * Test steps of a suite that shares one started cluster: a step fails clearly when the cluster
 * did not start, and prints the nodes' logs (once per cluster) when it fails.
 */
import type { Test } from 'uvu';
import type { Cli } from './cli.js';
import type { TestCluster } from './test-cluster.js';

export function stepsFor<C extends { dumpLogs(): void }>(
  test: Test, current: () => C | undefined, what = 'cluster',
): (name: string, fn: (c: C) => Promise<void>) => void {
  return (name, fn) => test(name, async () => {
    const c = current();
    if (!c) throw new Error(`${what} did not start (see the logs above)`);
    try {
      await fn(c);
    } catch (err) {
      c.dumpLogs();
      throw err;
    }
  });
}

/** Steps of a suite whose context holds a started TestCluster and a CLI for it: each step gets both. */
export function clusterStepsFor(test: Test, ctx: { tc?: TestCluster; cli?: Cli }): (name: string, fn: (tc: TestCluster, cli: Cli) => Promise<void>) => void {
  const step = stepsFor(test, () => (ctx.tc && ctx.cli ? { tc: ctx.tc, cli: ctx.cli, dumpLogs: () => ctx.tc!.dumpLogs() } : undefined));
  return (name, fn) => step(name, (c) => fn(c.tc, c.cli));
}
