/**
 * Naming the nodes of a local cluster (pure): controllers are controller-1.., chunkservers
 * chunkserver-1.., the ids `cluster up` gives them and `cluster status` shows; `resolveNodeName`
 * finds the one a user means by id (also `c1`/`cs3` and `controller1`), with the list of valid names
 * in the error otherwise.
 */
import { errors } from '../common/errors.js';

export const controllerId = (i: number): string => `controller-${i + 1}`;
export const chunkserverId = (i: number): string => `chunkserver-${i + 1}`;

/** The id of the node a user names: exact id, or the short forms c1 / cs3 / controller1 / chunkserver3. */
export function resolveNodeName<T extends { id: string; role: string }>(nodes: readonly T[], name: string): T {
  const daemons = nodes.filter((n) => n.role === 'controller' || n.role === 'chunkserver');
  const wanted = name.trim().toLowerCase();
  const short = /^(c|cs|controller|chunkserver)-?(\d+)$/.exec(wanted);
  const id = short ? `${short[1] === 'c' || short[1] === 'controller' ? 'controller' : 'chunkserver'}-${Number(short[2])}` : wanted;
  const node = daemons.find((n) => n.id === id);
  if (node) return node;
  if (nodes.some((n) => n.id === wanted && n.role === 'mount')) {
    throw errors.invalid('The mount is not a node: use `redcloud umount DIR` and `redcloud mount DIR`');
  }
  throw errors.notFound(`No node ${name} in this cluster; its nodes are ${daemons.map((n) => n.id).join(', ') || '(none)'}`);
}
