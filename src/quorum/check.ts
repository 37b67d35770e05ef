import type { Config, Problem } from '../config/index.js';
import { scanRegistry } from '../registry/index.js';
import { minTtlMs, stopBudgetMs } from './budget.js';

// What `config check` says of ha.quorum beyond the schema: the lease must outlast two missed
// renewals plus the longest stop of each set's programs (their stopwaitsecs, from the registry).
export async function quorumProblems(cfg: Config): Promise<Problem[]> {
  const q = cfg.ha?.quorum;
  if (!q) return [];
  const out: Problem[] = [];
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
