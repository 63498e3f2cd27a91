/**
 * Starting local clusters: `startController` and `startChunkserver` spawn one daemon each (own
 * 127.0.0.x address, env, data directory and log file) and wait for `/health`; `LocalCluster`
 * tracks every node it started and stops them all in reverse order.
 */
import { join } from 'node:path';
import { DEV_CLUSTER_SECRET } from '../common/config.js';
import { binPath } from './paths.js';
import { NodeProcess, baseEnv, type NodeRole } from './node-process.js';

export interface NodeOptions {
  id: string;
  addr: string;
  port: number;
  /** the node's DATA_DIR */
  dataDir: string;
  /** default: <dataDir>/<id>.log */
  logFile?: string;
  /** controllers to contact, host:port */
  peers?: string[];
  clusterSecret?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** extra variables (HEARTBEAT_INTERVAL, REPLICATION_FACTOR, …), applied last */
  env?: Record<string, string>;
  detached?: boolean;
  /** false: return right after spawning; default true (wait for /health) */
  wait?: boolean;
  healthTimeoutMs?: number;
}

function nodeEnv(role: NodeRole, o: NodeOptions): Record<string, string> {
  return {
    ...baseEnv(),
    [role === 'controller' ? 'CONTROLLER_NODE_ID' : 'CHUNKSERVER_NODE_ID']: o.id,
    BIND_ADDR: o.addr,
    ADVERTISE_ADDR: o.addr,
    PORT: String(o.port),
    DATA_DIR: o.dataDir,
    CONTROLLER_PEERS: (o.peers ?? []).join(','),
    CONTROLLER_DNS: '',
    // CLUSTER_SECRET_FILE alone (the launcher's own secret file): the daemon reads the secret from it
    ...(o.clusterSecret === undefined && o.env?.CLUSTER_SECRET_FILE ? {} : { CLUSTER_SECRET: o.clusterSecret ?? DEV_CLUSTER_SECRET }),
    LOG_LEVEL: o.logLevel ?? 'info',
    ...o.env,
  };
}

async function startNode(role: NodeRole, o: NodeOptions): Promise<NodeProcess> {
  const node = new NodeProcess({
    role,
    id: o.id,
    addr: o.addr,
    port: o.port,
    dataDir: o.dataDir,
    logFile: o.logFile ?? join(o.dataDir, `${o.id}.log`),
    bin: binPath(role),
    env: nodeEnv(role, o),
    detached: o.detached,
  });
  node.start();
  if (o.wait !== false) {
    try {
      await node.waitHealthy({ timeoutMs: o.healthTimeoutMs });
    } catch (err) {
      await node.kill('SIGKILL');
      throw err;
    }
  }
  return node;
}

export function startController(o: NodeOptions): Promise<NodeProcess> {
  return startNode('controller', o);
}

export function startChunkserver(o: NodeOptions): Promise<NodeProcess> {
  return startNode('chunkserver', o);
}

/** Every node started through it, stopped in reverse order by `stopAll` (use in a finally). */
export class LocalCluster {
  readonly nodes: NodeProcess[] = [];

  async controller(o: NodeOptions): Promise<NodeProcess> {
    return this.track(startNode('controller', o), o);
  }

  async chunkserver(o: NodeOptions): Promise<NodeProcess> {
    return this.track(startNode('chunkserver', o), o);
  }

  private async track(p: Promise<NodeProcess>, o: NodeOptions): Promise<NodeProcess> {
    const node = await p.catch((err: unknown) => {
      throw Object.assign(err as Error, { nodeId: o.id });
    });
    this.nodes.push(node);
    return node;
  }

  get controllers(): NodeProcess[] {
    return this.nodes.filter((n) => n.spec.role === 'controller');
  }

  get chunkservers(): NodeProcess[] {
    return this.nodes.filter((n) => n.spec.role === 'chunkserver');
  }

  /** Stops every node, newest first; SIGKILL with `{ kill: true }`. Never throws. */
  async stopAll(opts: { kill?: boolean } = {}): Promise<void> {
    for (const node of [...this.nodes].reverse()) {
      try {
        if (opts.kill) await node.kill('SIGKILL');
        else await node.stop();
      } catch {
        /* keep stopping the others */
      }
    }
  }

  /** Every node's log tail, for a failed test. */
  logs(lines = 60): string {
    return this.nodes.map((n) => `----- ${n.spec.role} ${n.spec.id} (${n.url}) ${n.spec.logFile}\n${n.logTail(lines)}`).join('\n');
  }
}
