import { askAgent, controlSocketPath } from '../../agent/index.js';
import { loadConfig } from '../../config/index.js';
import { listen } from '../../listener/index.js';
import { createLogger } from '../../util/log.js';
import type { Io } from '../io.js';

// `supha listen`, run by supervisord as [eventlistener:supha]. stdout belongs to the protocol:
// logs go to stderr or --log-file (reopened on SIGHUP).
export async function listenCommand(args: { config?: string | undefined; logFile?: string | undefined }, io: Io): Promise<number> {
  const cfg = await loadConfig(args.config, io.env);
  const log = createLogger({ destination: args.logFile, reopenOnHup: true }).child({ module: 'listen' });
  const socket = controlSocketPath(cfg);
  await listen({
    stdin: process.stdin,
    stdout: process.stdout,
    log,
    forward: async (events, start) => {
      const res = await askAgent(socket, { op: 'process', events, ...(start ? { start } : {}) }, 2_000);
      if (!res.ok) throw new Error(res.error);
    },
  });
  return 0;
}
