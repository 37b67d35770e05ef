import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import type { BlueGreenView } from './status-view.js';

// The blue/green groups (their current roles) and each node's last health check.
export async function blueGreenView(cfg: Config): Promise<BlueGreenView | undefined> {
  if (!cfg.nginx) return undefined;
  try {
    const [{ readRoles }, { readHealth }] = await Promise.all([import('../bluegreen/roles.js'), import('../health/status.js')]);
    const [roles, health] = await Promise.all([readRoles(cfg), readHealth(cfg)]);
    const groups = Object.entries(cfg.nginx.upstream['node-group']).map(([name, g]) => ({
      name,
      role: roles.primary['group-name'] === name ? ('primary' as const) : roles.standby['group-name'] === name ? ('standby' as const) : ('other' as const),
      nodes: Object.keys(g.nodes).map((n) => {
        const h = health[n];
        return {
          name: n,
          status: h?.status ?? 'n/a',
          code: h?.['last-response-code'] ?? 0,
          seconds: h?.['last-response-time'] ?? 0,
          fails: h?.['fail-count'] ?? 0,
          checkedAt: h?.['last-check-time'] ?? '',
        };
      }),
    }));
    return { groups };
  } catch (err) {
    return { groups: [], error: errorMessage(err) };
  }
}
