import { loadConfig } from '../../config/index.js';
import { clientFromConfig, formatStatusLines, programJson } from '../../supervisor/index.js';
import type { Io } from '../io.js';

export async function statusCommand(args: { config?: string | undefined; json?: boolean | undefined }, io: Io): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const infos = await clientFromConfig(cfg).getAllProcessInfo();
  // With an ha section, the agent's view too (roles, hold, keepalived, last transitions).
  const agent = cfg.ha ? await (await import('./status-agent.js')).agentStatus(cfg) : undefined;
  if (args.json) io.out(JSON.stringify(agent === undefined ? { programs: infos.map(programJson) } : { programs: infos.map(programJson), agent: agent.json }));
  else {
    for (const line of formatStatusLines(infos)) io.out(line);
    for (const line of agent?.lines ?? []) io.out(line);
  }
  return 0;
}
