import { EXIT, UsageError } from '../../errors.js';
import { formatSyncStatus, type SyncStatus } from '../../sync/index.js';
import type { Io } from '../io.js';
import { ask } from './agent-client.js';

type Action = 'status' | 'pause' | 'resume';

// supha sync status|pause|resume [--set S] [--json], through the agent's control socket.
export async function syncCommand(
  args: { config?: string | undefined; action: Action; set?: string | undefined; json?: boolean | undefined },
  io: Io,
): Promise<number> {
  if (args.action === 'status' && args.set !== undefined) throw new UsageError('sync status: --set is not taken; it shows every set');
  const res = await ask(args, io, { op: 'sync', action: args.action, ...(args.set === undefined ? {} : { set: args.set }) });
  const status = res.sync as SyncStatus;
  if (args.json) io.out(JSON.stringify(status));
  else if (args.action === 'status') for (const line of formatSyncStatus(status)) io.out(line);
  else io.out(`${args.action === 'pause' ? 'paused' : 'resumed'} replication of ${args.set ?? 'all sets'}`);
  return EXIT.OK;
}
