/**
 * `redcloud status`: controllers (alive, last contact, gossip lag), chunkservers (health, space,
 * chunks, last heartbeat) and replication health as one controller sees them, after the
 * controller's start-up warnings (e.g. the development CLUSTER_SECRET); --json prints the
 * controller's ClusterStatus unchanged.
 */
import type { ClusterStatus } from '../../src/common/api.js';
import { BaseCommand } from '../base.js';
import { formatBytes, table } from '../lib/format.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show the state of the cluster.';
  static override description = 'Asks a controller for the controllers it knows (alive or down, last contact, gossip lag in updates the peer lacked at the last exchange), the chunkservers with their health, space and chunk count, and the number of under-replicated chunks.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];

  async run(): Promise<ClusterStatus> {
    const { client } = await this.client();
    const s = await client.status();
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
    return s;
  }
}
