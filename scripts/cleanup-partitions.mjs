// Removes the iptables partition rules of test runs that are gone (their tag names a process
// that no longer exists, or a reused pid); rules of runs still going are left alone, and untagged
// `redcloud-test` rules of older code are only reported. Needs the build (dist/); run as root.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const lib = new URL('../dist/src/cluster/partition.js', import.meta.url);
if (!existsSync(lib)) {
  console.log('cleanup: dist/ not built, iptables rules not checked');
  process.exit(0);
}
const { cleanupStalePartitions } = await import(lib.href);
const { untaggedRules } = await import(new URL('../dist/src/cluster/partition-rules.js', import.meta.url).href);
const removed = await cleanupStalePartitions();
if (removed > 0) console.log(`cleanup: removed ${removed} iptables rule(s) of test runs that are gone`);
let listing = '';
try {
  listing = execFileSync('iptables', ['-w', '5', '-S', 'INPUT'], { encoding: 'utf8' });
} catch {
  /* no iptables listing: nothing to report */
}
for (const rule of untaggedRules(listing)) console.log(`cleanup: left untagged rule (no owner recorded): iptables ${rule.replace(/^-A /, '-D ')}`);
