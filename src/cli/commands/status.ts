import { AgentUnreachable, askAgent } from '../../agent/control-client.js';
import type { StatusView } from '../../agent/status-view.js';
import { liteOf, loadConfigFast } from '../../config/lite.js';
import { EXIT, isUserError } from '../../errors.js';
import { formatStatusLines, programJson } from '../../supervisor/format.js';
import { clientFromConfig } from '../../supervisor/from-config.js';
import type { ProcessInfo } from '../../supervisor/types.js';
import type { Io } from '../io.js';
import { formatAgentTables } from './status-format.js';

// `supha status`: supervisord's programs in supervisorctl's layout, then (when an agent answers
// or the config has service sets) the agent's picture as tables. supervisord and the agent are
// asked at once, and one being down does not hide the other; supervisord down still exits 1.
// Loads no yargs, no logger, and the schema only when the config cache misses (config/lite.ts):
// it starts about as fast as `supzcli status`.
export async function statusCommand(args: { config?: string | undefined; json?: boolean | undefined }, io: Io): Promise<number> {
  const cfg = liteOf(await loadConfigFast(args.config, io.env));
  const [programs, agent] = await Promise.all([
    clientFromConfig(cfg)
      .getAllProcessInfo()
      .then(
        (infos): { infos: ProcessInfo[] } => ({ infos }),
        (err: unknown): { error: string } => {
          if (!isUserError(err)) throw err;
          return { error: err.message };
        },
      ),
    askAgent(cfg.controlSocket, { op: 'status' }, 2_000).then(
      (res): { view: StatusView } | { error: string } => (res.ok ? { view: res.status as StatusView } : { error: res.error }),
      (err: unknown): { error: string } => {
        if (!(err instanceof AgentUnreachable)) throw err;
        return { error: err.message };
      },
    ),
  ]);
  const wantAgent = 'view' in agent || Object.keys(cfg.serviceSets).length > 0;
  if (args.json) {
    const out: Record<string, unknown> =
      'infos' in programs ? { programs: programs.infos.map(programJson) } : { programs: [], supervisord: { error: programs.error } };
    if (wantAgent) out.agent = 'view' in agent ? agent.view : { error: agent.error };
    io.out(JSON.stringify(out));
  } else {
    if ('infos' in programs) for (const line of formatStatusLines(programs.infos)) io.out(line);
    else io.err(`supha: ${programs.error}`);
    if (wantAgent) {
      if ('infos' in programs || 'view' in agent) io.out('');
      if ('view' in agent)
        for (const line of formatAgentTables(agent.view, { colour: process.stdout.isTTY === true && io.env.NO_COLOR === undefined })) io.out(line);
      else io.out(`agent: ${agent.error}`);
    }
  }
  return 'infos' in programs ? EXIT.OK : EXIT.FAILED;
}
