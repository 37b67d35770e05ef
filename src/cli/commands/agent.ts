import { once } from 'node:events';
import { ConfigError, loadConfig } from '../../config/index.js';
import { UsageError } from '../../errors.js';
import { quorumProblems } from '../../quorum/check.js';
import { clientFromConfig } from '../../supervisor/index.js';
import { createLogger } from '../../util/log.js';
import { onSignals } from '../../util/signals.js';
import type { Io } from '../io.js';

// Runs the agent until SIGTERM or SIGINT; logs JSON to stderr (or --log-file, else
// ha.agent.log-file), the file reopened on SIGHUP.
export async function agentCommand(args: { config?: string | undefined; logFile?: string | undefined }, io: Io): Promise<number> {
  const loaded = await loadConfig(args.config, io.env);
  if (!loaded.ha && !loaded.nginx) throw new UsageError(`${loaded.configPath}: the agent needs an "ha" or "nginx" section (see docs/configuration.md)`);
  // The rules config check applies to the quorum (a TTL too short for the sets' stops, a node
  // named like a peer): the agent does not start against them.
  const problems = await quorumProblems(loaded);
  if (problems.length > 0) throw new ConfigError(loaded.configPath, problems);
  // A blue/green-only host runs the agent for its health checks: ha's defaults, no service sets.
  const cfg = loaded.ha ? loaded : { ...loaded, ha: (await import('../../config/schema-ha.js')).haSchema.parse({}) };
  const { Agent } = await import('../../agent/index.js');
  const log = createLogger({ destination: args.logFile ?? cfg.ha?.agent['log-file'], reopenOnHup: true }).child({ module: 'agent' });
  const agent = new Agent(cfg, clientFromConfig(cfg), log);
  const stop = new AbortController();
  const off = onSignals(['SIGTERM', 'SIGINT'], () => stop.abort());
  try {
    await agent.start();
    // NOTE: a SIGTERM that came while the agent was starting has already fired 'abort'.
    if (!stop.signal.aborted) await once(stop.signal, 'abort');
  } finally {
    off();
    await agent.stop();
  }
  return 0;
}
