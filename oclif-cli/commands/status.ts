/**
 * `redcloud status`: controllers (alive, last contact, gossip lag), chunkservers (health, space,
 * chunks, last heartbeat), replication health, raw and logical space, garbage not yet collected
 * as one controller sees them, the logged-in account's usage and quotas, after the controller's start-up warnings (e.g. the development
 * CLUSTER_SECRET); then this machine's mount caches. --json prints the controller's ClusterStatus
 * with `localCaches` added.
 */
import type { ClusterStatus, StatfsInfo } from '../../src/common/api.js';
import { cacheRoot } from '../../fuse/args.js';
import { BaseCommand } from '../base.js';
import { formatBytes, table } from '../lib/format.js';
import { localCaches } from '../lib/local-caches.js';
import { accountLines } from '../lib/quota-format.js';
import { cacheLines, garbageLines, spaceLines, type LocalCache } from '../lib/space-format.js';
import { trashLine } from '../lib/trash-format.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show the state of the cluster.';
  static override description = 'Asks a controller for the controllers it knows (alive or down, last contact, gossip lag in updates the peer lacked at the last exchange), the chunkservers with their health, space and chunk count, the number of under-replicated chunks, the space used and free at the replication factor (what df shows on a mount) and on the disks, and the garbage not yet collected with the time of the next collection, the usage and quotas of the logged-in account (QUOTA_* on the controllers); then lists the mount caches on this machine (~/.cache/redcloud and the cache dirs of running mounts) with their sizes.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --json | jq .space',
    '<%= config.bin %> status --json | jq .localCaches',
    '<%= config.bin %> status --json | jq .account',
  ];

  async run(): Promise<ClusterStatus & { localCaches: LocalCache[]; account?: { user: string } & Pick<StatfsInfo, 'usage' | 'quota'> }> {
    const { client, session } = await this.client();
    const s = await client.status();
    // the logged-in account's usage and quotas (statfs; skipped without a login)
    const fs = session.user && client.token ? await client.statfs().catch(() => undefined) : undefined;
    const caches = await localCaches(cacheRoot());
    const ago = (ms: number): string => (ms > 0 ? `${Math.max(0, Math.round((Date.now() - ms) / 1000))}s ago` : 'never');
    const alive = s.controllers.filter((c) => c.alive).length;
    const healthy = s.chunkservers.filter((c) => c.healthy).length;
    for (const w of s.warnings ?? []) this.log(`WARNING (controller ${s.controller}): ${w}`);
    this.log(`Answered by controller ${s.controller}: ${alive}/${s.controllers.length} controllers alive, ${healthy}/${s.chunkservers.length} chunkservers healthy\n`);
    this.log(table(['CONTROLLER', 'URL', 'STATE', 'LAST SEEN', 'LAG (UPDATES)'],
      s.controllers.map((c) => [c.id, c.url, c.alive ? 'alive' : 'DOWN', c.id === s.controller ? 'self' : ago(c.lastSeenMs), c.lag ?? '-'])));
    this.log('');
    this.log(table(['CHUNKSERVER', 'URL', 'STATE', 'CHUNKS', 'FREE', 'CAPACITY', 'HEARTBEAT'],
      s.chunkservers.map((c) => [c.id, c.url, c.healthy ? (c.full ? 'full' : 'healthy') : 'FAILED', c.chunkCount,
        formatBytes(c.freeBytes), formatBytes(c.capacityBytes), ago(c.lastHeartbeatMs)])));
    this.log('');
    this.log(`Chunks: ${s.chunks.total} total, ${s.chunks.underReplicated} under-replicated (replication factor ${s.chunks.replicationFactor})`);
    if (s.space) for (const line of spaceLines(s.space, s.chunks.replicationFactor === 'all' ? 'all' : Number(s.chunks.replicationFactor))) this.log(line);
    if (s.garbage) for (const line of garbageLines(s.garbage, Date.now())) this.log(line);
    if (fs && session.user) for (const line of accountLines(session.user, fs)) this.log(line);
    if (s.trash) this.log(trashLine(s.trash));
    this.log('');
    for (const line of cacheLines(caches, cacheRoot())) this.log(line);
    return { ...s, localCaches: caches, ...(fs?.usage && session.user ? { account: { user: session.user, usage: fs.usage, quota: fs.quota } } : {}) };
  }
}
