import { AgentUnreachable, askAgent, type ControlRequest, type ControlResponse, controlSocketPath } from '../../agent/index.js';
import { loadConfig } from '../../config/index.js';
import { EXIT, UsageError, UserError } from '../../errors.js';
import { parseNotifyArgs } from '../../keepalived/index.js';
import type { Io } from '../io.js';

type Common = { config?: string | undefined };

async function ask(args: Common, io: Io, req: ControlRequest, timeoutMs = 5_000): Promise<ControlResponse & { ok: true }> {
  const cfg = await loadConfig(args.config, io.env);
  if (!cfg.ha) throw new UsageError(`${cfg.configPath}: no "ha" section, so no agent`);
  let res: ControlResponse;
  try {
    res = await askAgent(controlSocketPath(cfg), req, timeoutMs);
  } catch (err) {
    if (err instanceof AgentUnreachable) throw new UserError(err.message, EXIT.NO_AGENT);
    throw err;
  }
  if (!res.ok) throw new UserError(`agent: ${res.error}`);
  return res;
}

// keepalived's `notify` arguments, handed to the agent; returns as soon as the agent has them.
export async function notifyCommand(
  args: Common & { type: string; name: string; state: string; priority?: string | number | undefined },
  io: Io,
): Promise<number> {
  const r = parseNotifyArgs(args.type, args.name, args.state, args.priority === undefined ? undefined : String(args.priority));
  if (!r.ok) throw new UsageError(`notify: ${r.error}`);
  await ask(args, io, { op: 'notify', event: r.event, source: 'notify' }, 2_000);
  return EXIT.OK;
}

export async function holdCommand(args: Common & { set?: string | undefined; reason: string }, io: Io): Promise<number> {
  if (args.reason.trim() === '') throw new UsageError('hold: --reason must not be empty');
  await ask(args, io, { op: 'hold', reason: args.reason, ...(args.set === undefined ? {} : { set: args.set }) });
  io.out(`held ${args.set ?? 'all sets'}: ${args.reason}`);
  return EXIT.OK;
}

export async function releaseCommand(args: Common & { set?: string | undefined }, io: Io): Promise<number> {
  const res = await ask(args, io, { op: 'release', ...(args.set === undefined ? {} : { set: args.set }) });
  const released = res.released as string[];
  io.out(released.length === 0 ? 'nothing was held' : `released ${released.map((k) => (k === '*' ? 'all sets' : k)).join(', ')}`);
  return EXIT.OK;
}
