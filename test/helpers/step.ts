/**
 * Test steps of a suite that shares one started cluster: a step fails clearly when the cluster
 * did not start, and prints the nodes' logs (once per cluster) when it fails.
 */
import type { Test } from 'uvu';

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
