/**
 * What a dockerd we started leaves in iptables after it stops (its DOCKER* chains, the FORWARD,
 * PREROUTING/OUTPUT and MASQUERADE rules that use them or its bridges, the FORWARD policy DROP),
 * as iptables argument lists that undo exactly that: from `iptables-save` before it started and
 * now. Rules and chains that were there before stay. Pure.
 */
type Table = { policies: Map<string, string>; chains: Set<string>; rules: string[] };

function parseSave(text: string): Map<string, Table> {
  const tables = new Map<string, Table>();
  let t: Table | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      t = { policies: new Map(), chains: new Set(), rules: [] };
      tables.set(line.slice(1).trim(), t);
    } else if (t && line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/) as [string, string];
      t.chains.add(chain);
      if (policy !== '-') t.policies.set(chain, policy);
    } else if (t && line.startsWith('-A ')) {
      t.rules.push(line.trim());
    }
  }
  return tables;
}

const isDockers = (rule: string): boolean => /DOCKER|docker0|docker_gwbridge/.test(rule);

export function dockerRuleCleanup(before: string, now: string): string[][] {
  const was = parseSave(before);
  const out: string[][] = [];
  const chainsToDrop: [string, string][] = [];
  for (const [table, t] of parseSave(now)) {
    const old: Table = was.get(table) ?? { policies: new Map(), chains: new Set(), rules: [] };
    const newChains = [...t.chains].filter((c) => !old.chains.has(c) && c.startsWith('DOCKER'));
    // rules in chains that stay, added since and Docker's, are deleted one by one
    for (const rule of t.rules) {
      const chain = rule.split(/\s+/)[1]!;
      if (newChains.includes(chain) || old.rules.includes(rule) || !isDockers(rule)) continue;
      out.push(['-t', table, '-D', ...rule.slice(3).split(/\s+/)]);
    }
    for (const [chain, policy] of t.policies) {
      const oldPolicy = old.policies.get(chain);
      if (oldPolicy && oldPolicy !== policy) out.push(['-t', table, '-P', chain, oldPolicy]);
    }
    for (const c of newChains) chainsToDrop.push([table, c]);
  }
  // chains refer to each other: flush them all, then delete them
  for (const [table, c] of chainsToDrop) out.push(['-t', table, '-F', c]);
  for (const [table, c] of chainsToDrop) out.push(['-t', table, '-X', c]);
  return out;
}
