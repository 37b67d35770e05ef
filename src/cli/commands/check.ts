import { AgentUnreachable, askAgent, controlSocketPath } from '../../agent/index.js';
import { loadConfig } from '../../config/index.js';
import { EXIT, UsageError } from '../../errors.js';
import { setGroups } from '../../ha/index.js';
import { scanRegistry } from '../../registry/index.js';
import { clientFromConfig } from '../../supervisor/index.js';
import type { Io } from '../io.js';

// For keepalived's vrrp_script: exit 0 when this node is not MASTER of SET or all of SET's
// programs are RUNNING, 1 otherwise. Asks the agent; without one, asks supervisord directly
// (then "all running or none running" is healthy, a mix is not).
export async function checkCommand(args: { config?: string | undefined; set: string }, io: Io): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const set = cfg.ha?.['service-sets'][args.set];
  if (!set) throw new UsageError(`check: no service set "${args.set}" in ${cfg.configPath}`);
  try {
    const res = await askAgent(controlSocketPath(cfg), { op: 'check', set: args.set }, 1_000);
    if (!res.ok) throw new UsageError(`check: ${res.error}`);
    io.out(`${args.set}: ${res.healthy ? 'ok' : 'unhealthy'}: ${String(res.why)}`);
    return res.healthy ? EXIT.OK : EXIT.FAILED;
  } catch (err) {
    if (!(err instanceof AgentUnreachable)) throw err;
  }
  const groups = new Set(setGroups((await scanRegistry([set.registry])).entries).map((g) => g.name));
  const infos = (await clientFromConfig(cfg).getAllProcessInfo()).filter((p) => groups.has(p.group));
  const running = infos.filter((p) => p.statename === 'RUNNING').length;
  const healthy = running === 0 || running === infos.length;
  io.out(`${args.set}: ${healthy ? 'ok' : 'unhealthy'}: no agent; ${running} of ${infos.length} programs RUNNING`);
  return healthy ? EXIT.OK : EXIT.FAILED;
}
