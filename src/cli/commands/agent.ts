import { once } from 'node:events';
import { constants } from 'node:os';
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
  // The first signal stops the agent cleanly (after a start or a pass in progress); a second
  // one ends it at once (an operator's second Ctrl-C), as the signal would.
  const off = onSignals(['SIGTERM', 'SIGINT'], (sig) => {
    if (!stop.signal.aborted) return stop.abort();
    log.warn(`second ${sig}: exiting without a clean stop`);
    process.exit(128 + (constants.signals[sig] ?? 15));
  });
  try {
    await agent.start();
    // NOTE: a SIGTERM that came while the agent was starting has already fired 'abort'.
    if (!stop.signal.aborted) await once(stop.signal, 'abort');
  } finally {
    await agent.stop();
    off();
  }
  return 0;
}
