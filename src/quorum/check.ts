import { hostname } from 'node:os';
import type { Config, Problem } from '../config/index.js';
import { scanRegistry } from '../registry/index.js';
import { minTtlMs, stopBudgetMs } from './budget.js';

// What `config check` and the agent's start say of ha.quorum beyond the schema: the lease must
// outlast two missed renewals plus the longest stop of each set's programs (their stopwaitsecs,
// from the registry); this node's name must not be a peer's (the owner key names the node).
export async function quorumProblems(cfg: Config): Promise<Problem[]> {
  const q = cfg.ha?.quorum;
  if (!q) return [];
  const out: Problem[] = [];
  const node = cfg.ha?.['node-name'] ?? hostname();
  if (Object.hasOwn(cfg.ha?.peers ?? {}, node))
    out.push({
      path: 'ha.node-name',
      message: `"${node}"${cfg.ha?.['node-name'] === undefined ? " (this host's name)" : ''} is also the name of a peer in ha.peers: each node needs its own name in the quorum keys`,
    });
  for (const [name, set] of Object.entries(cfg.ha?.['service-sets'] ?? {})) {
    const scan = await scanRegistry([set.registry]);
    const budget = stopBudgetMs(scan.entries);
    const min = minTtlMs(budget.ms);
    if (q['lease-ttl-ms'] < min)
      out.push({
        path: 'ha.quorum.lease-ttl-ms',
        message: `${q['lease-ttl-ms']} is too short for set "${name}": its programs may take ${budget.ms} ms to stop (${budget.worst}), so the lease must be at least ${min} (or lower their stopwaitsecs)`,
      });
  }
  return out;
}
