/**
 * A simulated network for gossip tests: nodes register their message handlers under a URL, and
 * each node's transport delivers (a deep copy of) its messages directly, unless the pair is
 * partitioned or the seeded PRNG drops the message. One seed drives everything, so a failure
 * replays exactly (print the seed).
 */
import { RedCloudError } from '../../../src/common/errors.js';
import type { GossipHandlers, GossipTransport } from '../../../src/controller/gossip/service.js';
import { seededRandom } from '../../helpers/prng.js';

export { seededRandom };

export class SimNetwork {
  readonly random: () => number;
  private readonly nodes = new Map<string, GossipHandlers>();
  private readonly cuts = new Set<string>();
  dropRate = 0;
  duplicateRate = 0;
  delivered = 0;
  dropped = 0;

  constructor(readonly seed: number) {
    this.random = seededRandom(seed);
  }

  register(url: string, handlers: GossipHandlers): void {
    this.nodes.set(url, handlers);
  }

  private pair(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  partition(a: string, b: string): void {
    this.cuts.add(this.pair(a, b));
  }

  /** Cuts `node` off from every other node. */
  isolate(node: string): void {
    for (const other of this.nodes.keys()) if (other !== node) this.partition(node, other);
  }

  heal(): void {
    this.cuts.clear();
  }

  transport(from: string): GossipTransport {
    return async <T>(url: string, path: string, body: unknown): Promise<T> => {
      const target = this.nodes.get(url);
      if (!target || this.cuts.has(this.pair(from, url)) || this.random() < this.dropRate) {
        this.dropped++;
        throw new RedCloudError('UNAVAILABLE', `sim: ${from} cannot reach ${url}`);
      }
      this.delivered++;
      const copy = <V>(v: V): V => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as V));
      const deliver = (): unknown => {
        switch (path) {
          case '/internal/gossip': return target.pull(copy(body) as never);
          case '/internal/gossip/push': return target.push(copy(body) as never);
          case '/internal/anti-entropy': return target.antiEntropy(copy(body) as never);
          case '/internal/anti-entropy/records': return target.records(copy(body) as never);
          case '/internal/whoami': return target.whoami((body as { nonce: string }).nonce);
          default: throw new RedCloudError('NOT_FOUND', `sim: no route ${path}`);
        }
      };
      const res = deliver();
      if (this.random() < this.duplicateRate) deliver();
      return copy(res) as T;
    };
  }
}
