import type { Config } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { setGroups } from '../ha/index.js';
import { scanRegistry } from '../registry/index.js';
import { type ProgramJson, programJson, type SupervisorClient } from '../supervisor/index.js';
import type { SetState } from './sets.js';
import type { BlueGreenView, StatusInput } from './status-view.js';

// Every program of each set, read from supervisord for a status request (not through the loop:
// read only), at most once a second however often it is asked, never waiting past `timeoutMs`
// (under `supha status`'s 2 s wait for the agent, so a hung supervisord does not hide the agent).
export class ProgramsSource {
  private last: { at: number; value: Promise<StatusInput['programs']> } | undefined;

  constructor(
    private readonly client: SupervisorClient,
    private readonly sets: Map<string, SetState>,
    private readonly timeoutMs = 1_000,
  ) {}

  get(): Promise<StatusInput['programs']> {
    if (this.last && Date.now() - this.last.at < 1_000) return this.last.value;
    const value = this.read();
    this.last = { at: Date.now(), value };
    return value;
  }

  private async read(): Promise<StatusInput['programs']> {
    const bySet: Record<string, ProgramJson[]> = {};
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`supervisord did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const infos = await Promise.race([this.client.getAllProcessInfo(), deadline]);
      for (const s of this.sets.values()) {
        const groups = new Set(setGroups((await scanRegistry([s.registry])).entries).map((g) => g.name));
        bySet[s.name] = infos.filter((p) => groups.has(p.group)).map(programJson);
      }
      return { bySet };
    } catch (err) {
      return { bySet, error: errorMessage(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}

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
